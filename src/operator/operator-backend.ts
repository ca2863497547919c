/**
 * The operations the HTTP API needs from the operator, as one seam: the server depends on this
 * interface only, and the integrator implements it with the releases code (state store,
 * reconcile, rollback). The shapes are zod schemas so the API validates what it returns and the
 * OpenAPI description is generated from the same definitions.
 *
 * Implementations throw `SlipwayError`s: `not_found` (unknown environment or release, HTTP 404),
 * `invalid_argument` (400), `conflict` (409: busy, nothing to approve, already paused).
 */
import { z } from 'zod';

export const ROLES = ['viewer', 'deployer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who asked: the API token's name and role (the audit log records it with every action). */
export const ActorSchema = z.object({ name: z.string(), role: z.enum(ROLES) }).readonly();
export type Actor = z.infer<typeof ActorSchema>;

export const CommitRecordSchema = z
  .object({
    sha: z.string(),
    author: z.string(),
    authoredAt: z.string().describe('ISO 8601'),
    message: z.string(),
    pullRequest: z.number().int().nullable(),
  })
  .readonly();
export type CommitRecord = z.infer<typeof CommitRecordSchema>;

export const SYNC_STATUSES = ['Synced', 'OutOfSync', 'Progressing', 'Degraded', 'Unknown'] as const;

/** A release's post-deploy verification: `skipped` when a person released with `--no-verify`. */
export const VERIFICATION_STATUSES = ['pending', 'passed', 'failed', 'skipped'] as const;

export const EnvironmentStatusSchema = z
  .object({
    name: z.string(),
    sync: z.enum(SYNC_STATUSES),
    /** Why the environment is `Degraded`: the failed sync's first line, or the drift found; else null. */
    reason: z.string().nullable(),
    /** The next try of a sync that failed for a cause that may pass (input data missing, warehouse or git unreachable). */
    retry: z
      .object({ attempt: z.number().int(), at: z.string().describe('ISO 8601') })
      .readonly()
      .nullable(),
    policy: z.enum(['auto', 'manual']),
    promoteFrom: z.string().nullable(),
    /** The commit the environment should be on (branch head, or its promotion source's). */
    desiredCommit: z.string().nullable(),
    live: z.object({ releaseId: z.string(), commit: CommitRecordSchema }).readonly().nullable(),
    /** Auto-sync paused (by hand, or after a rollback until the next new commit). */
    paused: z
      .object({ reason: z.string(), commit: z.string().nullable(), since: z.string(), by: z.string() })
      .readonly()
      .nullable(),
    pendingApproval: z
      .object({ releaseId: z.string(), commit: z.string(), since: z.string() })
      .readonly()
      .nullable(),
    drift: z.array(z.object({ relation: z.string(), problem: z.string() }).readonly()).readonly(),
    /** The environment's latest post-deploy verification (`verify:` in slipway.yaml). */
    verification: z
      .object({
        releaseId: z.string(),
        commit: z.string(),
        status: z.enum(VERIFICATION_STATUSES),
        dueAt: z.string(),
        summary: z.string().nullable(),
        at: z.string(),
      })
      .readonly()
      .nullable(),
    updatedAt: z.string(),
  })
  .readonly();
export type EnvironmentStatus = z.infer<typeof EnvironmentStatusSchema>;

export const ReleaseSchema = z
  .object({
    id: z.string(),
    environment: z.string(),
    status: z.enum(['pending', 'progressing', 'succeeded', 'failed', 'rolled_back', 'aborted']),
    strategy: z.enum(['direct', 'blue-green', 'canary']),
    commit: CommitRecordSchema,
    trigger: z.enum(['webhook', 'poll', 'manual', 'promotion', 'rollback']),
    actor: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    /** Why it is not plainly succeeded (its error, rollback or failed verification), else a note. */
    message: z.string().nullable(),
    /** For `rolled_back`: the rollback release that replaced it. */
    rolledBackBy: z.string().nullable(),
    /** Its post-deploy verification; null when its environment asks for none. */
    verification: z
      .object({
        status: z.enum(VERIFICATION_STATUSES),
        summary: z.string().nullable(),
        dueAt: z.string(),
        at: z.string(),
      })
      .readonly()
      .nullable(),
  })
  .readonly();
export type Release = z.infer<typeof ReleaseSchema>;

export const RunSchema = z
  .object({
    id: z.string(),
    environment: z.string(),
    releaseId: z.string(),
    status: z.enum(['running', 'succeeded', 'failed', 'skipped']),
    trigger: z.enum(['schedule', 'manual', 'catch_up']),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    message: z.string().nullable(),
  })
  .readonly();
export type Run = z.infer<typeof RunSchema>;

export const CheckResultSchema = z
  .object({
    id: z.string(),
    check: z.string().describe('the check id, `<target>.<column|*>.<kind>`'),
    environment: z.string(),
    releaseId: z.string().nullable(),
    runId: z.string().nullable(),
    severity: z.enum(['error', 'warn']),
    status: z.enum(['pass', 'warn', 'fail', 'error']),
    observed: z.string().nullable(),
    at: z.string(),
  })
  .readonly();
export type CheckResult = z.infer<typeof CheckResultSchema>;

export const OperatorEventSchema = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    type: z
      .string()
      .describe(
        'e.g. release.started, release.succeeded, release.verified, release.verification_failed, incident.opened, rollback, sync.paused, drift.detected',
      ),
    environment: z.string().nullable(),
    actor: z.string().nullable(),
    message: z.string(),
  })
  .readonly();
export type OperatorEvent = z.infer<typeof OperatorEventSchema>;

export const ActionResultSchema = z
  .object({
    action: z.enum(['sync', 'approve', 'rollback', 'pause', 'resume']),
    environment: z.string().nullable(),
    accepted: z.boolean(),
    message: z.string(),
    releaseId: z.string().nullable(),
  })
  .readonly();
export type ActionResult = z.infer<typeof ActionResultSchema>;

export interface ListQuery {
  readonly environment?: string;
  /** 1..500. */
  readonly limit: number;
}

export interface EventQuery extends ListQuery {
  /** Only events with `seq` greater than this (for tailing). */
  readonly after?: number;
}

export interface OperatorBackend {
  listEnvironments(): Promise<readonly EnvironmentStatus[]>;
  /** Throws `not_found` for an unknown environment. */
  getEnvironment(name: string): Promise<EnvironmentStatus>;
  /** Newest first. */
  listReleases(query: ListQuery): Promise<readonly Release[]>;
  getRelease(id: string): Promise<Release>;
  listRuns(query: ListQuery): Promise<readonly Run[]>;
  listCheckResults(query: ListQuery & { readonly releaseId?: string }): Promise<readonly CheckResult[]>;
  /** Oldest first after `after`; the audit log and the operator's own events. */
  listEvents(query: EventQuery): Promise<readonly OperatorEvent[]>;
  /** Fetch the branch and reconcile now (one environment, or all when undefined). */
  sync(request: { readonly environment?: string; readonly actor: Actor }): Promise<ActionResult>;
  /** Approve the release waiting at a manual gate. */
  approve(request: {
    readonly environment: string;
    readonly releaseId?: string;
    readonly comment?: string;
    readonly actor: Actor;
  }): Promise<ActionResult>;
  /** Re-point to the previous (or named) release; auto-sync pauses until the next new commit. */
  rollback(request: {
    readonly environment: string;
    readonly to?: string;
    readonly reason?: string;
    readonly actor: Actor;
  }): Promise<ActionResult>;
  pause(request: {
    readonly environment: string;
    readonly reason?: string;
    readonly actor: Actor;
  }): Promise<ActionResult>;
  resume(request: { readonly environment: string; readonly actor: Actor }): Promise<ActionResult>;
}

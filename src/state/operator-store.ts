/**
 * The operator store seam: what the operator remembers beyond the release state store. The last
 * branch head it handled, per-environment sync controls (pause, approvals, the last attempt),
 * what each release was triggered by (webhook, poll, manual) with its pull request, the check
 * results of gated releases and the incidents failed verifications open (the verifications
 * themselves are on the releases, in the state store, where the CLI records its own).
 *
 * It lives beside the leader lease (the same SQLite file, or the same PostgreSQL database), so
 * every write is fenced by the lease term: a write stamped with a term older than the lease's
 * current one (a deposed leader that has not noticed yet) is refused with a `ConflictError` and
 * changes nothing. Implementations: `sqlite/sqlite-operator-store.ts`,
 * `postgres/postgres-operator-store.ts`; both run `test/state/operator-store-contract.ts`.
 */

export interface PauseRecord {
  readonly reason: string;
  /** The desired commit the pause holds back (a rollback); null for a pause by hand. */
  readonly commit: string | null;
  readonly since: string;
  readonly by: string;
}

export interface AttemptRecord {
  readonly commit: string;
  readonly releaseId: string | null;
  readonly status: 'succeeded' | 'failed' | 'unchanged';
  readonly message: string | null;
  readonly at: string;
}

export interface ApprovalRecord {
  readonly releaseId: string;
  readonly by: string;
  readonly comment: string | null;
  readonly at: string;
}

/** The source release waiting at an environment's approval gate, with when it started waiting. */
export interface PendingApprovalRecord {
  readonly releaseId: string;
  readonly commit: string;
  readonly since: string;
}

export interface ReleaseMeta {
  readonly releaseId: string;
  readonly trigger: 'webhook' | 'poll' | 'manual' | 'promotion' | 'rollback';
  readonly pullRequest: number | null;
  readonly message: string | null;
}

export interface StoredCheckResult {
  readonly id: string;
  readonly check: string;
  readonly environment: string;
  readonly releaseId: string | null;
  readonly severity: 'error' | 'warn';
  readonly status: 'pass' | 'warn' | 'fail' | 'error';
  readonly observed: string | null;
  readonly at: string;
}

/** An incident the operator opened (a release that failed its verification) and not yet resolved. */
export interface IncidentRecord {
  readonly id: string;
  readonly environment: string;
  readonly releaseId: string;
  readonly commit: string;
  readonly reason: string;
  readonly openedAt: string;
}

/** A term stamp for fenced writes; undefined means "not the operator loop" (CLI, tests). */
export type Fence = number | undefined;

export interface CheckResultQuery {
  readonly environment?: string;
  readonly releaseId?: string;
  readonly limit: number;
}

export interface OperatorStore {
  lastHandledCommit(): Promise<string | undefined>;
  setLastHandledCommit(sha: string, fence: Fence): Promise<void>;

  pause(environment: string): Promise<PauseRecord | undefined>;
  /** `undefined` lifts the pause. */
  setPause(environment: string, pause: PauseRecord | undefined, fence: Fence): Promise<void>;

  lastAttempt(environment: string): Promise<AttemptRecord | undefined>;
  setLastAttempt(environment: string, attempt: AttemptRecord, fence: Fence): Promise<void>;

  approval(environment: string): Promise<ApprovalRecord | undefined>;
  setApproval(environment: string, approval: ApprovalRecord, fence: Fence): Promise<void>;

  pendingApproval(environment: string): Promise<PendingApprovalRecord | undefined>;
  setPendingApproval(
    environment: string,
    pending: PendingApprovalRecord | undefined,
    fence: Fence,
  ): Promise<void>;

  openIncident(environment: string): Promise<IncidentRecord | undefined>;
  setOpenIncident(environment: string, incident: IncidentRecord | undefined, fence: Fence): Promise<void>;

  /** Records (or replaces) what triggered a release. */
  putReleaseMeta(meta: ReleaseMeta, fence: Fence): Promise<void>;
  releaseMeta(releaseId: string): Promise<ReleaseMeta | undefined>;

  /** Records (or replaces, by id) check results, all in one transaction. */
  putCheckResults(results: readonly StoredCheckResult[], fence: Fence): Promise<void>;
  /** Newest first. */
  checkResults(query: CheckResultQuery): Promise<StoredCheckResult[]>;

  close(): Promise<void>;
}

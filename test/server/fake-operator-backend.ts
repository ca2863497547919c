/**
 * An IN-MEMORY FAKE of the OperatorBackend, for the HTTP API tests only. The real backend (state
 * store, reconcile, rollback) comes with the releases work; these tests check routing, auth,
 * validation and serialization, not release behaviour. It records every action it receives.
 */
import { SlipwayError } from '../../src/core/errors.js';
import type {
  ActionResult,
  Actor,
  CommitRecord,
  EnvironmentStatus,
  OperatorBackend,
  OperatorEvent,
  Release,
} from '../../src/operator/operator-backend.js';

export interface RecordedAction {
  readonly action: ActionResult['action'];
  readonly environment: string | undefined;
  readonly actor: Actor;
  readonly details: Readonly<Record<string, unknown>>;
}

const COMMIT: CommitRecord = {
  sha: 'a'.repeat(40),
  author: 'Ada Analyst',
  authoredAt: '2026-11-27T08:00:00+00:00',
  message: 'Merge pull request #12 from jkl/fraud-rules',
  pullRequest: 12,
};

function environment(name: string, promoteFrom: string | null): EnvironmentStatus {
  return {
    name,
    sync: 'Synced',
    reason: null,
    retry: null,
    policy: 'auto',
    promoteFrom,
    desiredCommit: COMMIT.sha,
    live: { releaseId: `rel-${name}-1`, commit: COMMIT },
    paused: null,
    pendingApproval: null,
    drift: [],
    verification: null,
    updatedAt: '2026-11-27T08:01:00Z',
  };
}

export class FakeOperatorBackend implements OperatorBackend {
  readonly actions: RecordedAction[] = [];
  readonly environments = new Map<string, EnvironmentStatus>([
    ['staging', environment('staging', null)],
    ['prod', environment('prod', 'staging')],
  ]);
  readonly releases: Release[] = [
    {
      id: 'rel-1',
      environment: 'staging',
      status: 'succeeded',
      strategy: 'blue-green',
      commit: COMMIT,
      trigger: 'webhook',
      actor: 'operator',
      startedAt: '2026-11-27T08:00:05Z',
      finishedAt: '2026-11-27T08:00:09Z',
      message: null,
      rolledBackBy: null,
      verification: null,
    },
  ];
  readonly events: OperatorEvent[] = [
    {
      seq: 1,
      at: '2026-11-27T08:00:05Z',
      type: 'release.started',
      environment: 'staging',
      actor: null,
      message: 'x',
    },
    {
      seq: 2,
      at: '2026-11-27T08:00:09Z',
      type: 'release.succeeded',
      environment: 'staging',
      actor: null,
      message: 'y',
    },
  ];

  async listEnvironments() {
    return [...this.environments.values()];
  }

  async getEnvironment(name: string) {
    return this.#environment(name);
  }

  async listReleases({ environment, limit }: { environment?: string; limit: number }) {
    return this.releases
      .filter((r) => environment === undefined || r.environment === environment)
      .slice(0, limit);
  }

  async getRelease(id: string) {
    const release = this.releases.find((r) => r.id === id);
    if (!release) throw new SlipwayError('not_found', `no release ${id}`);
    return release;
  }

  async listRuns() {
    return [];
  }

  async listCheckResults() {
    return [];
  }

  async listEvents({ after, limit }: { after?: number; limit: number }) {
    return this.events.filter((e) => after === undefined || e.seq > after).slice(0, limit);
  }

  async sync({ environment, actor }: { environment?: string; actor: Actor }) {
    if (environment !== undefined) this.#environment(environment);
    return this.#record('sync', environment, actor, {});
  }

  async approve({
    environment,
    actor,
    ...details
  }: {
    environment: string;
    actor: Actor;
    releaseId?: string;
  }) {
    this.#environment(environment);
    return this.#record('approve', environment, actor, details);
  }

  async rollback({ environment, actor, ...details }: { environment: string; actor: Actor; to?: string }) {
    this.#environment(environment);
    return this.#record('rollback', environment, actor, details);
  }

  async pause({ environment, actor, ...details }: { environment: string; actor: Actor; reason?: string }) {
    const env = this.#environment(environment);
    if (env.paused) throw new SlipwayError('conflict', `${environment} is already paused`);
    this.environments.set(environment, {
      ...env,
      paused: { reason: details.reason ?? 'paused by hand', commit: null, since: 'now', by: actor.name },
    });
    return this.#record('pause', environment, actor, details);
  }

  async resume({ environment, actor }: { environment: string; actor: Actor }) {
    const env = this.#environment(environment);
    this.environments.set(environment, { ...env, paused: null });
    return this.#record('resume', environment, actor, {});
  }

  #environment(name: string): EnvironmentStatus {
    const env = this.environments.get(name);
    if (!env) throw new SlipwayError('not_found', `no environment ${name}`);
    return env;
  }

  #record(
    action: ActionResult['action'],
    environment: string | undefined,
    actor: Actor,
    details: Readonly<Record<string, unknown>>,
  ): ActionResult {
    this.actions.push({ action, environment, actor, details });
    return {
      action,
      environment: environment ?? null,
      accepted: true,
      message: `${action} accepted`,
      releaseId: null,
    };
  }
}

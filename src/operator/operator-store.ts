/**
 * What the operator remembers beyond the release state store: the last branch head it handled,
 * per-environment sync controls (pause, approvals, the last attempt), what each release was
 * triggered by (webhook, poll, manual) with its pull request, the check results of gated
 * releases and the incidents failed verifications open (the verifications themselves are on the
 * releases, in the state store, where the CLI records its own). It lives in the same SQLite file
 * as the leader lease, so every write is fenced by the lease term: a write stamped with a term
 * older than the lease's current one (a deposed leader that has not noticed yet) is refused.
 */
import Database from 'better-sqlite3';
import { ConflictError, SlipwayError } from '../core/errors.js';

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

export class OperatorStore {
  readonly #db: Database.Database;
  #closed = false;

  constructor(file: string) {
    try {
      this.#db = new Database(file, { timeout: 5000 });
      this.#db.pragma('journal_mode = WAL');
      this.#db.exec(`
        create table if not exists slipway_leases (
          name text primary key, holder text not null, expires_at integer not null, term integer not null
        ) strict;
        create table if not exists operator_values (key text primary key, value text not null) strict;
        create table if not exists operator_release_meta (
          release_id text primary key, trigger text not null, pull_request integer, message text
        ) strict;
        create table if not exists operator_check_results (
          id text primary key, environment text not null, release_id text, check_id text not null,
          severity text not null, status text not null, observed text, at text not null
        ) strict;
        create index if not exists operator_check_results_release on operator_check_results (release_id);
      `);
    } catch (error) {
      throw new SlipwayError('state', `cannot open the operator store ${file}`, { cause: error });
    }
  }

  lastHandledCommit(): string | undefined {
    return this.#get<string>('last_handled');
  }

  setLastHandledCommit(sha: string, fence: Fence): void {
    this.#put('last_handled', sha, fence);
  }

  pause(environment: string): PauseRecord | undefined {
    return this.#get<PauseRecord>(`pause:${environment}`);
  }

  setPause(environment: string, pause: PauseRecord | undefined, fence: Fence): void {
    this.#put(`pause:${environment}`, pause, fence);
  }

  lastAttempt(environment: string): AttemptRecord | undefined {
    return this.#get<AttemptRecord>(`attempt:${environment}`);
  }

  setLastAttempt(environment: string, attempt: AttemptRecord, fence: Fence): void {
    this.#put(`attempt:${environment}`, attempt, fence);
  }

  approval(environment: string): ApprovalRecord | undefined {
    return this.#get<ApprovalRecord>(`approval:${environment}`);
  }

  setApproval(environment: string, approval: ApprovalRecord, fence: Fence): void {
    this.#put(`approval:${environment}`, approval, fence);
  }

  /** The source release waiting at the environment's approval gate, with when it started waiting. */
  pendingApproval(environment: string): { releaseId: string; commit: string; since: string } | undefined {
    return this.#get(`pending:${environment}`);
  }

  setPendingApproval(
    environment: string,
    pending: { releaseId: string; commit: string; since: string } | undefined,
    fence: Fence,
  ): void {
    this.#put(`pending:${environment}`, pending, fence);
  }

  openIncident(environment: string): IncidentRecord | undefined {
    return this.#get<IncidentRecord>(`incident:${environment}`);
  }

  setOpenIncident(environment: string, incident: IncidentRecord | undefined, fence: Fence): void {
    this.#put(`incident:${environment}`, incident, fence);
  }

  putReleaseMeta(meta: ReleaseMeta, fence: Fence): void {
    this.#fenced(fence, () => {
      this.#db
        .prepare(
          `insert or replace into operator_release_meta (release_id, trigger, pull_request, message)
           values (?, ?, ?, ?)`,
        )
        .run(meta.releaseId, meta.trigger, meta.pullRequest, meta.message);
    });
  }

  releaseMeta(releaseId: string): ReleaseMeta | undefined {
    const row = this.#db
      .prepare('select trigger, pull_request, message from operator_release_meta where release_id = ?')
      .get(releaseId) as { trigger: string; pull_request: number | null; message: string | null } | undefined;
    return row
      ? {
          releaseId,
          trigger: row.trigger as ReleaseMeta['trigger'],
          pullRequest: row.pull_request,
          message: row.message,
        }
      : undefined;
  }

  putCheckResults(results: readonly StoredCheckResult[], fence: Fence): void {
    this.#fenced(fence, () => {
      const insert = this.#db.prepare(
        `insert or replace into operator_check_results
         (id, environment, release_id, check_id, severity, status, observed, at) values (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const r of results)
        insert.run(r.id, r.environment, r.releaseId, r.check, r.severity, r.status, r.observed, r.at);
    });
  }

  checkResults(query: { environment?: string; releaseId?: string; limit: number }): StoredCheckResult[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.environment) {
      where.push('environment = ?');
      params.push(query.environment);
    }
    if (query.releaseId) {
      where.push('release_id = ?');
      params.push(query.releaseId);
    }
    const rows = this.#db
      .prepare(
        `select * from operator_check_results ${where.length ? `where ${where.join(' and ')}` : ''}
         order by at desc, id limit ?`,
      )
      .all(...params, query.limit) as Record<string, string | null>[];
    return rows.map((r) => ({
      id: r['id'] as string,
      check: r['check_id'] as string,
      environment: r['environment'] as string,
      releaseId: r['release_id'] ?? null,
      severity: r['severity'] as StoredCheckResult['severity'],
      status: r['status'] as StoredCheckResult['status'],
      observed: r['observed'] ?? null,
      at: r['at'] as string,
    }));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #get<T>(key: string): T | undefined {
    const row = this.#db.prepare('select value from operator_values where key = ?').get(key) as
      | { value: string }
      | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  #put(key: string, value: unknown, fence: Fence): void {
    this.#fenced(fence, () => {
      if (value === undefined) this.#db.prepare('delete from operator_values where key = ?').run(key);
      else
        this.#db
          .prepare('insert or replace into operator_values (key, value) values (?, ?)')
          .run(key, JSON.stringify(value));
    });
  }

  /** Runs `write` in one transaction, refused when a newer lease term exists than `fence`. */
  #fenced(fence: Fence, write: () => void): void {
    if (this.#closed) throw new SlipwayError('state', 'the operator store is closed');
    this.#db
      .transaction(() => {
        if (fence !== undefined) {
          const row = this.#db.prepare('select max(term) as term from slipway_leases').get() as
            | { term: number | null }
            | undefined;
          if (row?.term != null && row.term > fence) {
            throw new ConflictError(
              `a newer operator (lease term ${row.term}) has taken over; this one (term ${fence}) stops writing`,
            );
          }
        }
        write();
      })
      .immediate();
  }
}

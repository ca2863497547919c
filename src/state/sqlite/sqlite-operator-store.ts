/**
 * The operator store in a SQLite file (better-sqlite3), beside the SQLite leader lease: the
 * default for one operator, in `<home>/.slipway/operator.db`. Every write is one IMMEDIATE
 * transaction that first reads the lease's term, so a write fenced with an older term is refused
 * before anything changes (see `../operator-store.ts`). better-sqlite3 is synchronous; the
 * methods are async for the seam's sake.
 */
import Database from 'better-sqlite3';
import { ConflictError, SlipwayError } from '../../core/errors.js';
import type {
  ApprovalRecord,
  AttemptRecord,
  CheckResultQuery,
  Fence,
  IncidentRecord,
  OperatorStore,
  PauseRecord,
  PendingApprovalRecord,
  ReleaseMeta,
  StoredCheckResult,
} from '../operator-store.js';

export class SqliteOperatorStore implements OperatorStore {
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

  async lastHandledCommit(): Promise<string | undefined> {
    return this.#get<string>('last_handled');
  }

  async setLastHandledCommit(sha: string, fence: Fence): Promise<void> {
    this.#put('last_handled', sha, fence);
  }

  async pause(environment: string): Promise<PauseRecord | undefined> {
    return this.#get<PauseRecord>(`pause:${environment}`);
  }

  async setPause(environment: string, pause: PauseRecord | undefined, fence: Fence): Promise<void> {
    this.#put(`pause:${environment}`, pause, fence);
  }

  async lastAttempt(environment: string): Promise<AttemptRecord | undefined> {
    return this.#get<AttemptRecord>(`attempt:${environment}`);
  }

  async setLastAttempt(environment: string, attempt: AttemptRecord, fence: Fence): Promise<void> {
    this.#put(`attempt:${environment}`, attempt, fence);
  }

  async approval(environment: string): Promise<ApprovalRecord | undefined> {
    return this.#get<ApprovalRecord>(`approval:${environment}`);
  }

  async setApproval(environment: string, approval: ApprovalRecord, fence: Fence): Promise<void> {
    this.#put(`approval:${environment}`, approval, fence);
  }

  async pendingApproval(environment: string): Promise<PendingApprovalRecord | undefined> {
    return this.#get<PendingApprovalRecord>(`pending:${environment}`);
  }

  async setPendingApproval(
    environment: string,
    pending: PendingApprovalRecord | undefined,
    fence: Fence,
  ): Promise<void> {
    this.#put(`pending:${environment}`, pending, fence);
  }

  async openIncident(environment: string): Promise<IncidentRecord | undefined> {
    return this.#get<IncidentRecord>(`incident:${environment}`);
  }

  async setOpenIncident(
    environment: string,
    incident: IncidentRecord | undefined,
    fence: Fence,
  ): Promise<void> {
    this.#put(`incident:${environment}`, incident, fence);
  }

  async putReleaseMeta(meta: ReleaseMeta, fence: Fence): Promise<void> {
    this.#fenced(fence, () => {
      this.#db
        .prepare(
          `insert or replace into operator_release_meta (release_id, trigger, pull_request, message)
           values (?, ?, ?, ?)`,
        )
        .run(meta.releaseId, meta.trigger, meta.pullRequest, meta.message);
    });
  }

  async releaseMeta(releaseId: string): Promise<ReleaseMeta | undefined> {
    this.#open();
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

  async putCheckResults(results: readonly StoredCheckResult[], fence: Fence): Promise<void> {
    this.#fenced(fence, () => {
      const insert = this.#db.prepare(
        `insert or replace into operator_check_results
         (id, environment, release_id, check_id, severity, status, observed, at) values (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const r of results)
        insert.run(r.id, r.environment, r.releaseId, r.check, r.severity, r.status, r.observed, r.at);
    });
  }

  async checkResults(query: CheckResultQuery): Promise<StoredCheckResult[]> {
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
    this.#open();
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

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #get<T>(key: string): T | undefined {
    this.#open();
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
    this.#open();
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

  #open(): void {
    if (this.#closed) throw new SlipwayError('state', 'the operator store is closed');
  }
}

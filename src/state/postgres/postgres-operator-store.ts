/**
 * The operator store in PostgreSQL, beside the PostgreSQL leader lease, shared by every operator
 * of the deployment. A fenced write reads the lease terms `FOR SHARE` in its own transaction:
 * a write older than the newest term is refused before anything changes, and a takeover (which
 * locks the lease row `FOR UPDATE`) waits for writes already past that check to commit, so a
 * deposed leader's write can never land after the new leader has started.
 */
import { ConflictError } from '../../core/errors.js';
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
import { migratePostgres } from './postgres-migrations.js';
import { PostgresPool, type PostgresTx } from './postgres-pool.js';

export interface PostgresOperatorStoreOptions {
  readonly url: string;
  readonly connectTimeoutMs?: number;
}

/**
 * Connects (migrating when needed) and returns the store.
 *
 * @example
 * const store = await openPostgresOperatorStore({ url });
 * await store.setLastHandledCommit(sha, grant.term);
 */
export async function openPostgresOperatorStore(
  options: PostgresOperatorStoreOptions,
): Promise<PostgresOperatorStore> {
  const pool = await PostgresPool.open({
    url: options.url,
    role: 'operator store',
    poolSize: 3,
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
  });
  try {
    await migratePostgres(pool);
  } catch (error) {
    await pool.close();
    throw error;
  }
  return new PostgresOperatorStore(pool);
}

export class PostgresOperatorStore implements OperatorStore {
  readonly #pool: PostgresPool;

  constructor(pool: PostgresPool) {
    this.#pool = pool;
  }

  async lastHandledCommit(): Promise<string | undefined> {
    return this.#get<string>('last_handled');
  }

  async setLastHandledCommit(sha: string, fence: Fence): Promise<void> {
    await this.#put('last_handled', sha, fence);
  }

  async pause(environment: string): Promise<PauseRecord | undefined> {
    return this.#get<PauseRecord>(`pause:${environment}`);
  }

  async setPause(environment: string, pause: PauseRecord | undefined, fence: Fence): Promise<void> {
    await this.#put(`pause:${environment}`, pause, fence);
  }

  async lastAttempt(environment: string): Promise<AttemptRecord | undefined> {
    return this.#get<AttemptRecord>(`attempt:${environment}`);
  }

  async setLastAttempt(environment: string, attempt: AttemptRecord, fence: Fence): Promise<void> {
    await this.#put(`attempt:${environment}`, attempt, fence);
  }

  async approval(environment: string): Promise<ApprovalRecord | undefined> {
    return this.#get<ApprovalRecord>(`approval:${environment}`);
  }

  async setApproval(environment: string, approval: ApprovalRecord, fence: Fence): Promise<void> {
    await this.#put(`approval:${environment}`, approval, fence);
  }

  async pendingApproval(environment: string): Promise<PendingApprovalRecord | undefined> {
    return this.#get<PendingApprovalRecord>(`pending:${environment}`);
  }

  async setPendingApproval(
    environment: string,
    pending: PendingApprovalRecord | undefined,
    fence: Fence,
  ): Promise<void> {
    await this.#put(`pending:${environment}`, pending, fence);
  }

  async openIncident(environment: string): Promise<IncidentRecord | undefined> {
    return this.#get<IncidentRecord>(`incident:${environment}`);
  }

  async setOpenIncident(
    environment: string,
    incident: IncidentRecord | undefined,
    fence: Fence,
  ): Promise<void> {
    await this.#put(`incident:${environment}`, incident, fence);
  }

  async putReleaseMeta(meta: ReleaseMeta, fence: Fence): Promise<void> {
    await this.#fenced(fence, async (tx) => {
      await tx.query(
        `insert into operator_release_meta (release_id, trigger, pull_request, message) values ($1, $2, $3, $4)
         on conflict (release_id) do update set trigger = excluded.trigger,
           pull_request = excluded.pull_request, message = excluded.message`,
        [meta.releaseId, meta.trigger, meta.pullRequest, meta.message],
      );
    });
  }

  async releaseMeta(releaseId: string): Promise<ReleaseMeta | undefined> {
    const [row] = await this.#pool.query(
      'select trigger, pull_request, message from operator_release_meta where release_id = $1',
      [releaseId],
    );
    return row
      ? {
          releaseId,
          trigger: String(row['trigger']) as ReleaseMeta['trigger'],
          pullRequest: row['pull_request'] === null ? null : Number(row['pull_request']),
          message: row['message'] === null ? null : String(row['message']),
        }
      : undefined;
  }

  async putCheckResults(results: readonly StoredCheckResult[], fence: Fence): Promise<void> {
    await this.#fenced(fence, async (tx) => {
      if (results.length === 0) return;
      const column = <K extends keyof StoredCheckResult>(key: K) => results.map((r) => r[key]);
      await tx.query(
        `insert into operator_check_results (id, environment, release_id, check_id, severity, status, observed, at)
         select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
           $7::text[], $8::text[])
         on conflict (id) do update set environment = excluded.environment, release_id = excluded.release_id,
           check_id = excluded.check_id, severity = excluded.severity, status = excluded.status,
           observed = excluded.observed, at = excluded.at`,
        [
          column('id'),
          column('environment'),
          column('releaseId'),
          column('check'),
          column('severity'),
          column('status'),
          column('observed'),
          column('at'),
        ],
      );
    });
  }

  async checkResults(query: CheckResultQuery): Promise<StoredCheckResult[]> {
    const rows = await this.#pool.query(
      `select * from operator_check_results
       where ($1::text is null or environment = $1) and ($2::text is null or release_id = $2)
       order by at desc, id limit $3`,
      [query.environment || null, query.releaseId || null, query.limit],
    );
    return rows.map((r) => ({
      id: String(r['id']),
      check: String(r['check_id']),
      environment: String(r['environment']),
      releaseId: r['release_id'] === null ? null : String(r['release_id']),
      severity: String(r['severity']) as StoredCheckResult['severity'],
      status: String(r['status']) as StoredCheckResult['status'],
      observed: r['observed'] === null ? null : String(r['observed']),
      at: String(r['at']),
    }));
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #get<T>(key: string): Promise<T | undefined> {
    const [row] = await this.#pool.query('select value from operator_values where key = $1', [key]);
    return row ? (row['value'] as T) : undefined;
  }

  async #put(key: string, value: unknown, fence: Fence): Promise<void> {
    await this.#fenced(fence, async (tx) => {
      if (value === undefined) await tx.query('delete from operator_values where key = $1', [key]);
      else
        await tx.query(
          `insert into operator_values (key, value) values ($1, $2)
           on conflict (key) do update set value = excluded.value`,
          [key, JSON.stringify(value)],
        );
    });
  }

  /** Runs `write` in one transaction, refused when a newer lease term exists than `fence`. */
  async #fenced(fence: Fence, write: (tx: PostgresTx) => Promise<void>): Promise<void> {
    await this.#pool.transaction(undefined, async (tx) => {
      if (fence !== undefined) {
        const rows = await tx.query('select term from leases for share');
        const newest = Math.max(0, ...rows.map((r) => Number(r['term'])));
        if (newest > fence) {
          throw new ConflictError(
            `a newer operator (lease term ${newest}) has taken over; this one (term ${fence}) stops writing`,
          );
        }
      }
      await write(tx);
    });
  }
}

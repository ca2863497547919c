/**
 * The PostgreSQL state store: the same seam as the SQLite store, for teams whose commands and
 * operators run on many hosts. One `pg.Pool`; every write is one transaction that first takes
 * the store's advisory write lock, so writes are serialised as SQLite's BEGIN IMMEDIATE
 * serialises them (release and event sequence numbers follow commit order, and two processes
 * racing for a lock cannot both win). Time is the database's clock (`clock_timestamp()`), shared
 * by every host, unless a test supplies its own.
 */
import { hostname } from 'node:os';
import { SlipwayError } from '../../core/errors.js';
import type {
  EnvironmentPointer,
  ReleaseRecord,
  ReleaseStatus,
  VerificationStatus,
} from '../../core/release.js';
import { decideLock } from '../lock-takeover.js';
import type {
  EventRecord,
  LockAttempt,
  LockHolder,
  LockLease,
  ModelVersionRecord,
  NewEvent,
  NewRelease,
  PhysicalTableRecord,
  RunRecord,
  StateStore,
  SwitchPointer,
} from '../state-store.js';
import { migratePostgres, type PostgresMigration } from './postgres-migrations.js';
import { databaseNow, type PgRow, PostgresPool, type PostgresTx } from './postgres-pool.js';
import { iso, tablesOf, toEvent, toLease, toPhysical, toPointer, toRelease, toRun } from './postgres-rows.js';

export interface PostgresStateStoreOptions {
  /** The database URL (from the environment variable the project names; never logged). */
  readonly url: string;
  /** Current time instead of the database's; tests move it to expire leases. */
  readonly now?: () => Date;
  /** Whether a process of this host is alive (the same-host stale-lock fast path). */
  readonly isProcessAlive?: (pid: number) => boolean;
  readonly migrations?: readonly PostgresMigration[];
  readonly poolSize?: number;
  readonly connectTimeoutMs?: number;
}

/**
 * Connects, migrates when needed, and returns the store.
 *
 * @example
 * const state = await openPostgresStateStore({ url: process.env.SLIPWAY_STATE_URL! });
 * const pointer = await state.getPointer('prod');
 * await state.close();
 */
export async function openPostgresStateStore(
  options: PostgresStateStoreOptions,
): Promise<PostgresStateStore> {
  const pool = await PostgresPool.open({
    url: options.url,
    role: 'state store',
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
  });
  try {
    await migratePostgres(pool, options.migrations);
  } catch (error) {
    await pool.close();
    throw error;
  }
  return new PostgresStateStore(pool, options);
}

const json = (value: unknown): string => JSON.stringify(value ?? null);

export class PostgresStateStore implements StateStore {
  readonly #pool: PostgresPool;
  readonly #now: (() => Date) | undefined;
  readonly #isProcessAlive: (pid: number) => boolean;

  constructor(pool: PostgresPool, options: Pick<PostgresStateStoreOptions, 'now' | 'isProcessAlive'> = {}) {
    this.#pool = pool;
    this.#now = options.now;
    this.#isProcessAlive = options.isProcessAlive ?? processAlive;
  }

  /** The schema version the database is at (the newest migration applied). */
  async schemaVersion(): Promise<number> {
    const [row] = await this.#pool.query('select max(version) as v from schema_migrations');
    return Number(row?.['v'] ?? 0);
  }

  async createRelease(release: NewRelease): Promise<ReleaseRecord> {
    return this.#write(async (tx, at) => {
      const [row] = await tx.query(
        `insert into releases (id, environment, kind, strategy, status, commit_sha, commit_author,
           commit_time, commit_message, actor, models, plan, previous_release_id, source, created_at, trace_id)
         values ($1, $2, $3, $4, 'building', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) returning *`,
        [
          release.id,
          release.environment,
          release.kind,
          release.strategy,
          release.commit?.sha ?? null,
          release.commit?.author ?? null,
          release.commit?.time ?? null,
          release.commit?.message ?? null,
          release.actor,
          json(release.models),
          json(release.plan),
          release.previousReleaseId ?? null,
          release.source ?? null,
          at,
          release.traceId ?? null,
        ],
      );
      await this.#insertEvent(tx, at, {
        type: 'release.started',
        environment: release.environment,
        releaseId: release.id,
        actor: release.actor,
        data: { kind: release.kind, strategy: release.strategy, commit: release.commit?.sha ?? null },
      });
      return toRelease(row as PgRow);
    });
  }

  async getRelease(id: string): Promise<ReleaseRecord | undefined> {
    const [row] = await this.#pool.query('select * from releases where id = $1', [id]);
    return row ? toRelease(row) : undefined;
  }

  async listReleases(
    filter: { readonly environment?: string; readonly limit?: number } = {},
  ): Promise<ReleaseRecord[]> {
    const rows = await this.#pool.query(
      'select * from releases where ($1::text is null or environment = $1) order by seq desc limit $2',
      [filter.environment ?? null, filter.limit ?? null],
    );
    return rows.map(toRelease);
  }

  async unfinishedReleases(environment: string): Promise<ReleaseRecord[]> {
    const rows = await this.#pool.query(
      `select * from releases where environment = $1 and status in ('building', 'switching') order by seq`,
      [environment],
    );
    return rows.map(toRelease);
  }

  async setReleaseStatus(
    id: string,
    status: ReleaseStatus,
    details: { readonly error?: string; readonly timings?: Readonly<Record<string, number>> } = {},
  ): Promise<void> {
    await this.#write(async (tx, at) => {
      const [row] = await tx.query(
        'select environment, actor, timings from releases where id = $1 for update',
        [id],
      );
      if (!row) throw new SlipwayError('not_found', `no release '${id}'`);
      const finished = status === 'failed' || status === 'abandoned' || status === 'succeeded';
      const timings = { ...(row['timings'] as object), ...(details.timings ?? {}) };
      await tx.query(
        `update releases set status = $1, error = coalesce($2, error), timings = $3,
           finished_at = case when $4 then $5 else finished_at end where id = $6`,
        [status, details.error ?? null, json(timings), finished, at, id],
      );
      await this.#insertEvent(tx, at, {
        type: `release.${status}`,
        environment: String(row['environment']),
        releaseId: id,
        actor: String(row['actor']),
        data: details.error === undefined ? null : { error: details.error },
      });
    });
  }

  async completeRelease(change: SwitchPointer): Promise<void> {
    await this.#write(async (tx, at) => {
      const [release] = await tx.query('select actor, kind, timings from releases where id = $1 for update', [
        change.releaseId,
      ]);
      if (!release) throw new SlipwayError('not_found', `no release '${change.releaseId}'`);
      const [previous] = await tx.query('select release_id, models from environments where name = $1', [
        change.environment,
      ]);
      const before = new Set(tablesOf(previous ? (previous['models'] as SwitchPointer['models']) : {}));
      const after = new Set(tablesOf(change.models));
      const deltas = [
        ...[...before].filter((t) => !after.has(t)).map((t) => [t, -1] as const),
        ...[...after].filter((t) => !before.has(t)).map((t) => [t, 1] as const),
      ];
      if (deltas.length > 0) {
        await tx.query(
          `update physical_tables p set refcount = greatest(p.refcount + d.delta, 0)
           from unnest($1::text[], $2::integer[]) as d (name, delta) where p.name = d.name`,
          [deltas.map(([t]) => t), deltas.map(([, d]) => d)],
        );
      }
      await tx.query(
        `insert into environments (name, release_id, models, updated_at) values ($1, $2, $3, $4)
         on conflict (name) do update set release_id = excluded.release_id, models = excluded.models,
           updated_at = excluded.updated_at`,
        [change.environment, change.releaseId, json(change.models), at],
      );
      const timings = { ...(release['timings'] as object), ...(change.timings ?? {}) };
      await tx.query(
        `update releases set status = 'succeeded', switched_at = $1, finished_at = $2, timings = $3
         where id = $4`,
        [change.switchedAt, at, json(timings), change.releaseId],
      );
      const actor = String(release['actor']);
      await this.#insertEvent(tx, at, {
        type: 'release.succeeded',
        environment: change.environment,
        releaseId: change.releaseId,
        actor,
        data: { switchedAt: change.switchedAt, models: Object.keys(change.models).length },
      });
      const replaced = previous === undefined ? undefined : String(previous['release_id']);
      if (release['kind'] === 'rollback' && replaced !== undefined && replaced !== change.releaseId) {
        const reason = change.reason ?? `rolled back by ${actor}`;
        const marked = await tx.query(
          `update releases set status = 'rolled_back', rolled_back_by = $1, rollback_reason = $2
           where id = $3 and status = 'succeeded' returning id`,
          [change.releaseId, reason, replaced],
        );
        if (marked.length > 0) {
          await this.#insertEvent(tx, at, {
            type: 'release.rolled_back',
            environment: change.environment,
            releaseId: replaced,
            actor,
            data: {
              summary: `${replaced} rolled back by ${change.releaseId}: ${reason}`,
              by: change.releaseId,
            },
          });
        }
      }
    });
  }

  async setReleaseVerification(
    id: string,
    verification: { readonly status: VerificationStatus; readonly summary?: string; readonly dueAt?: string },
  ): Promise<void> {
    await this.#write(async (tx, at) => {
      const changed = await tx.query(
        `update releases set verification_status = $1, verification_summary = $2,
           verification_due_at = coalesce($3::timestamptz, verification_due_at, $4), verified_at = $4
         where id = $5 returning id`,
        [verification.status, verification.summary ?? null, verification.dueAt ?? null, at, id],
      );
      if (changed.length === 0) throw new SlipwayError('not_found', `no release '${id}'`);
    });
  }

  async getPointer(environment: string): Promise<EnvironmentPointer | undefined> {
    const [row] = await this.#pool.query('select * from environments where name = $1', [environment]);
    return row ? toPointer(row) : undefined;
  }

  async listPointers(): Promise<EnvironmentPointer[]> {
    return (await this.#pool.query('select * from environments order by name')).map(toPointer);
  }

  async putModelVersions(versions: readonly Omit<ModelVersionRecord, 'createdAt'>[]): Promise<void> {
    if (versions.length === 0) return;
    await this.#write(async (tx, at) => {
      await tx.query(
        `insert into model_versions (fingerprint, model, definition, created_at)
         select v.fingerprint, v.model, v.definition::json, $4
         from unnest($1::text[], $2::text[], $3::text[]) as v (fingerprint, model, definition)
         on conflict (fingerprint) do nothing`,
        [
          versions.map((v) => v.fingerprint),
          versions.map((v) => v.model),
          versions.map((v) => json(v.definition)),
          at,
        ],
      );
    });
  }

  async getModelVersions(fingerprints: readonly string[]): Promise<Map<string, ModelVersionRecord>> {
    const rows = await this.#pool.query('select * from model_versions where fingerprint = any($1::text[])', [
      [...new Set(fingerprints)],
    ]);
    return new Map(
      rows.map((row) => [
        String(row['fingerprint']),
        {
          fingerprint: String(row['fingerprint']),
          model: String(row['model']),
          definition: row['definition'] ?? null,
          createdAt: iso(row['created_at']),
        },
      ]),
    );
  }

  async markPhysicalBuilding(table: {
    readonly name: string;
    readonly model: string;
    readonly fingerprint: string;
    readonly kind: PhysicalTableRecord['kind'];
  }): Promise<void> {
    await this.#write(async (tx, at) => {
      await tx.query(
        `insert into physical_tables (name, model, fingerprint, kind, status, created_at)
         values ($1, $2, $3, $4, 'building', $5)
         on conflict (name) do update set status = 'building', built_at = null`,
        [table.name, table.model, table.fingerprint, table.kind, at],
      );
    });
  }

  async markPhysicalBuilt(
    name: string,
    details: {
      readonly rows: number | undefined;
      readonly columns: PhysicalTableRecord['columns'];
      readonly buildMs: number;
    },
  ): Promise<void> {
    await this.#write(async (tx, at) => {
      const changed = await tx.query(
        `update physical_tables set status = 'built', rows = $1, columns = $2, build_ms = $3, built_at = $4
         where name = $5 returning name`,
        [
          details.rows ?? null,
          details.columns === undefined ? null : json(details.columns),
          details.buildMs,
          at,
          name,
        ],
      );
      if (changed.length === 0)
        throw new SlipwayError('not_found', `no physical table '${name}' is recorded`);
    });
  }

  async getPhysicalTables(names?: readonly string[]): Promise<PhysicalTableRecord[]> {
    if (names === undefined)
      return (await this.#pool.query('select * from physical_tables order by name')).map(toPhysical);
    const wanted = [...new Set(names)];
    const rows = await this.#pool.query('select * from physical_tables where name = any($1::text[])', [
      wanted,
    ]);
    const byName = new Map(rows.map((row) => [String(row['name']), toPhysical(row)]));
    return wanted.flatMap((n) => byName.get(n) ?? []);
  }

  async deletePhysicalTable(name: string): Promise<void> {
    await this.#write(async (tx, at) => {
      await tx.query('delete from physical_tables where name = $1', [name]);
      await this.#insertEvent(tx, at, { type: 'physical.dropped', data: { table: name } });
    });
  }

  async createRun(run: {
    readonly id: string;
    readonly environment: string;
    readonly releaseId: string;
    readonly actor: string;
  }): Promise<RunRecord> {
    return this.#write(async (tx, at) => {
      const [row] = await tx.query(
        `insert into runs (id, environment, release_id, status, actor, models, started_at)
         values ($1, $2, $3, 'running', $4, 'null', $5) returning *`,
        [run.id, run.environment, run.releaseId, run.actor, at],
      );
      await this.#insertEvent(tx, at, {
        type: 'run.started',
        environment: run.environment,
        releaseId: run.releaseId,
        runId: run.id,
        actor: run.actor,
      });
      return toRun(row as PgRow);
    });
  }

  async finishRun(
    id: string,
    outcome: { readonly status: 'succeeded' | 'failed'; readonly models: unknown; readonly error?: string },
  ): Promise<void> {
    await this.#write(async (tx, at) => {
      const [row] = await tx.query(
        'select environment, release_id, actor from runs where id = $1 for update',
        [id],
      );
      if (!row) throw new SlipwayError('not_found', `no run '${id}'`);
      await tx.query('update runs set status = $1, models = $2, error = $3, finished_at = $4 where id = $5', [
        outcome.status,
        json(outcome.models),
        outcome.error ?? null,
        at,
        id,
      ]);
      await this.#insertEvent(tx, at, {
        type: `run.${outcome.status}`,
        environment: String(row['environment']),
        releaseId: String(row['release_id']),
        runId: id,
        actor: String(row['actor']),
        data: outcome.error === undefined ? null : { error: outcome.error },
      });
    });
  }

  async listRuns(
    filter: { readonly environment?: string; readonly limit?: number } = {},
  ): Promise<RunRecord[]> {
    const rows = await this.#pool.query(
      `select * from runs where ($1::text is null or environment = $1)
       order by started_at desc, seq desc limit $2`,
      [filter.environment ?? null, filter.limit ?? null],
    );
    return rows.map(toRun);
  }

  async appendEvent(event: NewEvent): Promise<EventRecord> {
    return this.#write(async (tx, at) => this.#insertEvent(tx, at, event));
  }

  async listEvents(
    filter: { readonly environment?: string; readonly afterSeq?: number; readonly limit?: number } = {},
  ): Promise<EventRecord[]> {
    const rows = await this.#pool.query(
      `select * from events where ($1::text is null or environment = $1) and seq > $2
       order by seq limit $3`,
      [filter.environment ?? null, filter.afterSeq ?? 0, filter.limit ?? null],
    );
    return rows.map(toEvent);
  }

  async tryLock(name: string, holder: LockHolder, ttlMs: number): Promise<LockAttempt> {
    return this.#write(async (tx, now): Promise<LockAttempt> => {
      const [row] = await tx.query('select * from locks where name = $1 for update', [name]);
      const current = row ? { lease: toLease(row), released: row['released_at'] !== null } : undefined;
      const decision = decideLock(current, holder, {
        now,
        host: hostname(),
        isProcessAlive: this.#isProcessAlive,
      });
      if (!decision.granted) return { acquired: false, heldBy: decision.heldBy };
      if (decision.takenOver) {
        await this.#insertEvent(tx, now, {
          type: 'lock.taken_over',
          data: { lock: name, from: decision.takenOver.from, reason: decision.takenOver.reason },
        });
      }
      const expiresAt = new Date(now.getTime() + ttlMs);
      const [stored] = await tx.query(
        `insert into locks (name, holder_id, holder, term, acquired_at, expires_at, released_at)
         values ($1, $2, $3, $4, $5, $6, null)
         on conflict (name) do update set holder_id = excluded.holder_id, holder = excluded.holder,
           term = excluded.term, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at,
           released_at = null
         returning *`,
        [name, holder.id, json(holder), decision.term, decision.acquiredAt, expiresAt],
      );
      return { acquired: true, lease: toLease(stored as PgRow) };
    });
  }

  async renewLock(name: string, holderId: string, ttlMs: number): Promise<boolean> {
    return this.#write(async (tx, now) => {
      const renewed = await tx.query(
        `update locks set expires_at = $1 where name = $2 and holder_id = $3 and released_at is null
         returning name`,
        [new Date(now.getTime() + ttlMs), name, holderId],
      );
      return renewed.length === 1;
    });
  }

  async unlock(name: string, holderId: string): Promise<void> {
    // The row stays (released) so the next holder's term follows this one's.
    await this.#write(async (tx, now) => {
      await tx.query(
        `update locks set released_at = $1, expires_at = $1
         where name = $2 and holder_id = $3 and released_at is null`,
        [now, name, holderId],
      );
    });
  }

  async getLock(name: string): Promise<LockLease | undefined> {
    const [row] = await this.#pool.query('select * from locks where name = $1 and released_at is null', [
      name,
    ]);
    return row ? toLease(row) : undefined;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #insertEvent(tx: PostgresTx, at: Date, event: NewEvent): Promise<EventRecord> {
    const [row] = await tx.query(
      `insert into events (at, type, environment, release_id, run_id, actor, data)
       values ($1, $2, $3, $4, $5, $6, $7) returning *`,
      [
        at,
        event.type,
        event.environment ?? null,
        event.releaseId ?? null,
        event.runId ?? null,
        event.actor ?? null,
        json(event.data),
      ],
    );
    return toEvent(row as PgRow);
  }

  /** Runs `body` in one transaction holding the store's write lock, with the time it runs at. */
  async #write<T>(body: (tx: PostgresTx, at: Date) => Promise<T>): Promise<T> {
    return this.#pool.transaction('state-writes', async (tx) => {
      const at = this.#now ? this.#now() : await databaseNow(tx);
      return body(tx, at);
    });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

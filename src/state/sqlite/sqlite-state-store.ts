/**
 * The SQLite state store: Slipway's embedded default, one file under the project's `.slipway/`.
 * WAL journal (readers never block the writer), a busy timeout so concurrent commands queue for
 * the write lock instead of failing, versioned migrations, and every multi-row change in one
 * `BEGIN IMMEDIATE` transaction. better-sqlite3 is synchronous; the async interface is for the
 * stores that are not.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage, SlipwayError } from '../../core/errors.js';
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
import { MIGRATIONS, type Migration } from './sqlite-migrations.js';
import {
  parseModels,
  type SqlRow,
  tablesOf,
  toEvent,
  toLease,
  toPhysical,
  toPointer,
  toRelease,
  toRun,
} from './sqlite-rows.js';

export interface SqliteStateStoreOptions {
  /** The database file (its folder is created), or `:memory:`. */
  readonly path: string;
  /** Current time; tests move it to expire leases. */
  readonly now?: () => Date;
  /** Whether a process of this host is alive (stale-lock detection). */
  readonly isProcessAlive?: (pid: number) => boolean;
  readonly migrations?: readonly Migration[];
}

/**
 * Opens (creating and migrating when needed) a SQLite state store.
 *
 * @example
 * const state = openSqliteStateStore({ path: '.slipway/state.db' });
 * const pointer = await state.getPointer('prod');
 * await state.close();
 */
export function openSqliteStateStore(options: SqliteStateStoreOptions): StateStore {
  return new SqliteStateStore(options);
}

export class SqliteStateStore implements StateStore {
  readonly #db: Database.Database;
  readonly #now: () => Date;
  readonly #isProcessAlive: (pid: number) => boolean;
  #closed = false;

  constructor(options: SqliteStateStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(path.dirname(options.path), { recursive: true });
    try {
      this.#db = new Database(options.path, { timeout: 10_000 });
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#db.pragma('foreign_keys = ON');
    } catch (error) {
      throw stateError(`cannot open the state store ${options.path}`, error);
    }
    this.#now = options.now ?? (() => new Date());
    this.#isProcessAlive = options.isProcessAlive ?? processAlive;
    migrate(this.#db, options.migrations ?? MIGRATIONS);
  }

  /** The schema version this file is at (the newest migration applied). */
  get schemaVersion(): number {
    const row = this.#db.prepare('select max(version) as v from schema_migrations').get() as SqlRow;
    return Number(row['v'] ?? 0);
  }

  get journalMode(): string {
    return String(this.#db.pragma('journal_mode', { simple: true }));
  }

  async createRelease(release: NewRelease): Promise<ReleaseRecord> {
    const at = this.#stamp();
    // Untraced releases leave the column out, so a file at an older schema version still takes them.
    const traced = release.traceId !== undefined;
    this.#write(() => {
      const seq = Number(
        (this.#db.prepare('select coalesce(max(seq), 0) + 1 as s from releases').get() as SqlRow)['s'],
      );
      this.#db
        .prepare(
          `insert into releases (id, seq, environment, kind, strategy, status, commit_sha, commit_author,
             commit_time, commit_message, actor, models, plan, previous_release_id, source, created_at${traced ? ', trace_id' : ''})
           values (?, ?, ?, ?, ?, 'building', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?${traced ? ', ?' : ''})`,
        )
        .run(
          release.id,
          seq,
          release.environment,
          release.kind,
          release.strategy,
          release.commit?.sha ?? null,
          release.commit?.author ?? null,
          release.commit?.time ?? null,
          release.commit?.message ?? null,
          release.actor,
          JSON.stringify(release.models),
          JSON.stringify(release.plan ?? null),
          release.previousReleaseId ?? null,
          release.source ?? null,
          at,
          ...(traced ? [release.traceId] : []),
        );
      this.#insertEvent({
        type: 'release.started',
        environment: release.environment,
        releaseId: release.id,
        actor: release.actor,
        data: { kind: release.kind, strategy: release.strategy, commit: release.commit?.sha ?? null },
      });
    });
    return (await this.getRelease(release.id)) as ReleaseRecord;
  }

  async getRelease(id: string): Promise<ReleaseRecord | undefined> {
    const row = this.#read(() => this.#db.prepare('select * from releases where id = ?').get(id)) as
      | SqlRow
      | undefined;
    return row ? toRelease(row) : undefined;
  }

  async listReleases(
    filter: { readonly environment?: string; readonly limit?: number } = {},
  ): Promise<ReleaseRecord[]> {
    const rows = this.#read(() =>
      this.#db
        .prepare(
          'select * from releases where (@env is null or environment = @env) order by seq desc limit @limit',
        )
        .all({ env: filter.environment ?? null, limit: filter.limit ?? -1 }),
    ) as SqlRow[];
    return rows.map(toRelease);
  }

  async unfinishedReleases(environment: string): Promise<ReleaseRecord[]> {
    const rows = this.#read(() =>
      this.#db
        .prepare(
          `select * from releases where environment = ? and status in ('building', 'switching') order by seq`,
        )
        .all(environment),
    ) as SqlRow[];
    return rows.map(toRelease);
  }

  async setReleaseStatus(
    id: string,
    status: ReleaseStatus,
    details: { readonly error?: string; readonly timings?: Readonly<Record<string, number>> } = {},
  ): Promise<void> {
    const at = this.#stamp();
    this.#write(() => {
      const row = this.#db.prepare('select environment, actor, timings from releases where id = ?').get(id) as
        | SqlRow
        | undefined;
      if (!row) throw new SlipwayError('not_found', `no release '${id}'`);
      const finished = status === 'failed' || status === 'abandoned' || status === 'succeeded';
      const timings = { ...JSON.parse(String(row['timings'])), ...(details.timings ?? {}) };
      this.#db
        .prepare(
          `update releases set status = ?, error = coalesce(?, error), timings = ?,
             finished_at = case when ? then ? else finished_at end where id = ?`,
        )
        .run(status, details.error ?? null, JSON.stringify(timings), finished ? 1 : 0, at, id);
      this.#insertEvent({
        type: `release.${status}`,
        environment: String(row['environment']),
        releaseId: id,
        actor: String(row['actor']),
        data: details.error === undefined ? null : { error: details.error },
      });
    });
  }

  async completeRelease(change: SwitchPointer): Promise<void> {
    const at = this.#stamp();
    this.#write(() => {
      const release = this.#db
        .prepare('select actor, kind, timings from releases where id = ?')
        .get(change.releaseId) as SqlRow | undefined;
      if (!release) throw new SlipwayError('not_found', `no release '${change.releaseId}'`);
      const previous = this.#db
        .prepare('select release_id, models from environments where name = ?')
        .get(change.environment) as SqlRow | undefined;
      const before = new Set(tablesOf(previous ? parseModels(previous['models']) : {}));
      const after = new Set(tablesOf(change.models));
      const adjust = this.#db.prepare(
        'update physical_tables set refcount = max(refcount + ?, 0) where name = ?',
      );
      for (const table of before) if (!after.has(table)) adjust.run(-1, table);
      for (const table of after) if (!before.has(table)) adjust.run(1, table);
      this.#db
        .prepare(
          `insert into environments (name, release_id, models, updated_at) values (?, ?, ?, ?)
           on conflict (name) do update set release_id = excluded.release_id, models = excluded.models,
             updated_at = excluded.updated_at`,
        )
        .run(change.environment, change.releaseId, JSON.stringify(change.models), at);
      const timings = { ...JSON.parse(String(release['timings'])), ...(change.timings ?? {}) };
      this.#db
        .prepare(
          `update releases set status = 'succeeded', switched_at = ?, finished_at = ?, timings = ?
           where id = ?`,
        )
        .run(change.switchedAt, at, JSON.stringify(timings), change.releaseId);
      this.#insertEvent({
        type: 'release.succeeded',
        environment: change.environment,
        releaseId: change.releaseId,
        actor: String(release['actor']),
        data: { switchedAt: change.switchedAt, models: Object.keys(change.models).length },
      });
      const replaced = previous === undefined ? undefined : String(previous['release_id']);
      if (release['kind'] === 'rollback' && replaced !== undefined && replaced !== change.releaseId) {
        const reason = change.reason ?? `rolled back by ${String(release['actor'])}`;
        const marked = this.#db
          .prepare(
            `update releases set status = 'rolled_back', rolled_back_by = ?, rollback_reason = ?
             where id = ? and status = 'succeeded'`,
          )
          .run(change.releaseId, reason, replaced);
        if (marked.changes > 0) {
          this.#insertEvent({
            type: 'release.rolled_back',
            environment: change.environment,
            releaseId: replaced,
            actor: String(release['actor']),
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
    const at = this.#stamp();
    this.#write(() => {
      const changed = this.#db
        .prepare(
          `update releases set verification_status = ?, verification_summary = ?,
             verification_due_at = coalesce(?, verification_due_at, ?), verified_at = ?
           where id = ?`,
        )
        .run(verification.status, verification.summary ?? null, verification.dueAt ?? null, at, at, id);
      if (changed.changes === 0) throw new SlipwayError('not_found', `no release '${id}'`);
    });
  }

  async getPointer(environment: string): Promise<EnvironmentPointer | undefined> {
    const row = this.#read(() =>
      this.#db.prepare('select * from environments where name = ?').get(environment),
    ) as SqlRow | undefined;
    return row ? toPointer(row) : undefined;
  }

  async listPointers(): Promise<EnvironmentPointer[]> {
    const rows = this.#read(() =>
      this.#db.prepare('select * from environments order by name').all(),
    ) as SqlRow[];
    return rows.map(toPointer);
  }

  async putModelVersions(versions: readonly Omit<ModelVersionRecord, 'createdAt'>[]): Promise<void> {
    const at = this.#stamp();
    this.#write(() => {
      const insert = this.#db.prepare(
        `insert into model_versions (fingerprint, model, definition, created_at) values (?, ?, ?, ?)
         on conflict (fingerprint) do nothing`,
      );
      for (const v of versions) insert.run(v.fingerprint, v.model, JSON.stringify(v.definition), at);
    });
  }

  async getModelVersions(fingerprints: readonly string[]): Promise<Map<string, ModelVersionRecord>> {
    const out = new Map<string, ModelVersionRecord>();
    const select = this.#db.prepare('select * from model_versions where fingerprint = ?');
    this.#read(() => {
      for (const fp of new Set(fingerprints)) {
        const row = select.get(fp) as SqlRow | undefined;
        if (row)
          out.set(fp, {
            fingerprint: String(row['fingerprint']),
            model: String(row['model']),
            definition: JSON.parse(String(row['definition'])),
            createdAt: String(row['created_at']),
          });
      }
    });
    return out;
  }

  async markPhysicalBuilding(table: {
    readonly name: string;
    readonly model: string;
    readonly fingerprint: string;
    readonly kind: PhysicalTableRecord['kind'];
  }): Promise<void> {
    const at = this.#stamp();
    this.#write(() => {
      this.#db
        .prepare(
          `insert into physical_tables (name, model, fingerprint, kind, status, created_at)
           values (?, ?, ?, ?, 'building', ?)
           on conflict (name) do update set status = 'building', built_at = null`,
        )
        .run(table.name, table.model, table.fingerprint, table.kind, at);
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
    const at = this.#stamp();
    this.#write(() => {
      const changed = this.#db
        .prepare(
          `update physical_tables set status = 'built', rows = ?, columns = ?, build_ms = ?, built_at = ?
           where name = ?`,
        )
        .run(
          details.rows ?? null,
          details.columns === undefined ? null : JSON.stringify(details.columns),
          details.buildMs,
          at,
          name,
        );
      if (changed.changes === 0)
        throw new SlipwayError('not_found', `no physical table '${name}' is recorded`);
    });
  }

  async getPhysicalTables(names?: readonly string[]): Promise<PhysicalTableRecord[]> {
    const rows = this.#read(() => {
      if (names === undefined) return this.#db.prepare('select * from physical_tables order by name').all();
      const select = this.#db.prepare('select * from physical_tables where name = ?');
      return [...new Set(names)].map((n) => select.get(n)).filter((r) => r !== undefined);
    }) as SqlRow[];
    return rows.map(toPhysical);
  }

  async deletePhysicalTable(name: string): Promise<void> {
    this.#write(() => {
      this.#db.prepare('delete from physical_tables where name = ?').run(name);
      this.#insertEvent({ type: 'physical.dropped', data: { table: name } });
    });
  }

  async createRun(run: {
    readonly id: string;
    readonly environment: string;
    readonly releaseId: string;
    readonly actor: string;
  }): Promise<RunRecord> {
    const at = this.#stamp();
    this.#write(() => {
      this.#db
        .prepare(
          `insert into runs (id, environment, release_id, status, actor, started_at)
           values (?, ?, ?, 'running', ?, ?)`,
        )
        .run(run.id, run.environment, run.releaseId, run.actor, at);
      this.#insertEvent({
        type: 'run.started',
        environment: run.environment,
        releaseId: run.releaseId,
        runId: run.id,
        actor: run.actor,
      });
    });
    return (await this.listRuns({ environment: run.environment, limit: 1 }))[0] as RunRecord;
  }

  async finishRun(
    id: string,
    outcome: { readonly status: 'succeeded' | 'failed'; readonly models: unknown; readonly error?: string },
  ): Promise<void> {
    const at = this.#stamp();
    this.#write(() => {
      const row = this.#db.prepare('select environment, release_id, actor from runs where id = ?').get(id) as
        | SqlRow
        | undefined;
      if (!row) throw new SlipwayError('not_found', `no run '${id}'`);
      this.#db
        .prepare('update runs set status = ?, models = ?, error = ?, finished_at = ? where id = ?')
        .run(outcome.status, JSON.stringify(outcome.models ?? null), outcome.error ?? null, at, id);
      this.#insertEvent({
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
    const rows = this.#read(() =>
      this.#db
        .prepare(
          `select * from runs where (@env is null or environment = @env)
           order by started_at desc, rowid desc limit @limit`,
        )
        .all({ env: filter.environment ?? null, limit: filter.limit ?? -1 }),
    ) as SqlRow[];
    return rows.map(toRun);
  }

  async appendEvent(event: NewEvent): Promise<EventRecord> {
    let seq = 0;
    this.#write(() => {
      seq = this.#insertEvent(event);
    });
    const row = this.#db.prepare('select * from events where seq = ?').get(seq) as SqlRow;
    return toEvent(row);
  }

  async listEvents(
    filter: { readonly environment?: string; readonly afterSeq?: number; readonly limit?: number } = {},
  ): Promise<EventRecord[]> {
    const rows = this.#read(() =>
      this.#db
        .prepare(
          `select * from events where (@env is null or environment = @env) and seq > @after
           order by seq limit @limit`,
        )
        .all({ env: filter.environment ?? null, after: filter.afterSeq ?? 0, limit: filter.limit ?? -1 }),
    ) as SqlRow[];
    return rows.map(toEvent);
  }

  async tryLock(name: string, holder: LockHolder, ttlMs: number): Promise<LockAttempt> {
    const now = this.#now();
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    return this.#write((): LockAttempt => {
      const row = this.#db.prepare('select * from locks where name = ?').get(name) as SqlRow | undefined;
      const current = row ? { lease: toLease(row), released: row['released_at'] !== null } : undefined;
      const decision = decideLock(current, holder, {
        now,
        host: hostname(),
        isProcessAlive: this.#isProcessAlive,
      });
      if (!decision.granted) return { acquired: false, heldBy: decision.heldBy };
      if (decision.takenOver) {
        this.#insertEvent({
          type: 'lock.taken_over',
          data: { lock: name, from: decision.takenOver.from, reason: decision.takenOver.reason },
        });
      }
      const { term, acquiredAt } = decision;
      this.#db
        .prepare(
          `insert into locks (name, holder_id, holder, term, acquired_at, expires_at, released_at)
           values (?, ?, ?, ?, ?, ?, null)
           on conflict (name) do update set holder_id = excluded.holder_id, holder = excluded.holder,
             term = excluded.term, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at,
             released_at = null`,
        )
        .run(name, holder.id, JSON.stringify(holder), term, acquiredAt, expiresAt);
      return { acquired: true, lease: { name, holder, term, acquiredAt, expiresAt } };
    });
  }

  async renewLock(name: string, holderId: string, ttlMs: number): Promise<boolean> {
    const expiresAt = new Date(this.#now().getTime() + ttlMs).toISOString();
    return this.#write(
      () =>
        this.#db
          .prepare('update locks set expires_at = ? where name = ? and holder_id = ? and released_at is null')
          .run(expiresAt, name, holderId).changes === 1,
    );
  }

  async unlock(name: string, holderId: string): Promise<void> {
    const at = this.#stamp();
    // The row stays (released) so the next holder's term follows this one's.
    this.#write(() => {
      this.#db
        .prepare(
          `update locks set released_at = ?, expires_at = ?
           where name = ? and holder_id = ? and released_at is null`,
        )
        .run(at, at, name, holderId);
    });
  }

  async getLock(name: string): Promise<LockLease | undefined> {
    const row = this.#read(() =>
      this.#db.prepare('select * from locks where name = ? and released_at is null').get(name),
    ) as SqlRow | undefined;
    return row ? toLease(row) : undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #stamp(): string {
    return this.#now().toISOString();
  }

  #insertEvent(event: NewEvent): number {
    const result = this.#db
      .prepare(
        'insert into events (at, type, environment, release_id, run_id, actor, data) values (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        this.#stamp(),
        event.type,
        event.environment ?? null,
        event.releaseId ?? null,
        event.runId ?? null,
        event.actor ?? null,
        JSON.stringify(event.data ?? null),
      );
    return Number(result.lastInsertRowid);
  }

  #ensureOpen(): void {
    if (this.#closed) throw new SlipwayError('state', 'the state store is closed');
  }

  #read<T>(body: () => T): T {
    this.#ensureOpen();
    try {
      return body();
    } catch (error) {
      throw error instanceof SlipwayError ? error : stateError('state store read failed', error);
    }
  }

  /** Runs `body` in a `BEGIN IMMEDIATE` transaction: it takes the write lock up front. */
  #write<T>(body: () => T): T {
    this.#ensureOpen();
    try {
      return this.#db.transaction(body).immediate();
    } catch (error) {
      throw error instanceof SlipwayError ? error : stateError('state store write failed', error);
    }
  }
}

function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  db.exec(
    'create table if not exists schema_migrations (version integer primary key, name text not null, applied_at text not null)',
  );
  const applied = new Set(
    (db.prepare('select version from schema_migrations').all() as SqlRow[]).map((r) => Number(r['version'])),
  );
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new SlipwayError(
      'state',
      `the state store is at schema version ${newest}, newer than this Slipway knows (${known})`,
      { hint: 'upgrade Slipway' },
    );
  }
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('insert into schema_migrations (version, name, applied_at) values (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    }).immediate();
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

function stateError(message: string, cause: unknown): SlipwayError {
  return new SlipwayError('state', `${message}: ${errorMessage(cause)}`, {
    cause,
  });
}

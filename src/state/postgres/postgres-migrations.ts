/**
 * The PostgreSQL state schema, as numbered migrations, in its own schema (`slipway_state`) so a
 * database shared with a warehouse or other tools keeps Slipway's tables apart. Every store that
 * opens the database (state store, operator store, leader lease) runs `migratePostgres`: all
 * pending migrations in one transaction under an advisory lock, so two processes starting at once
 * apply each migration once and neither sees half a schema. A database at a newer version than
 * this Slipway knows is refused rather than guessed at.
 *
 * Types are PostgreSQL's own (timestamptz, json, bigint identities); `json` rather than `jsonb`
 * keeps the key order the writer used, as the SQLite store does.
 */
import { SlipwayError } from '../../core/errors.js';
import type { PostgresPool } from './postgres-pool.js';

export interface PostgresMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const STATE_SCHEMA = 'slipway_state';

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'releases, pointers, physical tables, runs, events, locks',
    sql: `
      create table releases (
        id text primary key,
        seq bigint generated always as identity unique,
        environment text not null,
        kind text not null,
        strategy text not null,
        status text not null,
        commit_sha text,
        commit_author text,
        commit_time text,
        commit_message text,
        actor text not null,
        models json not null,
        plan json,
        previous_release_id text,
        source text,
        error text,
        timings json not null default '{}',
        created_at timestamptz not null,
        switched_at timestamptz,
        finished_at timestamptz,
        verification_status text,
        verification_summary text,
        verification_due_at timestamptz,
        verified_at timestamptz,
        rolled_back_by text,
        rollback_reason text
      );
      create index releases_by_environment on releases (environment, seq);

      create table environments (
        name text primary key,
        release_id text not null references releases (id),
        models json not null,
        updated_at timestamptz not null
      );

      create table model_versions (
        fingerprint text primary key,
        model text not null,
        definition json,
        created_at timestamptz not null
      );

      create table physical_tables (
        name text primary key,
        model text not null,
        fingerprint text not null,
        kind text not null,
        status text not null,
        refcount integer not null default 0 check (refcount >= 0),
        rows bigint,
        columns json,
        build_ms double precision,
        created_at timestamptz not null,
        built_at timestamptz
      );

      create table runs (
        id text primary key,
        seq bigint generated always as identity,
        environment text not null,
        release_id text not null,
        status text not null,
        actor text not null,
        models json,
        error text,
        started_at timestamptz not null,
        finished_at timestamptz
      );
      create index runs_by_environment on runs (environment, started_at);

      create table events (
        seq bigint generated always as identity primary key,
        at timestamptz not null,
        type text not null,
        environment text,
        release_id text,
        run_id text,
        actor text,
        data json
      );
      create index events_by_environment on events (environment, seq);
      create function events_are_append_only() returns trigger language plpgsql as $$
        begin raise exception 'events are append-only'; end;
      $$;
      create trigger events_are_append_only before update or delete on events
        for each statement execute function events_are_append_only();

      create table locks (
        name text primary key,
        holder_id text not null,
        holder json not null,
        term bigint not null,
        acquired_at timestamptz not null,
        expires_at timestamptz not null,
        released_at timestamptz
      );
    `,
  },
  {
    version: 2,
    name: 'operator store and leader lease',
    sql: `
      create table leases (
        name text primary key,
        holder text not null,
        expires_at timestamptz not null,
        term bigint not null
      );
      create table operator_values (key text primary key, value json not null);
      create table operator_release_meta (
        release_id text primary key,
        trigger text not null,
        pull_request integer,
        message text
      );
      create table operator_check_results (
        id text primary key,
        environment text not null,
        release_id text,
        check_id text not null,
        severity text not null,
        status text not null,
        observed text,
        at text not null
      );
      create index operator_check_results_release on operator_check_results (release_id);
    `,
  },
  {
    version: 3,
    name: 'release trace ids',
    // The W3C trace id of the trace that shows the release (null for releases before tracing).
    sql: `
      alter table releases add column trace_id text;
    `,
  },
];

/**
 * Brings the database's `slipway_state` schema up to `migrations`, once, however many processes
 * call it at the same time.
 */
export async function migratePostgres(
  pool: PostgresPool,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number> {
  return pool.transaction('migrations', async (tx) => {
    await tx.query(`create schema if not exists ${STATE_SCHEMA}`);
    await tx.query(
      `create table if not exists schema_migrations (
         version integer primary key, name text not null, applied_at timestamptz not null default now()
       )`,
    );
    const applied = new Set(
      (await tx.query('select version from schema_migrations')).map((r) => Number(r['version'])),
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
      await tx.query(migration.sql);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [
        migration.version,
        migration.name,
      ]);
    }
    return Math.max(newest, known);
  });
}

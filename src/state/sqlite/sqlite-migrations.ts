/**
 * The SQLite state store's schema, as numbered migrations. Each runs once, in its own
 * transaction, and is recorded in `schema_migrations`; a store opened by an older Slipway than the
 * file's newest migration refuses to run rather than guess.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'releases, pointers, physical tables, runs, events, locks',
    sql: `
      create table releases (
        id text primary key,
        seq integer not null unique,
        environment text not null,
        kind text not null,
        strategy text not null,
        status text not null,
        commit_sha text,
        commit_author text,
        commit_time text,
        commit_message text,
        actor text not null,
        models text not null,
        plan text not null,
        previous_release_id text,
        source text,
        error text,
        timings text not null default '{}',
        created_at text not null,
        switched_at text,
        finished_at text
      );
      create index releases_by_environment on releases (environment, seq);

      create table environments (
        name text primary key,
        release_id text not null references releases (id),
        models text not null,
        updated_at text not null
      );

      create table model_versions (
        fingerprint text primary key,
        model text not null,
        definition text not null,
        created_at text not null
      );

      create table physical_tables (
        name text primary key,
        model text not null,
        fingerprint text not null,
        kind text not null,
        status text not null,
        refcount integer not null default 0 check (refcount >= 0),
        rows integer,
        columns text,
        build_ms real,
        created_at text not null,
        built_at text
      );

      create table runs (
        id text primary key,
        environment text not null,
        release_id text not null,
        status text not null,
        actor text not null,
        models text not null default 'null',
        error text,
        started_at text not null,
        finished_at text
      );
      create index runs_by_environment on runs (environment, started_at);

      create table events (
        seq integer primary key autoincrement,
        at text not null,
        type text not null,
        environment text,
        release_id text,
        run_id text,
        actor text,
        data text not null default 'null'
      );
      create index events_by_environment on events (environment, seq);
      create trigger events_are_append_only_update before update on events
        begin select raise(abort, 'events are append-only'); end;
      create trigger events_are_append_only_delete before delete on events
        begin select raise(abort, 'events are append-only'); end;

      create table locks (
        name text primary key,
        holder_id text not null,
        holder text not null,
        acquired_at text not null,
        expires_at text not null
      );
    `,
  },
  {
    version: 2,
    name: 'release verification and rollbacks',
    // A release's post-deploy verification, and for a release a rollback replaced: which one
    // and why (status rolled_back). Releases rolled back before this version are marked so too,
    // by the rollback that replaced them, with its actor as the reason.
    sql: `
      alter table releases add column verification_status text;
      alter table releases add column verification_summary text;
      alter table releases add column verification_due_at text;
      alter table releases add column verified_at text;
      alter table releases add column rolled_back_by text;
      alter table releases add column rollback_reason text;

      create temporary table replaced_by as
        select old.id as id, (
          select next.id from releases next
          where next.previous_release_id = old.id and next.status = 'succeeded'
          order by next.seq limit 1
        ) as next_id
        from releases old where old.status = 'succeeded';
      update releases set
        status = 'rolled_back',
        rolled_back_by = (select r.next_id from replaced_by r where r.id = releases.id),
        rollback_reason = 'rolled back by ' || (
          select next.actor from replaced_by r join releases next on next.id = r.next_id
          where r.id = releases.id
        )
      where id in (
        select r.id from replaced_by r join releases next on next.id = r.next_id
        where next.kind = 'rollback'
      );
      drop table replaced_by;
    `,
  },
  {
    version: 3,
    name: 'locks are fenced leases',
    // A fencing term per lock, and unlock keeps the row (released) so the term keeps counting
    // up across holders instead of restarting at 1.
    sql: `
      alter table locks add column term integer not null default 1;
      alter table locks add column released_at text;
    `,
  },
  {
    version: 4,
    name: 'release trace ids',
    // The W3C trace id of the trace that shows the release (null for releases before tracing).
    sql: `
      alter table releases add column trace_id text;
    `,
  },
];

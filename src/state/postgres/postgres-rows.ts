/**
 * Rows of the PostgreSQL state store turned into the state store's records: timestamps (pg gives
 * `Date`s) to ISO strings, bigints (pg gives strings) to numbers, NULLs to undefined. `json`
 * columns arrive parsed. Kept apart from the store so the queries read on their own.
 */
import type {
  EnvironmentModels,
  EnvironmentPointer,
  ReleaseRecord,
  ReleaseStatus,
  VerificationStatus,
} from '../../core/release.js';
import type { EventRecord, LockHolder, LockLease, PhysicalTableRecord, RunRecord } from '../state-store.js';
import type { PgRow } from './postgres-pool.js';

export function tablesOf(models: EnvironmentModels): string[] {
  return Object.values(models).map((m) => m.table);
}

const opt = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

/** A timestamptz (or a text time) as the ISO string the SQLite store writes. */
export function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

const optIso = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : iso(v));
const optNumber = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

export function toRelease(row: PgRow): ReleaseRecord {
  const sha = opt(row['commit_sha']);
  const message = opt(row['commit_message']);
  const verification = opt(row['verification_status']);
  const rolledBackBy = opt(row['rolled_back_by']);
  return {
    id: String(row['id']),
    environment: String(row['environment']),
    kind: String(row['kind']) as ReleaseRecord['kind'],
    strategy: String(row['strategy']) as ReleaseRecord['strategy'],
    status: String(row['status']) as ReleaseStatus,
    commit:
      sha === undefined
        ? undefined
        : {
            sha,
            author: String(row['commit_author'] ?? ''),
            time: String(row['commit_time'] ?? ''),
            ...(message === undefined ? {} : { message }),
          },
    actor: String(row['actor']),
    models: row['models'] as EnvironmentModels,
    plan: row['plan'] ?? null,
    previousReleaseId: opt(row['previous_release_id']),
    source: opt(row['source']),
    traceId: opt(row['trace_id']),
    error: opt(row['error']),
    createdAt: iso(row['created_at']),
    switchedAt: optIso(row['switched_at']),
    finishedAt: optIso(row['finished_at']),
    timings: (row['timings'] ?? {}) as Record<string, number>,
    verification:
      verification === undefined
        ? undefined
        : {
            status: verification as VerificationStatus,
            summary: opt(row['verification_summary']),
            dueAt: iso(row['verification_due_at']),
            at: iso(row['verified_at']),
          },
    rolledBack:
      rolledBackBy === undefined
        ? undefined
        : { by: rolledBackBy, reason: String(row['rollback_reason'] ?? '') },
  };
}

export function toPointer(row: PgRow): EnvironmentPointer {
  return {
    environment: String(row['name']),
    releaseId: String(row['release_id']),
    models: row['models'] as EnvironmentModels,
    updatedAt: iso(row['updated_at']),
  };
}

export function toPhysical(row: PgRow): PhysicalTableRecord {
  return {
    name: String(row['name']),
    model: String(row['model']),
    fingerprint: String(row['fingerprint']),
    kind: String(row['kind']) as PhysicalTableRecord['kind'],
    status: String(row['status']) as PhysicalTableRecord['status'],
    refcount: Number(row['refcount']),
    rows: optNumber(row['rows']),
    columns: (row['columns'] ?? undefined) as PhysicalTableRecord['columns'],
    buildMs: optNumber(row['build_ms']),
    createdAt: iso(row['created_at']),
    builtAt: optIso(row['built_at']),
  };
}

export function toRun(row: PgRow): RunRecord {
  return {
    id: String(row['id']),
    environment: String(row['environment']),
    releaseId: String(row['release_id']),
    status: String(row['status']) as RunRecord['status'],
    actor: String(row['actor']),
    models: row['models'] ?? null,
    error: opt(row['error']),
    startedAt: iso(row['started_at']),
    finishedAt: optIso(row['finished_at']),
  };
}

export function toEvent(row: PgRow): EventRecord {
  return {
    seq: Number(row['seq']),
    at: iso(row['at']),
    type: String(row['type']),
    environment: opt(row['environment']),
    releaseId: opt(row['release_id']),
    runId: opt(row['run_id']),
    actor: opt(row['actor']),
    data: row['data'] ?? null,
  };
}

export function toLease(row: PgRow): LockLease {
  return {
    name: String(row['name']),
    holder: row['holder'] as LockHolder,
    term: Number(row['term']),
    acquiredAt: iso(row['acquired_at']),
    expiresAt: iso(row['expires_at']),
  };
}

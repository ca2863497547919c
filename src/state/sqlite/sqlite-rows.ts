/**
 * Rows of the SQLite state store turned into the state store's records (JSON columns parsed,
 * NULLs to undefined). Kept apart from the store so the queries read on their own.
 */
import type {
  EnvironmentModels,
  EnvironmentPointer,
  ReleaseRecord,
  ReleaseStatus,
  VerificationStatus,
} from '../../core/release.js';
import type { EventRecord, LockHolder, LockLease, PhysicalTableRecord, RunRecord } from '../state-store.js';

export type SqlRow = Record<string, unknown>;

export function parseModels(value: unknown): EnvironmentModels {
  return JSON.parse(String(value)) as EnvironmentModels;
}

export function tablesOf(models: EnvironmentModels): string[] {
  return Object.values(models).map((m) => m.table);
}

const opt = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

export function toRelease(row: SqlRow): ReleaseRecord {
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
    models: parseModels(row['models']),
    plan: JSON.parse(String(row['plan'])),
    previousReleaseId: opt(row['previous_release_id']),
    source: opt(row['source']),
    traceId: opt(row['trace_id']),
    error: opt(row['error']),
    createdAt: String(row['created_at']),
    switchedAt: opt(row['switched_at']),
    finishedAt: opt(row['finished_at']),
    timings: JSON.parse(String(row['timings'])) as Record<string, number>,
    verification:
      verification === undefined
        ? undefined
        : {
            status: verification as VerificationStatus,
            summary: opt(row['verification_summary']),
            dueAt: String(row['verification_due_at']),
            at: String(row['verified_at']),
          },
    rolledBack:
      rolledBackBy === undefined
        ? undefined
        : { by: rolledBackBy, reason: String(row['rollback_reason'] ?? '') },
  };
}

export function toPointer(row: SqlRow): EnvironmentPointer {
  return {
    environment: String(row['name']),
    releaseId: String(row['release_id']),
    models: parseModels(row['models']),
    updatedAt: String(row['updated_at']),
  };
}

export function toPhysical(row: SqlRow): PhysicalTableRecord {
  const columns = opt(row['columns']);
  return {
    name: String(row['name']),
    model: String(row['model']),
    fingerprint: String(row['fingerprint']),
    kind: String(row['kind']) as PhysicalTableRecord['kind'],
    status: String(row['status']) as PhysicalTableRecord['status'],
    refcount: Number(row['refcount']),
    rows: row['rows'] === null ? undefined : Number(row['rows']),
    columns: columns === undefined ? undefined : (JSON.parse(columns) as PhysicalTableRecord['columns']),
    buildMs: row['build_ms'] === null ? undefined : Number(row['build_ms']),
    createdAt: String(row['created_at']),
    builtAt: opt(row['built_at']),
  };
}

export function toRun(row: SqlRow): RunRecord {
  return {
    id: String(row['id']),
    environment: String(row['environment']),
    releaseId: String(row['release_id']),
    status: String(row['status']) as RunRecord['status'],
    actor: String(row['actor']),
    models: JSON.parse(String(row['models'])),
    error: opt(row['error']),
    startedAt: String(row['started_at']),
    finishedAt: opt(row['finished_at']),
  };
}

export function toEvent(row: SqlRow): EventRecord {
  return {
    seq: Number(row['seq']),
    at: String(row['at']),
    type: String(row['type']),
    environment: opt(row['environment']),
    releaseId: opt(row['release_id']),
    runId: opt(row['run_id']),
    actor: opt(row['actor']),
    data: JSON.parse(String(row['data'])),
  };
}

export function toLease(row: SqlRow): LockLease {
  return {
    name: String(row['name']),
    holder: JSON.parse(String(row['holder'])) as LockHolder,
    term: Number(row['term']),
    acquiredAt: String(row['acquired_at']),
    expiresAt: String(row['expires_at']),
  };
}

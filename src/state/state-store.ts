/**
 * The state store seam: what Slipway remembers between commands. Releases, the pointer of each
 * environment (which physical table each of its models shows), the physical tables with their
 * reference counts, model versions (the definition behind a fingerprint, for plans and runs),
 * runs, an append-only event log and locks held as leases. SQLite is the embedded default
 * (`src/state/sqlite/`); a PostgreSQL store implements the same interface and runs the same
 * contract suite (`test/state/state-store-contract.ts`).
 *
 * Methods are async even where SQLite is synchronous, so a networked store fits the same seam.
 * Every method that changes more than one row does so in one transaction.
 */
import type { ReleaseCommit } from '../core/commit.js';
import type {
  EnvironmentModels,
  EnvironmentPointer,
  ReleaseKind,
  ReleaseRecord,
  ReleaseStatus,
  ReleaseStrategy,
  VerificationStatus,
} from '../core/release.js';

export interface NewRelease {
  readonly id: string;
  readonly environment: string;
  readonly kind: ReleaseKind;
  readonly strategy: ReleaseStrategy;
  readonly commit: ReleaseCommit | undefined;
  readonly actor: string;
  readonly models: EnvironmentModels;
  readonly plan: unknown;
  readonly previousReleaseId: string | undefined;
  readonly source?: string;
  /** The W3C trace id of the release's trace (its root span), when traced. */
  readonly traceId?: string;
}

/** The definition behind a fingerprint: enough to diff it, classify a change and re-run it. */
export interface ModelVersionRecord {
  readonly fingerprint: string;
  readonly model: string;
  readonly definition: unknown;
  readonly createdAt: string;
}

export type PhysicalStatus = 'building' | 'built';

export interface PhysicalTableRecord {
  readonly name: string;
  readonly model: string;
  readonly fingerprint: string;
  readonly kind: 'view' | 'table' | 'incremental';
  readonly status: PhysicalStatus;
  /** How many environment pointers reference the table now. */
  readonly refcount: number;
  readonly rows: number | undefined;
  readonly columns: readonly { readonly name: string; readonly type: string }[] | undefined;
  readonly buildMs: number | undefined;
  readonly createdAt: string;
  readonly builtAt: string | undefined;
}

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface RunRecord {
  readonly id: string;
  readonly environment: string;
  readonly releaseId: string;
  readonly status: RunStatus;
  readonly actor: string;
  /** Per model: what the run did (rows added, rebuilt, skipped). */
  readonly models: unknown;
  readonly error: string | undefined;
  readonly startedAt: string;
  readonly finishedAt: string | undefined;
}

export interface EventRecord {
  readonly seq: number;
  readonly at: string;
  readonly type: string;
  readonly environment: string | undefined;
  readonly releaseId: string | undefined;
  readonly runId: string | undefined;
  readonly actor: string | undefined;
  readonly data: unknown;
}

export interface NewEvent {
  readonly type: string;
  readonly environment?: string;
  readonly releaseId?: string;
  readonly runId?: string;
  readonly actor?: string;
  readonly data?: unknown;
}

/** Who holds a lock: shown to the one who could not take it. */
export interface LockHolder {
  readonly id: string;
  readonly pid: number;
  readonly host: string;
  readonly user: string;
  readonly purpose: string;
}

/**
 * A lock is a lease: held until `expiresAt` (by the store's clock) unless renewed, and stamped
 * with a fencing `term` that grows by one whenever the lock changes hands (a renewal keeps it).
 */
export interface LockLease {
  readonly name: string;
  readonly holder: LockHolder;
  readonly term: number;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

export type LockAttempt =
  | { readonly acquired: true; readonly lease: LockLease }
  | { readonly acquired: false; readonly heldBy: LockLease };

export interface SwitchPointer {
  readonly environment: string;
  readonly releaseId: string;
  readonly models: EnvironmentModels;
  readonly switchedAt: string;
  readonly timings?: Readonly<Record<string, number>>;
  /** For a rollback: why, recorded on the release it rolls back (default `rolled back by <actor>`). */
  readonly reason?: string;
}

export interface StateStore {
  // Releases
  createRelease(release: NewRelease): Promise<ReleaseRecord>;
  getRelease(id: string): Promise<ReleaseRecord | undefined>;
  /** Newest first. */
  listReleases(filter?: { readonly environment?: string; readonly limit?: number }): Promise<ReleaseRecord[]>;
  /** Releases of the environment not yet finished (building or switching), oldest first. */
  unfinishedReleases(environment: string): Promise<ReleaseRecord[]>;
  setReleaseStatus(
    id: string,
    status: ReleaseStatus,
    details?: { readonly error?: string; readonly timings?: Readonly<Record<string, number>> },
  ): Promise<void>;
  /**
   * The release's commit point in the state store, in one transaction: the environment's pointer
   * moves to the release's models, reference counts follow, the release is marked succeeded and
   * an event is appended. A rollback also marks the release it replaces `rolled_back`, with the
   * reason (`release.rolled_back` event).
   */
  completeRelease(change: SwitchPointer): Promise<void>;
  /**
   * Records a release's post-deploy verification: pending (with when it is due) or its verdict.
   * `dueAt` defaults to the one already recorded. The verifier appends the events, with the
   * verdict in words.
   */
  setReleaseVerification(
    id: string,
    verification: { readonly status: VerificationStatus; readonly summary?: string; readonly dueAt?: string },
  ): Promise<void>;

  // Environment pointers
  getPointer(environment: string): Promise<EnvironmentPointer | undefined>;
  listPointers(): Promise<EnvironmentPointer[]>;

  // Model versions and physical tables
  putModelVersions(versions: readonly Omit<ModelVersionRecord, 'createdAt'>[]): Promise<void>;
  getModelVersions(fingerprints: readonly string[]): Promise<Map<string, ModelVersionRecord>>;
  /** Records (or re-records) a table as being built; its refcount is kept. */
  markPhysicalBuilding(table: {
    readonly name: string;
    readonly model: string;
    readonly fingerprint: string;
    readonly kind: PhysicalTableRecord['kind'];
  }): Promise<void>;
  markPhysicalBuilt(
    name: string,
    details: {
      readonly rows: number | undefined;
      readonly columns: PhysicalTableRecord['columns'];
      readonly buildMs: number;
    },
  ): Promise<void>;
  getPhysicalTables(names?: readonly string[]): Promise<PhysicalTableRecord[]>;
  deletePhysicalTable(name: string): Promise<void>;

  // Runs
  createRun(run: {
    readonly id: string;
    readonly environment: string;
    readonly releaseId: string;
    readonly actor: string;
  }): Promise<RunRecord>;
  finishRun(
    id: string,
    outcome: { readonly status: 'succeeded' | 'failed'; readonly models: unknown; readonly error?: string },
  ): Promise<void>;
  listRuns(filter?: { readonly environment?: string; readonly limit?: number }): Promise<RunRecord[]>;

  // Events (append-only)
  appendEvent(event: NewEvent): Promise<EventRecord>;
  listEvents(filter?: {
    readonly environment?: string;
    readonly afterSeq?: number;
    readonly limit?: number;
  }): Promise<EventRecord[]>;

  // Locks (leases with expiry and a fencing term)
  /**
   * Takes the lock when it is free, expired, or held by `holder.id` already (a renewal, same
   * term). Across hosts expiry is the only rule: a holder on another host is never presumed dead.
   * The one fast path is for a holder on this host (same `host`) whose process no longer exists:
   * its lock is taken over at once (`lock.taken_over` event). Otherwise returns who holds it.
   * Every change of hands gives the lease the next term.
   */
  tryLock(name: string, holder: LockHolder, ttlMs: number): Promise<LockAttempt>;
  /** Extends a lease this holder has; false when it was lost (expired and taken, or unlocked). */
  renewLock(name: string, holderId: string, ttlMs: number): Promise<boolean>;
  /** Gives the lock up now (if `holderId` has it); the next holder gets the next term. */
  unlock(name: string, holderId: string): Promise<void>;
  /** The lock's lease unless it was unlocked (an expired lease nobody took is still shown). */
  getLock(name: string): Promise<LockLease | undefined>;

  close(): Promise<void>;
}

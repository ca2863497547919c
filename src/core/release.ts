/**
 * The release domain: which physical table each model of an environment shows (its pointer),
 * and a release's record — what moved an environment from one set of model versions to another,
 * how, by whom, and how it ended. Pure types; the state store persists them.
 */
import type { ReleaseCommit } from './commit.js';

/** The physical table one model of an environment shows, and the version it stands for. */
export interface ModelPointer {
  readonly fingerprint: string;
  /** Name of the physical relation in the physical schema (`model__<fp>`). */
  readonly table: string;
}

/** Model name → what it points at. */
export type EnvironmentModels = Readonly<Record<string, ModelPointer>>;

export type ReleaseKind = 'apply' | 'promote' | 'rollback' | 'build';
/** The strategies this version carries out (`src/release/strategies/`). */
export const RELEASE_STRATEGIES = ['direct', 'blue-green'] as const;
export type ReleaseStrategy = (typeof RELEASE_STRATEGIES)[number];
/** Strategies the design names that this version refuses rather than accepts and ignores. */
export const PLANNED_STRATEGIES: readonly string[] = ['canary'];
/**
 * `building` → tables are being built; `switching` → the warehouse switch is in progress (the
 * commit point is the warehouse transaction); `succeeded`; `failed` (the work failed, nothing
 * switched); `abandoned` (killed before the switch and superseded by a later attempt);
 * `rolled_back` (it was switched in, then a rollback put the environment back on an earlier
 * release: `rolledBack` says which release did it and why).
 */
export type ReleaseStatus = 'building' | 'switching' | 'succeeded' | 'failed' | 'abandoned' | 'rolled_back';

/**
 * Post-deploy verification of a switched release (`verify:` in slipway.yaml): `pending` until it
 * runs, then `passed` or `failed`; `skipped` when a person released with `--no-verify`.
 */
export type VerificationStatus = 'pending' | 'passed' | 'failed' | 'skipped';

export interface ReleaseVerification {
  readonly status: VerificationStatus;
  /** One line: what was verified, what failed, or why it was skipped; undefined while pending. */
  readonly summary: string | undefined;
  /** When it is (or was) due: the switch plus the environment's `verify.delay` (ISO 8601). */
  readonly dueAt: string;
  /** When it was recorded as pending, or settled (ISO 8601). */
  readonly at: string;
}

/** Why a release is `rolled_back`. */
export interface ReleaseRollback {
  /** The rollback release that put the environment back on an earlier one. */
  readonly by: string;
  readonly reason: string;
}

export interface ReleaseRecord {
  readonly id: string;
  readonly environment: string;
  readonly kind: ReleaseKind;
  readonly strategy: ReleaseStrategy;
  readonly status: ReleaseStatus;
  readonly commit: ReleaseCommit | undefined;
  readonly actor: string;
  /** The environment's models after this release. */
  readonly models: EnvironmentModels;
  /** The plan the release carried out (JSON, as the planner produced it). */
  readonly plan: unknown;
  /** The release the environment showed before (undefined for its first). */
  readonly previousReleaseId: string | undefined;
  /** For promote and rollback: the release or environment it came from. */
  readonly source: string | undefined;
  readonly error: string | undefined;
  readonly createdAt: string;
  readonly switchedAt: string | undefined;
  readonly finishedAt: string | undefined;
  /** Timings in milliseconds: build, switch, total. */
  readonly timings: Readonly<Record<string, number>>;
  /** Its post-deploy verification; undefined when its environment asks for none. */
  readonly verification: ReleaseVerification | undefined;
  /** Set when the status is `rolled_back`. */
  readonly rolledBack: ReleaseRollback | undefined;
  /** The W3C trace id (32 hex) of the trace that shows this release. */
  readonly traceId: string | undefined;
}

export interface EnvironmentPointer {
  readonly environment: string;
  readonly releaseId: string;
  readonly models: EnvironmentModels;
  readonly updatedAt: string;
}

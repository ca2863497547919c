/**
 * What a release strategy decides, declared as data that the shared release steps
 * (`executeRelease`) and garbage collection read: when the gate runs, and whether the release a
 * new one replaces stays available for instant rollback. A strategy is an object chosen in one
 * place (`strategyFor`); no other code branches on a strategy's name.
 *
 * A strategy may rehearse a release before its versions are built in full (`rehearse`): the
 * canary builds them on widening samples of keys beside the live versions and compares; throwing
 * stops the release before anything is built in full or switched.
 */
import type { ReleaseStrategy } from '../../core/release.js';
import type { Project } from '../../project/project.js';
import type { StateStore } from '../../state/state-store.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Telemetry } from '../../telemetry/tracer.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import type { ReleasePlan } from '../plan-release.js';
import type { StepHook } from '../release-steps.js';

/** What a rehearsal works with: the release being carried out and the services it runs on. */
export interface RehearsalContext {
  readonly releaseId: string;
  readonly actor: string;
  readonly project: Project;
  readonly plan: ReleasePlan;
  readonly warehouse: Warehouse;
  readonly state: StateStore;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly step: StepHook;
  /** One line per finished stage, for a terminal. */
  readonly progress?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface Strategy {
  readonly name: ReleaseStrategy;
  /** One line for `--help`, errors and the docs. */
  readonly summary: string;
  /**
   * `before-switch`: the gate runs on the new tables before the switch, and a failure stops the
   * release (the environment keeps its previous one). `after-switch`: the environment switches
   * first, then the gate runs on what it now shows and reports (the release stays switched).
   */
  readonly gate: 'before-switch' | 'after-switch';
  /**
   * True: the release this one replaces keeps its tables (gc keeps the last N releases), so a
   * rollback is an instant re-point. False: they are released for gc at once — only the new
   * pointer references anything.
   */
  readonly keepsPrevious: boolean;
  /**
   * Runs before the release's versions are built in full (only when it builds any); a throw
   * fails the release, and the environment keeps what it shows.
   */
  readonly rehearse?: (context: RehearsalContext) => Promise<void>;
  /**
   * Throws (an `InvalidArgumentError`) when the strategy cannot carry out `plan` on this project
   * — settings missing, a model it cannot handle — before anything is recorded or built.
   */
  readonly refuse?: (project: Project, plan: ReleasePlan) => void;
}

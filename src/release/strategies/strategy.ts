/**
 * What a release strategy decides, declared as data that the shared release steps
 * (`executeRelease`) and garbage collection read: when the gate runs, and whether the release a
 * new one replaces stays available for instant rollback. A strategy is an object chosen in one
 * place (`strategyFor`); no other code branches on a strategy's name.
 *
 * Canary (build on a sample, compare, widen in steps) will add a hook for the switch itself;
 * until then `strategyFor` refuses it.
 */
import type { ReleaseStrategy } from '../../core/release.js';

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
}

/**
 * `canary`: before the full build, build the release's changed models (and what the change
 * forces downstream) beside their live versions on widening, deterministic samples of the
 * environment's key, compare the two with the canary analysis at each step, and stop the
 * release when a metric fails (or, by default, pause when one is inconclusive). When every sample
 * step passes, the 100 % step is blue-green's: build in full, gate, switch in one transaction,
 * keep the previous release for rollback. See docs/canary.md.
 */
import type { Project } from '../../project/project.js';
import type { ReleasePlan } from '../plan-release.js';
import { refuseIncremental } from './canary/canary-sample.js';
import { canarySettings } from './canary/canary-settings.js';
import { runCanary } from './canary/run-canary.js';
import type { RehearsalContext, Strategy } from './strategy.js';

export const CanaryStrategy: Strategy = Object.freeze({
  name: 'canary',
  summary:
    'build and compare on widening samples of keys beside live; abort on a failed metric, else build in full, gate and switch as blue-green',
  gate: 'before-switch',
  keepsPrevious: true,
  rehearse: async function canaryRehearsal(context: RehearsalContext) {
    await runCanary(context);
  },
  refuse: function canaryRefusal(project: Project, plan: ReleasePlan) {
    canarySettings(project, plan.environment);
    refuseIncremental(project, plan);
  },
});

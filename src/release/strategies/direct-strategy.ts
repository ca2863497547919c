/**
 * `direct`: the dev loop's way. Build and switch with nothing in between; checks, when asked,
 * run after the switch on what the environment now shows and report. The previous release's
 * tables are not kept for rollback: gc may drop them as soon as nothing points at them.
 */
import type { Strategy } from './strategy.js';

export const DirectStrategy: Strategy = Object.freeze({
  name: 'direct',
  summary: 'build and switch; checks run after the switch and report; nothing kept for rollback',
  gate: 'after-switch',
  keepsPrevious: false,
});

/**
 * `blue-green`: build the new versions beside the live ones, run the check gate on them before
 * the switch (a failure leaves the environment as it was), switch in one transaction, and keep
 * the previous release's tables so that a rollback is an instant re-point (gc keeps the last N
 * releases' tables).
 */
import type { Strategy } from './strategy.js';

export const BlueGreenStrategy: Strategy = Object.freeze({
  name: 'blue-green',
  summary: 'build beside the live versions, gate before the switch, keep the previous release for rollback',
  gate: 'before-switch',
  keepsPrevious: true,
});

/**
 * The one place a strategy is chosen by name: the CLI's `--strategy`, an environment's
 * `strategy:`, the operator's environments and a recorded release's strategy all come here.
 * A strategy the design names but this version does not carry out (`PLANNED_STRATEGIES`) is
 * refused here, with what is available, rather than accepted and ignored.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import { PLANNED_STRATEGIES } from '../../core/release.js';
import { BlueGreenStrategy } from './blue-green-strategy.js';
import { CanaryStrategy } from './canary-strategy.js';
import { DirectStrategy } from './direct-strategy.js';
import type { Strategy } from './strategy.js';
import { AVAILABLE_STRATEGIES } from './strategy-names.js';

const STRATEGIES: readonly Strategy[] = [DirectStrategy, BlueGreenStrategy, CanaryStrategy];

/** The names `strategyFor` accepts, for hints and `--help` (listed in strategy-names.ts). */
export { AVAILABLE_STRATEGIES };

if (STRATEGIES.map((s) => s.name).join() !== AVAILABLE_STRATEGIES.join())
  throw new Error(
    `strategy-names.ts lists ${AVAILABLE_STRATEGIES.join(', ')}: update it with the strategies`,
  );

/**
 * @example
 * strategyFor('blue-green').gate; // 'before-switch'
 * strategyFor('canary').rehearse; // the canary steps, run before the full build
 */
export function strategyFor(name: string): Strategy {
  const found = STRATEGIES.find((s) => s.name === name);
  if (found) return found;
  const available = AVAILABLE_STRATEGIES.join(' or ');
  if (PLANNED_STRATEGIES.includes(name)) {
    throw new InvalidArgumentError(`the ${name} strategy is not available in this version`, {
      hint: `available: ${available}`,
    });
  }
  throw new InvalidArgumentError(`unknown strategy '${name}'`, { hint: `available: ${available}` });
}

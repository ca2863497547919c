/**
 * The environments the operator manages and the order it visits them in, from slipway.yaml: an
 * environment is managed when it sets `sync`, promotes from another (`promote_from`), or another
 * promotes from it. Roots of the chain (no `promote_from`, e.g. staging) follow the branch head;
 * the others follow their source (prod ← staging). Order: sources before their targets. An
 * environment's `verify:` block becomes its post-deploy verification policy.
 */
import { parseDuration } from '../core/duration.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { ReleaseStrategy } from '../core/release.js';
import type { ProjectConfig } from '../project/schemas.js';
import { strategyFor } from '../release/strategies/strategy-for.js';
import type { VerifyPolicy } from '../release/verification-verdict.js';
import { verifyPolicy } from '../release/verify-release.js';

export interface ManagedEnvironment {
  readonly name: string;
  /** The environment it promotes from; undefined for a root (follows the branch). */
  readonly promoteFrom: string | undefined;
  readonly policy: 'auto' | 'manual';
  readonly approval: boolean;
  readonly soakMs: number;
  readonly selfHeal: boolean;
  readonly strategy: ReleaseStrategy;
  readonly schedule: string | undefined;
  /** Post-deploy verification after the operator switches it; undefined: none. */
  readonly verify: VerifyPolicy | undefined;
}

export function promotionChain(config: ProjectConfig): ManagedEnvironment[] {
  const environments = config.environments;
  const sources = new Set(
    Object.values(environments)
      .map((e) => e.promote_from)
      .filter((s): s is string => s !== undefined),
  );
  const managed = Object.entries(environments).filter(
    ([name, e]) => e.sync !== undefined || e.promote_from !== undefined || sources.has(name),
  );
  const byName = new Map(managed);
  const ordered: ManagedEnvironment[] = [];
  const visiting = new Set<string>();
  const visit = (name: string): void => {
    if (ordered.some((e) => e.name === name)) return;
    if (visiting.has(name)) {
      throw new InvalidArgumentError(`environments promote from each other in a cycle at '${name}'`);
    }
    const e = byName.get(name);
    if (!e) return;
    visiting.add(name);
    if (e.promote_from !== undefined) {
      if (!(e.promote_from in environments)) {
        throw new InvalidArgumentError(`'${name}' promotes from unknown environment '${e.promote_from}'`);
      }
      visit(e.promote_from);
    }
    visiting.delete(name);
    const strategy = e.strategy ?? 'blue-green';
    ordered.push({
      name,
      promoteFrom: e.promote_from,
      policy: e.sync ?? 'auto',
      approval: e.approval ?? false,
      soakMs: e.soak ? (parseDuration(e.soak) ?? 0) : 0,
      selfHeal: e.self_heal ?? false,
      // Chosen where every strategy is (an unknown name is refused; validate refuses it first).
      strategy: strategyFor(strategy).name,
      schedule: e.schedule,
      verify: verifyPolicy(config, name),
    });
  };
  for (const [name] of managed) visit(name);
  return ordered;
}

/**
 * The plan of `slipway build --env E`: a direct release of the project in which the selected
 * models are built again (the dev loop refreshes their data) and every other model keeps what
 * the environment shows, or takes the table already built for its version. A model that is not
 * selected and has no table for its version stays on its live version (or out of the
 * environment, when it has none). Pure, like the planner it wraps.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { physicalTableName } from './physical-layout.js';
import type { DesiredModel, PlanInput, ReleasePlan } from './plan-release.js';
import { planRelease } from './plan-release.js';

/**
 * @example
 * planBuild({ environment: 'dev', strategy: 'direct', commit, desired, live, builtTables }, ['orders']);
 */
export function planBuild(input: Omit<PlanInput, 'rebuild'>, selected: readonly string[]): ReleasePlan {
  const chosen = new Set(selected);
  const byName = new Map(input.desired.map((d) => [d.definition.name, d]));
  const hasTable = (d: DesiredModel): boolean =>
    input.builtTables.has(physicalTableName(d.definition.name, d.fingerprint));
  for (const name of selected) {
    for (const parent of byName.get(name)?.definition.dependsOn ?? []) {
      const upstream = byName.get(parent);
      if (upstream && !chosen.has(parent) && !hasTable(upstream)) {
        throw new InvalidArgumentError(`${name} reads ${parent}, which is not built in this version yet`, {
          hint: `select it too: --select +${name}`,
        });
      }
    }
  }
  const desired = input.desired.flatMap((d): DesiredModel[] => {
    if (chosen.has(d.definition.name) || hasTable(d)) return [d];
    const live = input.live.models[d.definition.name];
    if (!live) return [];
    return [
      {
        definition: input.live.definitions.get(live.fingerprint) ?? d.definition,
        fingerprint: live.fingerprint,
      },
    ];
  });
  return planRelease({ ...input, desired, rebuild: chosen });
}

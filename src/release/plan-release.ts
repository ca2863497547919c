/**
 * The release planner: a pure function of the desired project (definitions and fingerprints) and
 * an environment's live state (its pointer, the definitions behind it, the physical tables already
 * built). It returns a plan value — models added, changed (with category and SQL diff), removed;
 * physical tables to build and to reuse; the checks that gate; the switch — that `plan` prints,
 * `apply` carries out, and tests inspect without a database.
 *
 * Downstream rebuilds follow change categories: a breaking change rebuilds everything downstream;
 * a non-breaking one (columns only added) lets downstream models keep their live tables under
 * their new fingerprints. A table already built for a fingerprint (by another environment, or an
 * interrupted release) is reused, never rebuilt.
 */

import { createTwoFilesPatch } from 'diff';
import type { ReleaseCommit as CommitInfo } from '../core/commit.js';
import type { InfraPlan } from '../core/infra-change.js';
import type { EnvironmentModels, ModelPointer, ReleaseStrategy } from '../core/release.js';
import { type ChangeCategory, classifyChange } from './change-category.js';
import { type ModelDefinition, modelBody } from './model-definition.js';
import { physicalTableName } from './physical-layout.js';

export interface DesiredModel {
  readonly definition: ModelDefinition;
  readonly fingerprint: string;
}

export interface PlanInput {
  readonly environment: string;
  readonly strategy: ReleaseStrategy;
  readonly commit: CommitInfo | undefined;
  /** Models in dependency order (parents first). */
  readonly desired: readonly DesiredModel[];
  readonly live: {
    readonly releaseId: string | undefined;
    readonly models: EnvironmentModels;
    /** Definitions of the live fingerprints (missing ones are treated as unknown: breaking). */
    readonly definitions: ReadonlyMap<string, ModelDefinition>;
  };
  /** Physical tables that are built and usable. */
  readonly builtTables: ReadonlySet<string>;
  /**
   * Models built again even where a table exists for their version: the dev loop's `slipway
   * build` refreshes their data (default: none).
   */
  readonly rebuild?: ReadonlySet<string>;
}

export type ModelChangeKind = 'added' | 'modified' | 'indirect' | 'removed' | 'unchanged';
/** build: a new physical table; reuse: one already built for this fingerprint; keep: the live one. */
export type TableAction = 'build' | 'reuse' | 'keep' | 'drop';

export interface PlannedModel {
  readonly model: string;
  readonly change: ModelChangeKind;
  readonly kind: ModelDefinition['kind'] | undefined;
  readonly category: ChangeCategory | undefined;
  /** detected from the SQL, set in the model header, or inherited from upstream. */
  readonly categorySource: 'detected' | 'header' | 'upstream' | undefined;
  readonly reasons: readonly string[];
  readonly action: TableAction;
  readonly from: ModelPointer | undefined;
  readonly to: ModelPointer | undefined;
  readonly columnsAdded: readonly string[];
  readonly columnsRemoved: readonly string[];
  /** Unified diff of the SELECT, for directly modified models. */
  readonly diff: string | undefined;
}

export interface ReleasePlan {
  readonly environment: string;
  readonly strategy: ReleaseStrategy;
  readonly commit: CommitInfo | undefined;
  readonly fromRelease: string | undefined;
  readonly models: readonly PlannedModel[];
  /** Physical tables to build, in dependency order, with the model each is for. */
  readonly build: readonly { readonly model: string; readonly table: string }[];
  readonly reuse: readonly { readonly model: string; readonly table: string }[];
  /** Checks that gate the release: those declared on the models being built. */
  readonly checks: readonly string[];
  /** The environment's models after the switch. */
  readonly target: EnvironmentModels;
  /** True when the switch changes anything (a model added, re-pointed or removed). */
  readonly changes: boolean;
  readonly summary: Readonly<Record<ModelChangeKind, number>>;
  /** What the release does about infrastructure, when the project has any (set by the caller). */
  readonly infra?: InfraPlan;
}

export function planRelease(input: PlanInput): ReleasePlan {
  const { live, builtTables, rebuild = new Set<string>() } = input;
  const planned: PlannedModel[] = [];
  const target: Record<string, ModelPointer> = {};
  /** Models whose new version forces their children to rebuild. */
  const forcesRebuild = new Set<string>();
  const desiredNames = new Set(input.desired.map((d) => d.definition.name));

  for (const { definition, fingerprint } of input.desired) {
    const name = definition.name;
    const from = live.models[name];
    const ownTable = physicalTableName(name, fingerprint);
    const forced = rebuild.has(name);
    const built = builtTables.has(ownTable) && !forced;
    const base = {
      model: name,
      kind: definition.kind,
      from,
      columnsAdded: [] as string[],
      columnsRemoved: [] as string[],
      diff: undefined as string | undefined,
    };
    let entry: PlannedModel;
    if (from === undefined) {
      forcesRebuild.add(name);
      entry = {
        ...base,
        change: 'added',
        category: undefined,
        categorySource: undefined,
        reasons: ['new in this environment'],
        action: built ? 'reuse' : 'build',
        to: { fingerprint, table: ownTable },
      };
    } else if (from.fingerprint === fingerprint) {
      entry = {
        ...base,
        change: 'unchanged',
        category: undefined,
        categorySource: undefined,
        reasons: forced ? ['built again (its data is refreshed)'] : [],
        action: forced ? 'build' : 'keep',
        to: forced ? { fingerprint, table: ownTable } : from,
      };
    } else {
      const previous = live.definitions.get(from.fingerprint);
      const upstreamBreaking = definition.dependsOn.filter((p) => forcesRebuild.has(p));
      const direct = previous === undefined || definitionChanged(previous, definition);
      let category: ChangeCategory;
      let categorySource: PlannedModel['categorySource'];
      let reasons: string[];
      let diff: string | undefined;
      if (direct) {
        const detected =
          previous === undefined
            ? {
                category: 'breaking' as const,
                reasons: ['the live version is unknown to the state store'],
                columnsAdded: [],
                columnsRemoved: [],
              }
            : classifyChange(previous, definition);
        category = definition.changeCategory ?? detected.category;
        categorySource = definition.changeCategory === undefined ? 'detected' : 'header';
        reasons = [...detected.reasons];
        if (definition.changeCategory !== undefined && definition.changeCategory !== detected.category) {
          reasons.push(
            `classified ${definition.changeCategory} by the model header (detected: ${detected.category})`,
          );
        }
        base.columnsAdded = [...detected.columnsAdded];
        base.columnsRemoved = [...detected.columnsRemoved];
        if (previous !== undefined) diff = sqlDiff(name, previous, definition);
      } else {
        category = upstreamBreaking.length > 0 ? 'breaking' : 'non-breaking';
        categorySource = 'upstream';
        reasons = [];
      }
      if (upstreamBreaking.length > 0) {
        category = 'breaking';
        reasons.push(`upstream ${upstreamBreaking.join(', ')} changed (breaking)`);
      } else if (!direct) {
        const changedParents = definition.dependsOn.filter(
          (p) => live.models[p]?.fingerprint !== fingerprintOf(input, p),
        );
        reasons.push(
          `upstream ${changedParents.join(', ') || 'a parent'} changed (non-breaking)${definition.kind === 'view' ? ': the view is recreated' : ': keeps its table'}`,
        );
      }
      // A view's physical relation reads its parents' tables by name: keeping it would keep
      // reading the old parent table, which nothing else holds on to. Views cost nothing to redo.
      const rebuilt = direct || upstreamBreaking.length > 0 || definition.kind === 'view';
      if (rebuilt && category === 'breaking') forcesRebuild.add(name);
      const action: TableAction = built ? 'reuse' : rebuilt || forced ? 'build' : 'keep';
      entry = {
        ...base,
        change: direct ? 'modified' : 'indirect',
        category,
        categorySource,
        reasons,
        action,
        diff,
        to: action === 'keep' ? { fingerprint, table: from.table } : { fingerprint, table: ownTable },
      };
    }
    planned.push(entry);
    if (entry.to) target[name] = entry.to;
  }

  for (const [name, from] of Object.entries(live.models)) {
    if (desiredNames.has(name)) continue;
    planned.push(removedModel(name, from, live, 'no longer in the project: its view is dropped'));
  }

  const byName = new Map(input.desired.map((d) => [d.definition.name, d.definition]));
  const build = tablesWith(planned, 'build');
  return {
    environment: input.environment,
    strategy: input.strategy,
    commit: input.commit,
    fromRelease: live.releaseId,
    models: planned,
    build,
    reuse: tablesWith(planned, 'reuse'),
    checks: build.flatMap((b) => byName.get(b.model)?.checks ?? []),
    target,
    changes: planned.some(
      (p) =>
        p.change === 'removed' || p.from?.table !== p.to?.table || p.from?.fingerprint !== p.to?.fingerprint,
    ),
    summary: summarize(planned),
  };
}

function fingerprintOf(input: PlanInput, model: string): string | undefined {
  return input.desired.find((d) => d.definition.name === model)?.fingerprint;
}

/** Whether the model's own definition changed (rather than only its parents' versions). */
function definitionChanged(before: ModelDefinition, after: ModelDefinition): boolean {
  return (
    before.normalized !== after.normalized ||
    before.kind !== after.kind ||
    before.timeColumn !== after.timeColumn ||
    before.uniqueKey.join(',') !== after.uniqueKey.join(',') ||
    before.dependsOn.join(',') !== after.dependsOn.join(',')
  );
}

function sqlDiff(name: string, before: ModelDefinition, after: ModelDefinition): string {
  const patch = createTwoFilesPatch(
    `${name} (live)`,
    `${name} (desired)`,
    modelBody(before),
    modelBody(after),
    '',
    '',
    {
      context: 3,
    },
  );
  return patch.split('\n').slice(1).join('\n').trimEnd();
}

export interface SwitchPlanInput {
  readonly environment: string;
  readonly strategy: ReleaseStrategy;
  readonly commit: CommitInfo | undefined;
  readonly live: PlanInput['live'];
  /** The models the environment takes, exactly (another environment's, or an earlier release's). */
  readonly target: EnvironmentModels;
  readonly definitions: ReadonlyMap<string, ModelDefinition>;
  readonly builtTables: ReadonlySet<string>;
}

/**
 * The plan of a release that only re-points views (promote, rollback): every model takes the
 * given table by reference; nothing is built. A table that is not built is reported as `build`
 * so the caller can refuse the release rather than switch to a missing table.
 */
export function planPointerSwitch(input: SwitchPlanInput): ReleasePlan {
  const { live, target } = input;
  const planned: PlannedModel[] = [];
  for (const [model, to] of Object.entries(target)) {
    const from = live.models[model];
    const definition = input.definitions.get(to.fingerprint);
    const same = from?.table === to.table && from.fingerprint === to.fingerprint;
    const previous = from ? live.definitions.get(from.fingerprint) : undefined;
    planned.push({
      model,
      change: from === undefined ? 'added' : same ? 'unchanged' : 'modified',
      kind: definition?.kind,
      category: undefined,
      categorySource: undefined,
      reasons: same ? [] : [`points at ${to.table}`],
      action: same ? 'keep' : input.builtTables.has(to.table) ? 'reuse' : 'build',
      from,
      to,
      columnsAdded: [],
      columnsRemoved: [],
      diff:
        !same && previous && definition && previous.normalized !== definition.normalized
          ? sqlDiff(model, previous, definition)
          : undefined,
    });
  }
  for (const [model, from] of Object.entries(live.models)) {
    if (model in target) continue;
    planned.push(removedModel(model, from, live, 'not in the release taken: its view is dropped'));
  }
  return {
    environment: input.environment,
    strategy: input.strategy,
    commit: input.commit,
    fromRelease: live.releaseId,
    models: planned,
    build: tablesWith(planned, 'build'),
    reuse: tablesWith(planned, 'reuse'),
    checks: [],
    target,
    changes: planned.some((p) => p.change !== 'unchanged'),
    summary: summarize(planned),
  };
}

function tablesWith(
  planned: readonly PlannedModel[],
  action: TableAction,
): { model: string; table: string }[] {
  return planned
    .filter((p) => p.action === action && p.to !== undefined)
    .map((p) => ({ model: p.model, table: (p.to as ModelPointer).table }));
}

function summarize(planned: readonly PlannedModel[]): Record<ModelChangeKind, number> {
  const summary: Record<ModelChangeKind, number> = {
    added: 0,
    modified: 0,
    indirect: 0,
    removed: 0,
    unchanged: 0,
  };
  for (const p of planned) summary[p.change]++;
  return summary;
}

function removedModel(
  model: string,
  from: ModelPointer,
  live: PlanInput['live'],
  reason: string,
): PlannedModel {
  return {
    model,
    change: 'removed',
    kind: live.definitions.get(from.fingerprint)?.kind,
    category: undefined,
    categorySource: undefined,
    reasons: [reason],
    action: 'drop',
    from,
    to: undefined,
    columnsAdded: [],
    columnsRemoved: [],
    diff: undefined,
  };
}

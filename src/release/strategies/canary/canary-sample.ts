/**
 * The canary's sample: scratch schemas in which one step builds the candidate (the release's
 * new versions of the models it changes, and of what the change forces downstream) and the
 * baseline (the live versions of the same models) over the same share of keys. Every source
 * that carries the key is read through a view keeping the rows whose key's bucket is below the
 * step's basis points (`warehouse.checkDialect.sampleBucket`, copied into a scratch table once per
 * step), so joins on the key stay
 * consistent and a wider step contains every narrower one; sources without the key are read
 * whole. The models upstream of the candidates are built once per step on the sample and shared
 * by both sides. Nothing live is read through a view or written: only the source relations are
 * read, and only the scratch schemas are written.
 */
import { InvalidArgumentError, WorkFailedError } from '../../../core/errors.js';
import { compileSqlModel } from '../../../project/compile-model.js';
import type { ModelNode, Project } from '../../../project/project.js';
import type { Telemetry } from '../../../telemetry/tracer.js';
import { raw, renderSql } from '../../../warehouse/sql-fragment.js';
import type { RelationRef, Warehouse } from '../../../warehouse/warehouse.js';
import { buildModelVersion } from '../../build-model-version.js';
import { compileModel } from '../../build-models.js';
import type { ModelDefinition } from '../../model-definition.js';
import { sourceRelation } from '../../physical-layout.js';
import type { ReleasePlan } from '../../plan-release.js';
import type { CanarySettings } from './canary-settings.js';

/** What one canary compares: the candidates, what they read upstream, and the live versions. */
export interface CanaryScope {
  /** Models whose new versions the release builds, in dependency order. */
  readonly candidates: readonly string[];
  /** Models upstream of the candidates (built on the sample, shared by both sides), in order. */
  readonly upstream: readonly string[];
  /** The live definition of each candidate that has one (an added model has none). */
  readonly baselines: ReadonlyMap<string, ModelDefinition>;
}

export interface SampleSchemas {
  readonly shared: string;
  readonly candidate: string;
  readonly baseline: string;
}

/** The scratch schemas of an environment's canary (reserved: environments may not start with `slipway_`). */
export function sampleSchemas(environment: string): SampleSchemas {
  return {
    shared: `slipway_canary_s_${environment}`.slice(0, 63),
    candidate: `slipway_canary_c_${environment}`.slice(0, 63),
    baseline: `slipway_canary_b_${environment}`.slice(0, 63),
  };
}

/**
 * The candidates of a plan (models added, modified or rebuilt because of an upstream change)
 * and everything upstream of them. Refuses incremental candidates (`refuseIncremental`).
 */
export function canaryScope(
  project: Project,
  plan: ReleasePlan,
  liveDefinitions: ReadonlyMap<string, ModelDefinition>,
): CanaryScope {
  const changed = new Set(candidatesOf(plan));
  refuseIncremental(project, plan);
  const baselines = new Map<string, ModelDefinition>();
  for (const m of plan.models) {
    const definition = m.from ? liveDefinitions.get(m.from.fingerprint) : undefined;
    if (changed.has(m.model) && definition) baselines.set(m.model, definition);
  }
  const needed = new Set<string>();
  const visit = (name: string): void => {
    const model = project.models.get(name);
    if (!model || needed.has(name)) return;
    needed.add(name);
    for (const parent of model.dependsOn) visit(parent);
  };
  for (const name of changed) {
    for (const parent of project.models.get(name)?.dependsOn ?? []) visit(parent);
    for (const parent of baselines.get(name)?.dependsOn ?? []) visit(parent);
  }
  const inOrder = (names: ReadonlySet<string>) => project.order.filter((n) => names.has(n));
  return {
    candidates: inOrder(changed),
    upstream: inOrder(new Set([...needed].filter((n) => !changed.has(n)))),
    baselines,
  };
}

/** The models whose new versions a plan builds or reuses: added, modified, or forced by an upstream change. */
export function candidatesOf(plan: ReleasePlan): string[] {
  return plan.models
    .filter((m) => m.change !== 'unchanged' && m.change !== 'removed')
    .filter((m) => m.action === 'build' || m.action === 'reuse')
    .map((m) => m.model);
}

/** How a canary samples an incremental model's intervals is not built yet: such a release is refused. */
export function refuseIncremental(project: Project, plan: ReleasePlan): void {
  const incremental = candidatesOf(plan).filter((name) => project.models.get(name)?.kind === 'incremental');
  if (incremental.length === 0) return;
  throw new InvalidArgumentError(
    `the canary strategy does not release incremental models yet: ${incremental.join(', ')} ${incremental.length === 1 ? 'is' : 'are'} incremental and changed in this release`,
    { hint: 'release this change with --strategy blue-green (docs/canary.md: what is not built yet)' },
  );
}

export interface SampleServices {
  readonly warehouse: Warehouse;
  readonly telemetry: Telemetry;
  readonly signal?: AbortSignal;
}

/** Where a step's candidate and baseline versions of each model are. */
export interface BuiltSample {
  readonly candidate: ReadonlyMap<string, RelationRef>;
  readonly baseline: ReadonlyMap<string, RelationRef>;
  /** Every relation the step's candidate side reads or wrote, by model or source name. */
  readonly candidateWorld: (name: string) => RelationRef | undefined;
  readonly rows: number;
}

/**
 * Builds one step: the sampled sources, the upstream models, then each candidate's new
 * version and (where it has one) its live version, all over `basisPoints` of the keys.
 */
export async function buildSample(
  services: SampleServices,
  project: Project,
  plan: ReleasePlan,
  settings: CanarySettings,
  scope: CanaryScope,
  basisPoints: number,
): Promise<BuiltSample> {
  const { warehouse } = services;
  const schemas = sampleSchemas(plan.environment);
  await dropSample(warehouse, plan.environment);
  for (const schema of Object.values(schemas)) await warehouse.createSchema(schema);
  const candidates = new Set(scope.candidates);
  const at = (schema: string, name: string): RelationRef => ({ schema, name });

  const sourceOf = (name: string): RelationRef | undefined => {
    const source = project.sources.get(name);
    if (!source) return undefined;
    return settings.keyColumns.has(name) ? at(schemas.shared, name) : sourceRelation(source);
  };
  for (const [name, column] of settings.keyColumns) {
    const source = project.sources.get(name);
    if (!source) continue;
    const bucket = renderSql(
      warehouse.checkDialect.sampleBucket(raw(warehouse.quoteIdentifier(column))),
    ).text;
    // A table, not a view: the source is read and hashed once per step, and every model of the
    // step then reads the sample alone (a view would scan the whole source once per reader).
    await warehouse.createTableAs(
      at(schemas.shared, name),
      `SELECT * FROM ${warehouse.quoteRelation(sourceRelation(source))} WHERE ${bucket} < ${Number(basisPoints)}`,
      services.signal ? { signal: services.signal } : undefined,
    );
  }
  const world =
    (side: 'candidate' | 'baseline') =>
    (name: string): RelationRef | undefined => {
      const source = sourceOf(name);
      if (source) return source;
      if (!candidates.has(name)) return at(schemas.shared, name);
      if (side === 'candidate') return at(schemas.candidate, name);
      return scope.baselines.has(name) ? at(schemas.baseline, name) : undefined;
    };
  const resolver = (side: 'candidate' | 'baseline', reader: string) => (name: string) => {
    const relation = world(side)(name);
    if (!relation) {
      throw new WorkFailedError(
        `the live version of ${reader} reads ${name}, which has no live version to build on the sample`,
      );
    }
    return warehouse.quoteRelation(relation);
  };

  const candidateRelations = new Map<string, RelationRef>();
  const baselineRelations = new Map<string, RelationRef>();
  let rows = 0;
  const build = async (
    model: ModelNode | ModelDefinition,
    relation: RelationRef,
    compile: () => Promise<string>,
  ) => {
    const built = await buildModelVersion(services, {
      model: `${model.name} (canary ${basisPoints / 100}%)`,
      kind: model.kind === 'view' ? 'view' : 'table',
      relation,
      compile,
      signal: services.signal,
    });
    rows += built.rows ?? 0;
  };
  const upstream = new Set(scope.upstream);
  for (const name of project.order) {
    const model = project.models.get(name);
    if (!model) continue;
    if (upstream.has(name)) {
      // Upstream models are unchanged by the release; read candidates (a model kept under a
      // non-breaking change) on the live side, as the environment does.
      await build(model, at(schemas.shared, name), () =>
        compileModel(model, resolver('baseline', name), warehouse),
      );
      continue;
    }
    if (!candidates.has(name)) continue;
    const candidate = at(schemas.candidate, name);
    await build(model, candidate, () => compileModel(model, resolver('candidate', name), warehouse));
    candidateRelations.set(name, candidate);
    const live = scope.baselines.get(name);
    if (!live) continue;
    const baseline = at(schemas.baseline, name);
    await build(live, baseline, () =>
      compileBaseline(live, model, plan, resolver('baseline', name), warehouse),
    );
    baselineRelations.set(name, baseline);
  }
  return {
    candidate: candidateRelations,
    baseline: baselineRelations,
    candidateWorld: world('candidate'),
    rows,
  };
}

/**
 * The live version's SELECT. A SQL model's stored definition compiles by itself; a TypeScript
 * model's live code only exists when it is the project's own (rebuilt for an upstream change).
 */
async function compileBaseline(
  live: ModelDefinition,
  current: ModelNode,
  plan: ReleasePlan,
  resolve: (name: string) => string,
  warehouse: Warehouse,
): Promise<string> {
  if (live.language === 'sql') return compileSqlModel(live, resolve);
  const change = plan.models.find((m) => m.model === live.name)?.change;
  if (change === 'indirect' && current.language === 'typescript')
    return compileModel(current, resolve, warehouse);
  throw new WorkFailedError(
    `the canary cannot rebuild the live version of the TypeScript model ${live.name} on the sample: its code changed`,
    { hint: 'release this change with --strategy blue-green' },
  );
}

/** Drops every relation in the environment's scratch schemas (views first: they read the tables). */
export async function dropSample(warehouse: Warehouse, environment: string): Promise<void> {
  const schemas = Object.values(sampleSchemas(environment));
  const present = new Set(await warehouse.listSchemas());
  const relations = (
    await Promise.all(schemas.filter((s) => present.has(s)).map((s) => warehouse.listRelations(s)))
  ).flat();
  // Views read tables and other views; drop views until none is left (a view another one
  // reads goes on a later round), then the tables.
  let views = relations.filter((r) => r.kind === 'view');
  for (let round = 0; views.length > 0; round += 1) {
    const left: typeof views = [];
    for (const view of views) {
      try {
        await warehouse.dropRelation(view, 'view');
      } catch (error) {
        if (round >= views.length) throw error;
        left.push(view);
      }
    }
    views = left;
  }
  for (const table of relations.filter((r) => r.kind === 'table'))
    await warehouse.dropRelation(table, 'table');
}

/**
 * Reads a project folder into a validated `Project`, or fails with a `ProjectError` that carries
 * every problem found (never just the first): YAML syntax, unknown keys, wrong types, SQL syntax,
 * unknown references, cycles, duplicate names, unsafe names and paths.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { closestMatch } from '../core/did-you-mean.js';
import { parseDuration } from '../core/duration.js';
import { type Diagnostic, ProjectError, type SourcePosition } from '../core/errors.js';
import { PLANNED_STRATEGIES, RELEASE_STRATEGIES } from '../core/release.js';
import { type SqlParser, utf8OffsetMapper } from '../core/sql-parser.js';
import { findCycle, topologicalOrder } from './dependency-graph.js';
import { loadAlerts } from './load-alerts.js';
import { modelFromHeader, splitModelHeader } from './model-header.js';
import { parseChecks } from './parse-checks.js';
import type {
  CheckDeclaration,
  ColumnDeclaration,
  ModelNode,
  Project,
  SourceNode,
  UnitTest,
} from './project.js';
import { type ProjectConfig, projectConfigSchema, sourcesFileSchema, testsFileSchema } from './schemas.js';
import { analyzeSelect } from './sql-references.js';
import { loadTypeScriptModel } from './typescript-models.js';
import { type CanaryReference, validateCanaryReferences, validateCanarySettings } from './validate-canary.js';
import { parsedWithoutUnknownKeys, parseYamlSource, validateWithSchema } from './yaml-source.js';

export const PROJECT_FILE = 'slipway.yaml';

export interface LoadOptions {
  readonly parser: SqlParser;
}

/** Loads and validates the project in `root`. Throws `ProjectError` listing every problem. */
export async function loadProject(root: string, { parser }: LoadOptions): Promise<Project> {
  const absoluteRoot = path.resolve(root);
  const diagnostics: Diagnostic[] = [];
  const canaryReferences: CanaryReference[] = [];
  const config = await loadConfig(absoluteRoot, diagnostics, canaryReferences);
  const paths = {
    models: config?.paths?.models ?? 'models',
    sources: config?.paths?.sources ?? 'sources',
    tests: config?.paths?.tests ?? 'tests',
  };

  const sources = await loadSources(absoluteRoot, paths.sources, diagnostics);
  const models = await loadModels(absoluteRoot, paths.models, parser, diagnostics);
  const nodes = new Map<string, SourceNode | ModelNode>();
  for (const node of [...sources, ...models]) {
    const existing = [...nodes.values()].find((n) => n.name.toLowerCase() === node.name.toLowerCase());
    if (existing) {
      diagnostics.push({
        position: node.position,
        message: `the name '${node.name}' is already used by the ${existing.type} in ${existing.file}`,
        hint: 'models and sources share one namespace; rename one of them',
      });
      continue;
    }
    nodes.set(node.name, node);
  }

  const resolvedModels = resolveReferences(models, nodes, diagnostics);
  const sourceMap = new Map(sources.filter((s) => nodes.get(s.name) === s).map((s) => [s.name, s]));
  const modelMap = new Map(
    resolvedModels.filter((m) => nodes.get(m.name)?.file === m.file).map((m) => [m.name, m]),
  );
  checkRelationships([...sourceMap.values(), ...modelMap.values()], nodes, diagnostics);

  const edges = new Map<string, readonly string[]>();
  for (const s of sourceMap.values()) edges.set(s.name, []);
  for (const m of modelMap.values())
    edges.set(
      m.name,
      m.dependsOn.filter((d) => nodes.has(d)),
    );
  const cycle = findCycle(edges);
  if (cycle) {
    const first = modelMap.get(cycle[0] ?? '');
    diagnostics.push({
      position: first?.position ?? { file: PROJECT_FILE, line: 1, column: 1 },
      message: `dependency cycle: ${cycle.join(' -> ')}`,
      hint: 'a model cannot read, directly or indirectly, from itself',
    });
  }

  const tests = await loadTests(absoluteRoot, paths.tests, modelMap, nodes, diagnostics);
  if (config) validateEnvironments(config, diagnostics, absoluteRoot);
  validateCanaryReferences(canaryReferences, sourceMap, modelMap, diagnostics);
  const alerts = await loadAlerts(
    absoluteRoot,
    config ? Object.keys(config.environments) : undefined,
    diagnostics,
  );

  if (diagnostics.length > 0 || !config) {
    throw new ProjectError(sortDiagnostics(diagnostics));
  }
  return {
    root: absoluteRoot,
    config,
    sources: sourceMap,
    models: modelMap,
    tests,
    order: topologicalOrder(edges),
    ...(alerts ? { alerts } : {}),
  };
}

/**
 * Validates `slipway.yaml` alone, from its text, as `loadProject` does (every problem at once, as
 * a `ProjectError`): what the operator reads of a commit when it needs only the environments and
 * the warehouse, without checking out and parsing every model. `root` is where relative paths
 * would resolve.
 */
export function parseProjectConfig(text: string, root: string): ProjectConfig {
  const diagnostics: Diagnostic[] = [];
  const config = configFromText(text, root, diagnostics);
  if (config) validateEnvironments(config, diagnostics, root);
  if (!config || diagnostics.length > 0) throw new ProjectError(diagnostics);
  return config;
}

async function loadConfig(
  root: string,
  diagnostics: Diagnostic[],
  canaryReferences: CanaryReference[],
): Promise<ProjectConfig | undefined> {
  const text = await readText(path.join(root, PROJECT_FILE));
  if (text === undefined) {
    diagnostics.push({
      position: { file: PROJECT_FILE, line: 1, column: 1 },
      message: `no ${PROJECT_FILE} in ${root}`,
      hint: 'run `slipway init DIR` to create a project, or pass --project DIR',
    });
    return undefined;
  }
  return configFromText(text, root, diagnostics, canaryReferences);
}

function configFromText(
  text: string,
  root: string,
  diagnostics: Diagnostic[],
  canaryReferences: CanaryReference[] = [],
): ProjectConfig | undefined {
  const source = parseYamlSource(PROJECT_FILE, text);
  diagnostics.push(...source.diagnostics);
  if (source.diagnostics.length > 0) return undefined;
  const validated = validateWithSchema(source, projectConfigSchema, source.value);
  diagnostics.push(...validated.diagnostics);
  // A misspelt key does not hide the file's other mistakes (the load fails on the diagnostics anyway).
  const data = validated.data ?? parsedWithoutUnknownKeys(projectConfigSchema, source.value);
  if (!data) return undefined;
  if (!(data.warehouse.default in data.warehouse.connections)) {
    diagnostics.push({
      position: source.positionOf(['warehouse', 'default']),
      message: `the default connection '${data.warehouse.default}' is not defined under warehouse.connections`,
      hint: hintFor(data.warehouse.default, Object.keys(data.warehouse.connections)),
    });
  }
  canaryReferences.push(...validateCanarySettings(source, data, diagnostics));
  for (const [name, env] of Object.entries(data.environments)) {
    if (env.strategy !== undefined && PLANNED_STRATEGIES.includes(env.strategy)) {
      diagnostics.push({
        position: source.positionOf(['environments', name, 'strategy']),
        message: `environment '${name}': the ${env.strategy} strategy is not available in this version`,
        hint: `available: ${RELEASE_STRATEGIES.join(' or ')}`,
      });
    }
    if (env.promote_from !== undefined && !(env.promote_from in data.environments)) {
      diagnostics.push({
        position: source.positionOf(['environments', name, 'promote_from']),
        message: `environment '${name}' promotes from unknown environment '${env.promote_from}'`,
        hint: hintFor(env.promote_from, Object.keys(data.environments)),
      });
    }
    if (env.warehouse !== undefined && !(env.warehouse in data.warehouse.connections)) {
      diagnostics.push({
        position: source.positionOf(['environments', name, 'warehouse']),
        message: `environment '${name}' uses unknown connection '${env.warehouse}'`,
        hint: hintFor(env.warehouse, Object.keys(data.warehouse.connections)),
      });
    }
    for (const [key, dir] of [
      ['dir', env.infra?.dir],
      ...(env.infra?.paths ?? []).map((p, i) => [i, p] as const),
    ] as const) {
      if (dir === undefined) continue;
      const where =
        key === 'dir'
          ? ['environments', name, 'infra', 'dir']
          : ['environments', name, 'infra', 'paths', key];
      const inside = !path.isAbsolute(dir) && !path.normalize(dir).startsWith('..');
      if (!inside || (existsSync(root) && !existsSync(path.join(root, dir)))) {
        diagnostics.push({
          position: source.positionOf(where),
          message: inside
            ? `environment '${name}': infra folder '${dir}' does not exist`
            : `environment '${name}': infra folder '${dir}' must be inside the project`,
          hint: 'a folder relative to the project, such as infra/envs/prod',
        });
      }
    }
    if (name.startsWith('slipway_') || name.startsWith('ci_')) {
      diagnostics.push({
        position: source.keyPositionOf(['environments', name]),
        message: `environment names starting with '${name.startsWith('ci_') ? 'ci_' : 'slipway_'}' are reserved`,
      });
    }
  }
  for (const [name, connection] of Object.entries(data.warehouse.connections)) {
    if (connection.type === 'duckdb' && connection.path !== ':memory:' && !path.isAbsolute(connection.path)) {
      if (escapes(root, connection.path)) {
        diagnostics.push({
          position: source.positionOf(['warehouse', 'connections', name, 'path']),
          message: `the path '${connection.path}' leaves the project folder`,
          hint: 'use a path inside the project, or an absolute path',
        });
      }
    }
  }
  return data;
}

function validateEnvironments(config: ProjectConfig, diagnostics: Diagnostic[], root: string): void {
  const chain = new Map<string, readonly string[]>();
  for (const [name, env] of Object.entries(config.environments)) {
    chain.set(name, env.promote_from && env.promote_from in config.environments ? [env.promote_from] : []);
  }
  const cycle = findCycle(chain);
  if (cycle) {
    diagnostics.push({
      position: { file: PROJECT_FILE, line: 1, column: 1 },
      message: `environments promote in a cycle: ${cycle.join(' -> ')}`,
      hint: `check promote_from in ${path.join(root, PROJECT_FILE)}`,
    });
  }
}

async function loadSources(root: string, folder: string, diagnostics: Diagnostic[]): Promise<SourceNode[]> {
  const files = await listFiles(root, folder, (f) => f.endsWith('.yml') || f.endsWith('.yaml'));
  const sources: SourceNode[] = [];
  for (const file of files) {
    const text = await readFile(path.join(root, file), 'utf8');
    const source = parseYamlSource(file, text);
    diagnostics.push(...source.diagnostics);
    if (source.diagnostics.length > 0) continue;
    const validated = validateWithSchema(source, sourcesFileSchema, source.value);
    diagnostics.push(...validated.diagnostics);
    const data = validated.data ?? parsedWithoutUnknownKeys(sourcesFileSchema, source.value);
    if (!data) continue;
    data.sources.forEach((s, index) => {
      const at = (...p: PropertyKey[]): SourcePosition => source.positionOf(['sources', index, ...p]);
      if ((s.files === undefined) === (s.table === undefined)) {
        diagnostics.push({
          position: at(),
          message: `source '${s.name}' needs exactly one of 'files' and 'table'`,
          hint: 'files: data/x/*.parquet for local files, table: schema.table for an existing table',
        });
        return;
      }
      let files: string | undefined;
      if (s.files !== undefined) {
        if (path.isAbsolute(s.files) || escapes(root, s.files)) {
          diagnostics.push({
            position: at('files'),
            message: `the path '${s.files}' leaves the project folder`,
            hint: 'source files live inside the project; link or copy them in',
          });
          return;
        }
        files = path.join(root, s.files);
      }
      const format = s.format ?? (s.files?.endsWith('.csv') ? 'csv' : s.files ? 'parquet' : undefined);
      const columns: ColumnDeclaration[] = [];
      const checks: CheckDeclaration[] = [];
      (s.columns ?? []).forEach((c, ci) => {
        columns.push({ name: c.name, type: c.type, description: c.description });
        const parsed = parseChecks(c.checks, {
          source,
          path: ['sources', index, 'columns', ci, 'checks'],
          target: s.name,
          column: c.name,
          columnType: c.type,
        });
        checks.push(...parsed.checks);
        diagnostics.push(...parsed.diagnostics);
      });
      const parsed = parseChecks(s.checks, {
        source,
        path: ['sources', index, 'checks'],
        target: s.name,
        column: undefined,
      });
      checks.push(...parsed.checks);
      diagnostics.push(...parsed.diagnostics);
      const [tableSchema, tableName] = s.table?.split('.') ?? [];
      sources.push({
        type: 'source',
        name: s.name,
        file,
        position: source.positionOf(['sources', index, 'name']),
        description: s.description,
        owner: s.owner,
        tags: s.tags ?? [],
        columns,
        checks,
        files,
        format,
        table: tableSchema && tableName ? { schema: tableSchema, name: tableName } : undefined,
        loadedAt: s.loaded_at,
        eventTime: s.event_time,
        freshness: {
          warnAfterMs: s.freshness?.warn_after ? parseDuration(s.freshness.warn_after) : undefined,
          errorAfterMs: s.freshness?.error_after ? parseDuration(s.freshness.error_after) : undefined,
        },
      });
    });
  }
  return sources;
}

async function loadModels(
  root: string,
  folder: string,
  parser: SqlParser,
  diagnostics: Diagnostic[],
): Promise<ModelNode[]> {
  const files = await listFiles(root, folder, (f) => f.endsWith('.sql') || f.endsWith('.model.ts'));
  const sqlFiles: { file: string; text: string; header: ReturnType<typeof splitModelHeader> }[] = [];
  const models: ModelNode[] = [];
  // TypeScript models load (transpiled, imported) while the SQL models are read and parsed: the
  // parser works on its own threads, so the two overlap instead of adding up. Their results are
  // taken in file order, TypeScript models first, as before.
  const typescript = Promise.all(
    files.filter((f) => f.endsWith('.model.ts')).map((file) => loadTypeScriptModel(root, file)),
  );
  const headerDiagnostics: Diagnostic[] = [];
  for (const file of files) {
    if (file.endsWith('.model.ts')) continue;
    const text = await readFile(path.join(root, file), 'utf8');
    const header = splitModelHeader(file, text);
    headerDiagnostics.push(...header.diagnostics);
    sqlFiles.push({ file, text, header });
  }
  const [parsed, loadedTypescript] = await Promise.all([
    parser.parseMany(sqlFiles.map((f) => f.text)),
    typescript,
  ]);
  for (const loaded of loadedTypescript) {
    diagnostics.push(...loaded.diagnostics);
    if (loaded.model) models.push(loaded.model);
  }
  diagnostics.push(...headerDiagnostics);
  sqlFiles.forEach(({ file, text, header }, i) => {
    const result = parsed[i];
    if (!result) return;
    const built = modelFromHeader(file, text, header);
    diagnostics.push(...built.diagnostics);
    if (!result.ok) {
      diagnostics.push({
        position: positionAt(file, text, result.offset ?? header.bodyOffset),
        message: `SQL: ${result.message}`,
      });
      return;
    }
    const analysis = analyzeSelect(result.tree, utf8OffsetMapper(text));
    if (analysis.problem) {
      diagnostics.push({
        position: positionAt(file, text, firstCodeOffset(text, header.bodyOffset)),
        message: analysis.problem,
        hint: 'one SELECT per file; Slipway writes the CREATE statements',
      });
      return;
    }
    if (!built.model) return;
    models.push({ ...built.model, references: analysis.references, normalized: analysis.normalized });
  });
  return models;
}

function resolveReferences(
  models: readonly ModelNode[],
  nodes: ReadonlyMap<string, SourceNode | ModelNode>,
  diagnostics: Diagnostic[],
): ModelNode[] {
  const byLower = new Map([...nodes.values()].map((n) => [n.name.toLowerCase(), n]));
  return models.map((model) => {
    if (model.language === 'typescript') {
      for (const input of model.dependsOn) {
        if (!byLower.has(input.toLowerCase())) {
          diagnostics.push({
            position: model.position,
            message: `unknown input '${input}' in ${model.name}`,
            hint: hintFor(input, byLower.keys()),
          });
        }
      }
      return { ...model, dependsOn: model.dependsOn.map((d) => byLower.get(d.toLowerCase())?.name ?? d) };
    }
    const dependsOn: string[] = [];
    for (const ref of model.references) {
      const position = positionAt(model.file, model.text, ref.offset);
      if (ref.schema !== undefined) {
        const known = byLower.get(ref.name.toLowerCase());
        diagnostics.push({
          position,
          message: `'${ref.schema}.${ref.name}' is schema-qualified: models read models and sources by bare name`,
          hint: known
            ? `write '${known.name}'`
            : 'declare the table as a source (sources/*.yml, `table: schema.name`) and read it by its source name',
        });
        continue;
      }
      const target = byLower.get(ref.name.toLowerCase());
      if (!target) {
        diagnostics.push({
          position,
          message: `'${ref.name}' is not a model, source or CTE`,
          hint: hintFor(ref.name, [...nodes.keys()]),
        });
        continue;
      }
      if (target.name === model.name) {
        diagnostics.push({
          position,
          message: `${model.name} reads from itself`,
          hint: 'a model cannot depend on itself',
        });
        continue;
      }
      if (!dependsOn.includes(target.name)) dependsOn.push(target.name);
    }
    return { ...model, dependsOn };
  });
}

function checkRelationships(
  nodes: readonly (SourceNode | ModelNode)[],
  all: ReadonlyMap<string, SourceNode | ModelNode>,
  diagnostics: Diagnostic[],
): void {
  for (const node of nodes) {
    for (const check of node.checks) {
      if (check.kind !== 'relationships') continue;
      const to = String(check.params['to']);
      if (!all.has(to)) {
        diagnostics.push({
          position: check.position,
          message: `relationships check points at unknown model or source '${to}'`,
          hint: hintFor(to, all.keys()),
        });
      }
    }
  }
}

async function loadTests(
  root: string,
  folder: string,
  models: ReadonlyMap<string, ModelNode>,
  nodes: ReadonlyMap<string, SourceNode | ModelNode>,
  diagnostics: Diagnostic[],
): Promise<UnitTest[]> {
  const files = await listFiles(root, folder, (f) => f.endsWith('.yml') || f.endsWith('.yaml'));
  const tests: UnitTest[] = [];
  const names = new Set<string>();
  for (const file of files) {
    const text = await readFile(path.join(root, file), 'utf8');
    const source = parseYamlSource(file, text);
    diagnostics.push(...source.diagnostics);
    if (source.diagnostics.length > 0) continue;
    const validated = validateWithSchema(source, testsFileSchema, source.value);
    diagnostics.push(...validated.diagnostics);
    const data = validated.data ?? parsedWithoutUnknownKeys(testsFileSchema, source.value);
    if (!data) continue;
    for (const [index, t] of data.tests.entries()) {
      const at = (...p: PropertyKey[]): SourcePosition => source.positionOf(['tests', index, ...p]);
      if (names.has(t.name))
        diagnostics.push({ position: at('name'), message: `a unit test named '${t.name}' already exists` });
      names.add(t.name);
      const model = models.get(t.model);
      if (!model) {
        diagnostics.push({
          position: at('model'),
          message: `unit test '${t.name}' is for unknown model '${t.model}'`,
          hint: hintFor(t.model, models.keys()),
        });
        continue;
      }
      if (model.language !== 'sql') {
        diagnostics.push({
          position: at('model'),
          message: `unit tests are for SQL models; test ${t.model}'s TypeScript directly`,
        });
        continue;
      }
      const fixture = (raw: { rows?: Record<string, unknown>[]; csv?: string }, where: PropertyKey[]) => {
        if (raw.csv === undefined) return { rows: raw.rows, csv: undefined };
        const csvPath = path.join(path.dirname(path.join(root, file)), raw.csv);
        if (path.isAbsolute(raw.csv) || escapes(root, path.relative(root, csvPath))) {
          diagnostics.push({
            position: at(...where, 'csv'),
            message: `the path '${raw.csv}' leaves the project folder`,
          });
        }
        return { rows: undefined, csv: csvPath };
      };
      const inputs: Record<string, { rows: Record<string, unknown>[] | undefined; csv: string | undefined }> =
        {};
      for (const [name, raw] of Object.entries(t.inputs)) {
        if (!model.dependsOn.includes(name)) {
          diagnostics.push({
            position: source.keyPositionOf(['tests', index, 'inputs', name]),
            message: `'${name}' is not read by ${t.model}`,
            hint: model.dependsOn.length
              ? `${t.model} reads: ${model.dependsOn.join(', ')}`
              : `${t.model} reads nothing`,
          });
        }
        inputs[name] = fixture(raw, ['inputs', name]);
      }
      for (const dep of model.dependsOn) {
        if (!(dep in t.inputs) && nodes.has(dep)) {
          diagnostics.push({
            position: source.keyPositionOf(['tests', index, 'inputs']),
            message: `unit test '${t.name}' has no input rows for '${dep}'`,
          });
        }
      }
      tests.push({
        name: t.name,
        model: t.model,
        description: t.description,
        tags: t.tags ?? [],
        file,
        position: at('name'),
        inputs,
        expect: { ...fixture(t.expect, ['expect']), ordered: t.expect.ordered ?? false },
      });
    }
  }
  for (const t of tests) {
    for (const f of [...Object.values(t.inputs), t.expect]) {
      if (f.csv !== undefined && !(await exists(f.csv))) {
        diagnostics.push({
          position: t.position,
          message: `fixture file ${path.relative(root, f.csv)} does not exist`,
        });
      }
    }
  }
  return tests;
}

/** Project-relative files under `folder` (recursively), sorted, with `/` separators. */
async function listFiles(root: string, folder: string, keep: (file: string) => boolean): Promise<string[]> {
  const dir = path.join(root, folder);
  if (!(await exists(dir))) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

function escapes(root: string, relative: string): boolean {
  const resolved = path.resolve(root, relative);
  return resolved !== root && !resolved.startsWith(root + path.sep);
}

function hintFor(word: string, candidates: Iterable<string>): string | undefined {
  const suggestion = closestMatch(word, candidates);
  return suggestion ? `did you mean '${suggestion}'?` : undefined;
}

/** 1-based line and column of a character offset. */
export function positionAt(file: string, text: string, offset: number): SourcePosition {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { file, line, column };
}

function firstCodeOffset(text: string, from: number): number {
  const match = /\S/.exec(text.slice(from));
  return from + (match?.index ?? 0);
}

function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      a.position.file.localeCompare(b.position.file) ||
      a.position.line - b.position.line ||
      a.position.column - b.position.column,
  );
}

/**
 * `slipway init --warehouse postgres`: the reference project on a PostgreSQL database. Its
 * generated file sources are loaded into tables (`raw.<source>`), then its files are pointed at
 * the database: the connection and the state store read the URL from one environment variable
 * (the releases, locks and the warehouse they describe live together, so any clone, CI runner or
 * operator with the variable sees the same live state), and each source is declared by `table:`
 * instead of `files:`. The YAML is edited in place, so its comments and order stay.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isPair, isScalar, isSeq, type Pair, parseDocument } from 'yaml';
import { InvalidArgumentError } from '../core/errors.js';
import { loadProject } from '../project/load-project.js';
import { createPostgresWarehouse } from '../warehouse/postgres/postgres-warehouse.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { openSqlParser } from './open-sql-parser.js';
import { type SeededSource, seedPostgresSources } from './seed-postgres-sources.js';

/** The schema init loads the sources into. */
export const SEED_SCHEMA = 'raw';

/**
 * Connects to the database `urlEnv` names, so a missing variable, a wrong password or a server
 * that is not there is one line before anything is written. The caller closes it.
 */
export async function openSeedDatabase(
  urlEnv: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Warehouse> {
  if (!/^[A-Z_][A-Z0-9_]*$/.test(urlEnv)) {
    throw new InvalidArgumentError(
      `--url-env must name an environment variable (A-Z, 0-9, _), not '${urlEnv}'`,
    );
  }
  const url = env[urlEnv]?.trim();
  if (!url) {
    throw new InvalidArgumentError(`the database URL variable ${urlEnv} is not set`, {
      hint: `export ${urlEnv}=postgres://user:password@host:5432/database, or name another with --url-env`,
    });
  }
  const warehouse = createPostgresWarehouse({ url, source: `the ${urlEnv} variable` });
  try {
    await warehouse.query('select 1');
    return warehouse;
  } catch (error) {
    await warehouse.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Loads the generated project in `root` into `warehouse` (one transaction), then rewrites its
 * `slipway.yaml` and `sources/*.yml` for PostgreSQL. Resolves to the tables loaded.
 */
export async function moveReferenceProjectToPostgres(
  root: string,
  { warehouse, urlEnv }: { readonly warehouse: Warehouse; readonly urlEnv: string },
): Promise<SeededSource[]> {
  const parser = await openSqlParser();
  const project = await loadProject(root, { parser }).finally(() => parser.close());
  const seeded = await seedPostgresSources({
    sources: project.sources.values(),
    warehouse,
    schema: SEED_SCHEMA,
  });
  await rewriteConfig(path.join(root, 'slipway.yaml'), urlEnv);
  const sourcesDir = path.join(root, project.config.paths?.sources ?? 'sources');
  for (const file of (await readdir(sourcesDir)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    await rewriteSources(path.join(sourcesDir, file));
  }
  return seeded;
}

async function rewriteConfig(file: string, urlEnv: string): Promise<void> {
  const doc = parseDocument(await readFile(file, 'utf8'));
  const connections = doc.getIn(['warehouse', 'connections']);
  const name = String(doc.getIn(['warehouse', 'default']));
  if (!isMap(connections) || !connections.has(name))
    throw new Error(`${file}: the template has no default warehouse connection`);
  const connection = doc.createNode({ type: 'postgres', url_env: urlEnv });
  const state = doc.createNode({ type: 'postgres', url_env: urlEnv });
  connection.flow = true;
  state.flow = true;
  connections.set(name, connection);
  doc.set('state', state);
  await writeFile(file, doc.toString({ lineWidth: 0 }));
}

/** `files:` becomes `table: raw.<name>` where it stood; `format:` goes. */
async function rewriteSources(file: string): Promise<void> {
  const doc = parseDocument(await readFile(file, 'utf8'));
  const sources = doc.get('sources');
  if (!isSeq(sources)) return;
  for (const source of sources.items) {
    if (!isMap(source)) continue;
    const pair = source.items.find((p): p is Pair => isPair(p) && isScalar(p.key) && p.key.value === 'files');
    if (!pair) continue;
    pair.key = doc.createNode('table');
    pair.value = doc.createNode(`${SEED_SCHEMA}.${String(source.get('name'))}`);
    source.delete('format');
  }
  await writeFile(file, doc.toString({ lineWidth: 0 }));
}

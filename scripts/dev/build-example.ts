/**
 * Dev-only smoke build of examples/jkl-fraud: generates data, then creates every SQL model (and
 * the TypeScript model) in dependency order in one DuckDB schema and prints row counts. Not the
 * real Slipway build: dependencies are found with a bare-name regex, headers stripped with one.
 */

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateJklData } from '../../src/warehouse/duckdb/reference-data/jkl-fraud-data.js';

// Until the package exports defineModel, resolve 'slipway' to an identity function.
register(
  `data:text/javascript,${encodeURIComponent(
    "export async function resolve(s, c, n) { return s === 'slipway' ? { url: 'data:text/javascript,export const defineModel = (m) => m;', shortCircuit: true } : n(s, c); }",
  )}`,
);
const project = 'examples/jkl-fraud';
const scale = Number(process.argv[2] ?? 0.01);
const slices = Number(process.argv[3] ?? 1);
const dir = await mkdtemp(join(tmpdir(), 'jkl-build-'));
const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const conn = await instance.connect();
try {
  const t0 = performance.now();
  for (let slice = 0; slice < slices; slice++) {
    await generateJklData({ exec: async (q) => void (await conn.run(q)), dataDir: dir, scale, slice });
  }
  console.log(
    `generated scale ${scale} x${slices} slices in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
  );
  await conn.run('create schema env; set search_path = env');
  const sources = ['card_transactions', 'customers', 'merchants', 'devices', 'chargebacks'];
  for (const s of sources) {
    await conn.run(`create view env.${s} as select * from read_parquet('${join(dir, s)}/*.parquet')`);
  }
  const models = new Map<string, { sql: string; kind: string }>();
  for (const layer of ['staging', 'intermediate', 'marts']) {
    for (const f of await readdir(join(project, 'models', layer))) {
      if (!f.endsWith('.sql')) continue;
      const text = await readFile(join(project, 'models', layer, f), 'utf8');
      const m = /^\/\* @slipway\n([\s\S]*?)\*\/\n([\s\S]*)$/.exec(text);
      if (!m) throw new Error(`no header in ${f}`);
      const kind = /^kind: (\w+)/m.exec(m[1]!)?.[1] ?? 'view';
      models.set(f.replace(/\.sql$/, ''), { sql: m[2]!, kind });
    }
  }
  const names = [...models.keys(), ...sources];
  const deps = (sql: string) =>
    names.filter((n) => new RegExp(`\\b(from|join)\\s+${n}\\b`, 'i').test(sql) && models.has(n));
  const done = new Set<string>();
  const order: string[] = [];
  const visit = (n: string, stack: string[]) => {
    if (done.has(n)) return;
    if (stack.includes(n)) throw new Error(`cycle ${[...stack, n].join(' -> ')}`);
    for (const d of deps(models.get(n)!.sql)) visit(d, [...stack, n]);
    done.add(n);
    order.push(n);
  };
  for (const n of models.keys()) visit(n, []);
  for (const n of order) {
    const { sql, kind } = models.get(n)!;
    const t = performance.now();
    await conn.run(`create ${kind === 'view' ? 'view' : 'table'} env.${n} as ${sql}`);
    const rows = (await conn.runAndReadAll(`select count(*) from env.${n}`)).getRows()[0]![0];
    console.log(
      `${n.padEnd(28)} ${kind.padEnd(12)} ${String(rows).padStart(9)}  ${(performance.now() - t).toFixed(0)}ms  <- ${deps(sql).join(', ')}`,
    );
  }
  const tsModel = await import(`../../${project}/models/marts/customer_risk_scores.model.ts`).catch(
    (e: unknown) => {
      console.log('ts model not loaded:', String(e));
      return undefined;
    },
  );
  if (tsModel) {
    const def = tsModel.default as {
      name: string;
      inputs: string[];
      build: (ctx: unknown) => Promise<string> | string;
    };
    const select = await def.build({
      ref: (x: string) => {
        if (!def.inputs.includes(x)) throw new Error(`not an input: ${x}`);
        return `"env"."${x}"`;
      },
      sql: async (q: string) => (await conn.runAndReadAll(q)).getRowObjectsJson(),
    });
    await conn.run(`create table env.${def.name} as ${select}`);
    const r = await conn.runAndReadAll(
      `select count(*) n, count(*) filter (where risk_band <> 'low') flagged from env.${def.name}`,
    );
    console.log(`${def.name.padEnd(28)} table(ts)    ${JSON.stringify(r.getRowObjectsJson()[0])}`);
  }
  for (const q of process.argv.slice(4)) console.table((await conn.runAndReadAll(q)).getRowObjectsJson());
} finally {
  conn.closeSync();
  await rm(dir, { recursive: true, force: true });
}

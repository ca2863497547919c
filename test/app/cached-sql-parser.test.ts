/**
 * The parse cache in front of DuckDB's parser: a second command with the same SQL gets the same
 * trees without opening DuckDB; changed SQL and SQL that does not parse go to the real parser.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCachedSqlParser } from '../../src/app/cached-sql-parser.js';
import type { SqlParser } from '../../src/core/sql-parser.js';
import { createDuckDbSqlParser } from '../../src/warehouse/duckdb/duckdb-sql-parser.js';

let directory: string;
let opened: number;
let parsedByDuckDb: string[];

/** A cached parser on a real DuckDB parser, counting how often DuckDB is opened and what it parses. */
function cached(version = 'duckdb-test'): Promise<SqlParser> {
  return createCachedSqlParser({
    directory,
    version,
    open: async () => {
      opened++;
      const real = await createDuckDbSqlParser();
      return {
        parseMany: (texts) => {
          parsedByDuckDb.push(...texts);
          return real.parseMany(texts);
        },
        close: () => real.close(),
      };
    },
  });
}

async function parse(texts: string[], version?: string) {
  const parser = await cached(version);
  try {
    return await parser.parseMany(texts);
  } finally {
    await parser.close();
  }
}

const A = 'select customer_id, sum(amount) as total from orders group by customer_id';
const B = 'select * from customers where id in (select customer_id from orders)';

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'slipway-parse-cache-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('the SQL parse cache', () => {
  it('answers a second command from the cache, with the trees DuckDB gave, without opening DuckDB', async () => {
    opened = 0;
    parsedByDuckDb = [];
    const first = await parse([A, B]);
    expect(opened).toBe(1);
    expect(parsedByDuckDb).toEqual([A, B]);
    expect(first.every((r) => r.ok)).toBe(true);
    expect(await readdir(directory)).toEqual(['sql-parse-duckdb-test.json']);

    opened = 0;
    parsedByDuckDb = [];
    const second = await parse([B, A]);
    expect(opened).toBe(0);
    expect(second).toEqual([first[1], first[0]]);
  });

  it('sends only changed SQL to DuckDB, and never caches a parse error', async () => {
    opened = 0;
    parsedByDuckDb = [];
    const changed = `${A} having sum(amount) > 10`;
    const broken = 'select from where';
    const results = await parse([A, changed, broken]);
    expect(opened).toBe(1);
    expect(parsedByDuckDb).toEqual([changed, broken]);
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);

    parsedByDuckDb = [];
    await parse([changed, broken]);
    expect(parsedByDuckDb).toEqual([broken]);
  });

  it('keeps each parser version apart, and a torn cache file only costs a parse', async () => {
    opened = 0;
    await parse([A], 'duckdb-other');
    expect(opened).toBe(1);
    await writeFile(path.join(directory, 'sql-parse-duckdb-test.json'), '{"trees": {"x"');
    opened = 0;
    const [result] = await parse([A]);
    expect(opened).toBe(1);
    expect(result?.ok).toBe(true);
    opened = 0;
    await parse([A]);
    expect(opened).toBe(0);
  });
});

/**
 * PostgreSQL for one suite: the server the global setup started (or `SLIPWAY_TEST_PG_URL`), and a
 * fresh database per caller so suites running side by side never see each other's schemas.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The test server's URL (its `postgres` database). */
export function testPostgresUrl(): string {
  const url = process.env['SLIPWAY_TEST_PG_URL'];
  if (!url)
    throw new Error(
      'SLIPWAY_TEST_PG_URL is not set: run the suite through vitest (its global setup starts PostgreSQL)',
    );
  return url;
}

/** `url` with its database replaced. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops the database (closing whatever still holds it). */
  drop(): Promise<void>;
}

/**
 * Creates an empty database on the test server (or a copy of `template`, a database nobody is
 * connected to); `drop()` removes it.
 */
export async function freshDatabase(prefix = 'slipway_test', template?: string): Promise<TestDatabase> {
  const admin = testPostgresUrl();
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
  } finally {
    await client.end();
  }
  return {
    name,
    url: withDatabase(admin, name),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Bad input for the PostgreSQL warehouse: an unreachable server, a wrong password, a missing
 * database, a role that may not create schemas, the URL's variable unset. Each is one line with a
 * hint, an `InvalidArgumentError` (exit code 2), and no message, hint, cause or stack ever holds
 * the URL's password.
 */

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, SlipwayError } from '../../src/core/errors.js';
import {
  createPostgresWarehouse,
  postgresUrlFromEnvironment,
} from '../../src/warehouse/postgres/postgres-warehouse.js';
import { freshDatabase, type TestDatabase, testPostgresUrl } from '../helpers/postgres.js';

const SECRET = 'hunter2-Very-Secret';

let database: TestDatabase;
const limitedRole = `slipway_limited_${process.pid}`;

beforeAll(async () => {
  database = await freshDatabase('slipway_pgerr');
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  try {
    await admin.query(`DROP ROLE IF EXISTS ${limitedRole}`);
    await admin.query(`CREATE ROLE ${limitedRole} LOGIN PASSWORD '${SECRET}'`);
    await admin.query('CREATE SCHEMA made_for_it');
    await admin.query(`GRANT USAGE, CREATE ON SCHEMA made_for_it TO ${limitedRole}`);
  } finally {
    await admin.end();
  }
});

afterAll(async () => {
  await database?.drop();
  const admin = new pg.Client({ connectionString: testPostgresUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP ROLE IF EXISTS ${limitedRole}`);
  } finally {
    await admin.end();
  }
});

function urlWith(changes: { user?: string; password?: string; port?: string; database?: string }): string {
  const url = new URL(database.url);
  if (changes.user !== undefined) url.username = changes.user;
  if (changes.password !== undefined) url.password = changes.password;
  if (changes.port !== undefined) url.port = changes.port;
  if (changes.database !== undefined) url.pathname = `/${changes.database}`;
  return url.toString();
}

/** The error of the first statement on a warehouse at `url`, checked to be one clean line. */
async function firstError(
  url: string,
  work?: (w: ReturnType<typeof createPostgresWarehouse>) => Promise<unknown>,
): Promise<SlipwayError> {
  const warehouse = createPostgresWarehouse({ url, source: 'the SLIPWAY_PG_URL variable' });
  try {
    const error = await (work ? work(warehouse) : warehouse.query('select 1')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SlipwayError);
    const slipway = error as SlipwayError;
    expect(slipway.message).not.toContain('\n');
    expect(slipway.hint).toBeTruthy();
    const cause = slipway.cause as Error | undefined;
    const everything = JSON.stringify({
      message: slipway.message,
      hint: slipway.hint,
      stack: slipway.stack,
      cause: cause?.message,
      causeStack: cause?.stack,
    });
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(encodeURIComponent(SECRET));
    return slipway;
  } finally {
    await warehouse.close();
  }
}

describe('postgres connection errors', () => {
  it('explains an unreachable server', async () => {
    const error = await firstError(urlWith({ password: SECRET, port: '1' }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toBe('cannot reach PostgreSQL at 127.0.0.1:1: connection refused');
    expect(error.hint).toContain('SLIPWAY_PG_URL');
  });

  it('explains a wrong password without repeating it', async () => {
    const error = await firstError(urlWith({ user: limitedRole, password: `${SECRET}-wrong` }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(
      new RegExp(`refused the password of user ${limitedRole} at 127\\.0\\.0\\.1:\\d+$`),
    );
  });

  it('explains a missing database', async () => {
    const error = await firstError(
      urlWith({ password: SECRET, user: limitedRole, database: 'no_such_db_here' }),
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(/has no database no_such_db_here$/);
  });

  it('explains a role that may not create a schema, and lets it use one made for it', async () => {
    const url = urlWith({ user: limitedRole, password: SECRET });
    const error = await firstError(url, (w) => w.createSchema('slipway_physical'));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toBe(
      `PostgreSQL user ${limitedRole} may not create the schema slipway_physical in database ${database.name}`,
    );
    expect(error.hint).toContain('GRANT CREATE ON DATABASE');
    const warehouse = createPostgresWarehouse({ url });
    try {
      await warehouse.createSchema('made_for_it');
      await warehouse.createTableAs({ schema: 'made_for_it', name: 't' }, 'select 1 as one');
      expect(await warehouse.rowCount({ schema: 'made_for_it', name: 't' })).toBe(1);
      expect(await warehouse.listSchemas()).not.toContain('slipway_physical');
    } finally {
      await warehouse.close();
    }
  });

  it('explains an unset variable', () => {
    let error: unknown;
    try {
      postgresUrlFromEnvironment('SLIPWAY_PG_URL_NOT_SET', {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toBe('the environment variable SLIPWAY_PG_URL_NOT_SET is not set');
    expect(
      postgresUrlFromEnvironment('SLIPWAY_PG_URL_SET', { SLIPWAY_PG_URL_SET: 'postgres://x@h/db' }),
    ).toBe('postgres://x@h/db');
  });
});

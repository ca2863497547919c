/** The suite's PostgreSQL server is real, reachable and refuses a wrong password. */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freshDatabase, testPostgresUrl } from '../helpers/postgres.js';

describe('test PostgreSQL server', () => {
  it('serves a fresh database per caller and refuses a wrong password', async () => {
    const db = await freshDatabase();
    try {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query<{ db: string }>('select current_database() as db');
      await client.end();
      expect(rows[0]?.db).toBe(db.name);
      const wrong = new URL(testPostgresUrl());
      wrong.password = 'not-the-password';
      const refused = new pg.Client({ connectionString: wrong.toString() });
      await expect(refused.connect()).rejects.toThrow(/password authentication failed/);
    } finally {
      await db.drop();
    }
  });
});

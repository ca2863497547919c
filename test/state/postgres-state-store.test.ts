/**
 * The PostgreSQL state store against the contract (a fresh database per test), plus what only
 * PostgreSQL has: migrations under an advisory lock when processes start together, the
 * database's clock, and connection errors that never show the password.
 */
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, SlipwayError } from '../../src/core/errors.js';
import { POSTGRES_MIGRATIONS } from '../../src/state/postgres/postgres-migrations.js';
import { openPostgresStateStore } from '../../src/state/postgres/postgres-state-store.js';
import type { LockHolder } from '../../src/state/state-store.js';
import { freshDatabase, type TestDatabase, testPostgresUrl } from '../helpers/postgres.js';
import { stateStoreContract } from './state-store-contract.js';

const databases: TestDatabase[] = [];

async function database(): Promise<TestDatabase> {
  const db = await freshDatabase('slipway_state');
  databases.push(db);
  return db;
}

afterAll(async () => {
  for (const db of databases) await db.drop();
});

stateStoreContract('postgres', async (options) =>
  openPostgresStateStore({ url: (await database()).url, ...options }),
);

describe('postgres specifics', () => {
  it('migrates once when several processes open a new database at the same moment', async () => {
    const db = await database();
    const stores = await Promise.all(
      Array.from({ length: 5 }, () => openPostgresStateStore({ url: db.url })),
    );
    try {
      for (const store of stores) expect(await store.schemaVersion()).toBe(POSTGRES_MIGRATIONS.length);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query(
        'select version, count(*)::int as n from slipway_state.schema_migrations group by version order by version',
      );
      await client.end();
      expect(rows).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('applies a new migration to an existing database and refuses one newer than it knows', async () => {
    const db = await database();
    await (await openPostgresStateStore({ url: db.url })).close();
    const next = [
      ...POSTGRES_MIGRATIONS,
      { version: 99, name: 'test column', sql: 'alter table runs add column note text' },
    ];
    const store = await openPostgresStateStore({ url: db.url, migrations: next });
    expect(await store.schemaVersion()).toBe(99);
    await store.close();
    await expect(openPostgresStateStore({ url: db.url })).rejects.toThrow(/newer than this Slipway knows/);
  });

  it('refuses to change or delete events', async () => {
    const db = await database();
    const store = await openPostgresStateStore({ url: db.url });
    await store.appendEvent({ type: 'x' });
    await store.close();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await expect(client.query("update slipway_state.events set type = 'y'")).rejects.toThrow(/append-only/);
      await expect(client.query('delete from slipway_state.events')).rejects.toThrow(/append-only/);
    } finally {
      await client.end();
    }
  });

  it('keeps the key order of what it stores, as written', async () => {
    const db = await database();
    const store = await openPostgresStateStore({ url: db.url });
    try {
      const models = {
        zeta: { fingerprint: 'f1', table: 'zeta__f1' },
        alpha: { fingerprint: 'f2', table: 'alpha__f2' },
        mid: { fingerprint: 'f3', table: 'mid__f3' },
      };
      await store.createRelease({
        id: 'r1',
        environment: 'prod',
        kind: 'apply',
        strategy: 'direct',
        commit: undefined,
        actor: 'ada',
        models,
        plan: { b: 1, a: [1, 2] },
        previousReleaseId: undefined,
      });
      const stored = await store.getRelease('r1');
      expect(Object.keys(stored?.models ?? {})).toEqual(['zeta', 'alpha', 'mid']);
      expect(JSON.stringify(stored?.plan)).toBe('{"b":1,"a":[1,2]}');
    } finally {
      await store.close();
    }
  });

  it('judges lock expiry by the database clock, whatever the host clock says', async () => {
    const db = await database();
    const a = await openPostgresStateStore({ url: db.url });
    const b = await openPostgresStateStore({ url: db.url });
    const holder = (id: string, host: string): LockHolder => ({ id, pid: 1, host, user: 'u', purpose: 'p' });
    try {
      expect((await a.tryLock('env:prod', holder('a', 'host-a'), 60_000)).acquired).toBe(true);
      // This host's clock jumps two hours ahead: a store on its own clock would see the lease expired.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 2 * 3_600_000);
      try {
        const attempt = await b.tryLock('env:prod', holder('b', 'host-b'), 60_000);
        expect(!attempt.acquired && attempt.heldBy.holder.id).toBe('a');
      } finally {
        vi.useRealTimers();
      }
      await a.unlock('env:prod', 'a');
      const taken = await b.tryLock('env:prod', holder('b', 'host-b'), 60_000);
      expect(taken.acquired && taken.lease.term).toBe(2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('says in one line that it cannot connect, never showing the password', async () => {
    const url = new URL(testPostgresUrl());
    url.password = 's3cr3t-Pa55';
    const wrongPassword = openPostgresStateStore({ url: url.toString() });
    await expect(wrongPassword).rejects.toBeInstanceOf(InvalidArgumentError);
    const error = (await wrongPassword.catch((e: unknown) => e)) as SlipwayError;
    expect(error.message).toMatch(
      /cannot connect to the state store at postgres:\/\/slipway@127\.0\.0\.1:\d+\/postgres: .*password/,
    );
    expect(`${error.message} ${error.hint}`).not.toContain('s3cr3t-Pa55');
    expect(error.message).not.toContain('\n');

    const closedPort = new URL(url);
    closedPort.port = '1';
    const unreachable = (await openPostgresStateStore({ url: closedPort.toString() }).catch(
      (e: unknown) => e,
    )) as SlipwayError;
    expect(unreachable).toBeInstanceOf(InvalidArgumentError);
    expect(unreachable.message).toMatch(
      /cannot connect to the state store at postgres:\/\/slipway@127\.0\.0\.1:1\/postgres: .*ECONNREFUSED/,
    );
    expect(unreachable.message).not.toContain('s3cr3t-Pa55');

    const notAUrl = (await openPostgresStateStore({ url: 'slipway:s3cr3t-Pa55@nowhere' }).catch(
      (e: unknown) => e,
    )) as SlipwayError;
    expect(notAUrl).toBeInstanceOf(SlipwayError);
    expect(notAUrl.message).not.toContain('s3cr3t-Pa55');
  });
});

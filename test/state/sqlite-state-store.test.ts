/** The SQLite state store against the contract, plus what only SQLite has: WAL, migrations. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/state/sqlite/sqlite-migrations.js';
import { openSqliteStateStore, SqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import { stateStoreContract } from './state-store-contract.js';

const tmp = await mkdtemp(path.join(tmpdir(), 'slipway-state-'));
let n = 0;
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

stateStoreContract('sqlite file', async (options) => {
  n += 1;
  return openSqliteStateStore({ path: path.join(tmp, `contract-${n}`, 'state.db'), ...options });
});

describe('sqlite specifics', () => {
  it('uses WAL and records each migration once', async () => {
    const file = path.join(tmp, 'wal', 'state.db');
    const store = new SqliteStateStore({ path: file });
    expect(store.journalMode).toBe('wal');
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    await store.close();
    const again = new SqliteStateStore({ path: file });
    expect(again.schemaVersion).toBe(MIGRATIONS.length);
    await again.close();
    const db = new Database(file);
    expect(db.prepare('select count(*) as n from schema_migrations').get()).toEqual({ n: MIGRATIONS.length });
    db.close();
  });

  it('applies a new migration to an existing file', async () => {
    const file = path.join(tmp, 'migrate', 'state.db');
    await new SqliteStateStore({ path: file }).close();
    const next = [
      ...MIGRATIONS,
      { version: 99, name: 'test column', sql: 'alter table runs add column note text' },
    ];
    const store = new SqliteStateStore({ path: file, migrations: next });
    expect(store.schemaVersion).toBe(99);
    await store.close();
    expect(() => new SqliteStateStore({ path: file })).toThrow(/newer than this Slipway knows/);
  });

  it('migrates a version-1 file: releases a rollback replaced become rolled_back', async () => {
    const file = path.join(tmp, 'v1', 'state.db');
    const v1 = new SqliteStateStore({ path: file, migrations: MIGRATIONS.filter((m) => m.version === 1) });
    // Version-1 files were written by a Slipway that knew no rolled_back: releases of every
    // kind ended succeeded (the rollback's kind is set afterwards, as this store would mark it).
    const switched = async (id: string, actor: string): Promise<void> => {
      const previousReleaseId = (await v1.getPointer('prod'))?.releaseId;
      await v1.createRelease({
        id,
        environment: 'prod',
        kind: 'apply',
        strategy: 'blue-green',
        commit: undefined,
        actor,
        models: { a: { fingerprint: id, table: `a__${id}` } },
        plan: null,
        previousReleaseId,
      });
      await v1.completeRelease({
        environment: 'prod',
        releaseId: id,
        models: { a: { fingerprint: id, table: `a__${id}` } },
        switchedAt: new Date().toISOString(),
      });
    };
    await switched('r1', 'ada');
    await switched('r2', 'ada');
    await switched('r3', 'tess');
    await switched('r4', 'ada');
    expect(v1.schemaVersion).toBe(1);
    await v1.close();
    const db = new Database(file);
    db.prepare("update releases set kind = 'rollback' where id = 'r3'").run();
    db.close();
    const store = new SqliteStateStore({ path: file });
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    const status = async (id: string) => {
      const r = await store.getRelease(id);
      return [r?.status, r?.rolledBack, r?.verification];
    };
    expect(await status('r1')).toEqual(['succeeded', undefined, undefined]);
    expect(await status('r2')).toEqual([
      'rolled_back',
      { by: 'r3', reason: 'rolled back by tess' },
      undefined,
    ]);
    expect(await status('r3')).toEqual(['succeeded', undefined, undefined]);
    expect(await status('r4')).toEqual(['succeeded', undefined, undefined]);
    await store.close();
  });

  it('refuses to change or delete events', async () => {
    const file = path.join(tmp, 'events', 'state.db');
    const store = openSqliteStateStore({ path: file });
    await store.appendEvent({ type: 'x' });
    await store.close();
    const db = new Database(file);
    expect(() => db.prepare("update events set type = 'y'").run()).toThrow(/append-only/);
    expect(() => db.prepare('delete from events').run()).toThrow(/append-only/);
    db.close();
  });

  it('sees writes of another connection to the same file', async () => {
    const file = path.join(tmp, 'shared', 'state.db');
    const a = openSqliteStateStore({ path: file });
    const b = openSqliteStateStore({ path: file });
    const holder = { id: 'a', pid: process.pid, host: 'h', user: 'u', purpose: 'p' };
    expect((await a.tryLock('env:x', holder, 10_000)).acquired).toBe(true);
    expect((await b.tryLock('env:x', { ...holder, id: 'b' }, 10_000)).acquired).toBe(false);
    await a.close();
    await b.close();
  });
});

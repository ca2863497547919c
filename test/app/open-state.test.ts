/**
 * Opening the state a project's `state:` names: SQLite in the folder by default; with PostgreSQL
 * the URL comes from the named variable only, and the operator's store and lease live in the
 * database too, shared by every operator whatever its home.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOperatorState, openStateStore } from '../../src/app/open-state.js';
import { ConflictError, InvalidArgumentError, type SlipwayError } from '../../src/core/errors.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';

const postgres = { type: 'postgres', url_env: 'SLIPWAY_STATE_URL' } as const;
let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await freshDatabase('slipway_open_state');
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-open-state-'));
});

afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('openStateStore', () => {
  it('opens SQLite under the project folder by default', async () => {
    const root = path.join(dir, 'default');
    const state = await openStateStore(undefined, { root });
    await state.appendEvent({ type: 'x' });
    await state.close();
    expect(existsSync(path.join(root, '.slipway', 'state.db'))).toBe(true);
  });

  it('refuses, in one line, a PostgreSQL store whose variable is not set', async () => {
    const opening = openStateStore(postgres, { root: dir, env: {} });
    await expect(opening).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(opening).rejects.toThrow(/^the state store's URL variable SLIPWAY_STATE_URL is not set$/);
    await expect(openOperatorState(postgres, { home: dir, env: { SLIPWAY_STATE_URL: ' ' } })).rejects.toThrow(
      "the state store's URL variable SLIPWAY_STATE_URL is not set",
    );
  });

  it('names the variable, never the password, when the database refuses the credentials', async () => {
    const wrong = new URL(db.url);
    wrong.password = 'n0t-the-Passw0rd';
    const error = (await openStateStore(postgres, {
      root: dir,
      env: { SLIPWAY_STATE_URL: wrong.toString() },
    }).catch((e: unknown) => e)) as SlipwayError;
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.hint).toContain('SLIPWAY_STATE_URL');
    expect(`${error.message}\n${error.hint}`).not.toContain('n0t-the-Passw0rd');
  });

  it('opens the PostgreSQL store the variable points at', async () => {
    const env = { SLIPWAY_STATE_URL: db.url };
    const first = await openStateStore(postgres, { root: dir, env });
    await first.appendEvent({ type: 'from.first' });
    await first.close();
    const second = await openStateStore(postgres, { root: dir, env });
    expect((await second.listEvents()).map((e) => e.type)).toContain('from.first');
    await second.close();
  });
});

describe('openOperatorState', () => {
  it('keeps the operator store and lease in the home with SQLite', async () => {
    const home = path.join(dir, 'sqlite-home');
    const adapters = await openOperatorState({ type: 'sqlite', path: 'elsewhere/state.db' }, { home });
    try {
      expect(adapters.kind).toBe('sqlite');
      expect((await adapters.lease.acquire('a', 10_000))?.term).toBe(1);
    } finally {
      await adapters.close();
    }
    expect(existsSync(path.join(home, '.slipway', 'operator.db'))).toBe(true);
    expect(existsSync(path.join(home, '.slipway', 'state.db'))).toBe(true);
  });

  it('shares the lease and the fenced operator store between operators with different homes', async () => {
    const env = { SLIPWAY_STATE_URL: db.url };
    const a = await openOperatorState(postgres, { home: path.join(dir, 'home-a'), env });
    const b = await openOperatorState(postgres, { home: path.join(dir, 'home-b'), env });
    try {
      expect(a.kind).toBe('postgres');
      const leader = await a.lease.acquire('operator-a', 60_000);
      expect(leader?.term).toBe(1);
      expect(await b.lease.acquire('operator-b', 60_000)).toBeUndefined();
      await a.store.setLastHandledCommit('a'.repeat(40), leader?.term);
      expect(await b.store.lastHandledCommit()).toBe('a'.repeat(40));
      await a.lease.release('operator-a');
      const standby = await b.lease.acquire('operator-b', 60_000);
      expect(standby?.term).toBe(2);
      await expect(a.store.setLastHandledCommit('c'.repeat(40), leader?.term)).rejects.toBeInstanceOf(
        ConflictError,
      );
      await b.store.setLastHandledCommit('b'.repeat(40), standby?.term);
      expect(await a.store.lastHandledCommit()).toBe('b'.repeat(40));
      await a.state.appendEvent({ type: 'seen.by.both' });
      expect((await b.state.listEvents()).map((e) => e.type)).toContain('seen.by.both');
    } finally {
      await a.close();
      await b.close();
    }
    expect(existsSync(path.join(dir, 'home-a', '.slipway', 'operator.db'))).toBe(false);
  });
});

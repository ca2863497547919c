/** The alert store contract on a real SQLite file. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { SqliteAlertStore } from '../../src/state/sqlite/sqlite-alert-store.js';
import { alertStoreContract } from './alert-store-contract.js';

let dir: string;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-alert-store-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

alertStoreContract('SqliteAlertStore', {
  setup: async () => {
    files += 1;
    const file = path.join(dir, `operator-${files}.db`);
    return { store: new SqliteAlertStore(file), reopen: async () => new SqliteAlertStore(file) };
  },
});

/** The operator store contract on a real SQLite file, beside the SQLite lease in the same file. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { SqliteLeaderLease } from '../../src/state/sqlite/sqlite-leader-lease.js';
import { SqliteOperatorStore } from '../../src/state/sqlite/sqlite-operator-store.js';
import { operatorStoreContract } from './operator-store-contract.js';

let dir: string;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-operator-store-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

operatorStoreContract('SqliteOperatorStore', {
  setup: async (now) => {
    files += 1;
    const file = path.join(dir, `operator-${files}.db`);
    return { lease: new SqliteLeaderLease({ file, now }), store: new SqliteOperatorStore(file) };
  },
});

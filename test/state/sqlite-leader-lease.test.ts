/** The LeaderLease contract on a real SQLite file (each handle its own connection). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { SqliteLeaderLease } from '../../src/state/sqlite/sqlite-leader-lease.js';
import { describeLeaderLeaseContract } from './leader-lease-contract.js';

let dir: string;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-lease-contract-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describeLeaderLeaseContract('SqliteLeaderLease', {
  setup: async () => {
    files += 1;
    const file = path.join(dir, `lease-${files}.sqlite`);
    return { connect: async () => new SqliteLeaderLease({ file }) };
  },
});

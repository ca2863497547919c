/**
 * The operator's own records are fenced by the leader lease's term: once a standby has taken the
 * lease (term N+1), a deposed leader's writes (term N) are refused, and nothing it tried lands.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import { SqliteLeaderLease } from '../../src/state/sqlite/sqlite-leader-lease.js';
import { SqliteOperatorStore } from '../../src/state/sqlite/sqlite-operator-store.js';

let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('refuses writes stamped with a term older than the lease', async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-fence-'));
  const file = path.join(dir, 'operator.db');
  let now = 1_000;
  const lease = new SqliteLeaderLease({ file, now: () => now });
  const store = new SqliteOperatorStore(file);
  try {
    const old = await lease.acquire('a', 100);
    expect(old?.term).toBe(1);
    await store.setLastHandledCommit('a'.repeat(40), old?.term);
    now += 500; // a's lease expired; b takes over
    const next = await lease.acquire('b', 100);
    expect(next?.term).toBe(2);
    await expect(store.setLastHandledCommit('b'.repeat(40), old?.term)).rejects.toThrow(ConflictError);
    await expect(
      store.setPause('prod', { reason: 'x', commit: null, since: 'now', by: 'a' }, old?.term),
    ).rejects.toThrow(ConflictError);
    expect(await store.lastHandledCommit()).toBe('a'.repeat(40));
    expect(await store.pause('prod')).toBeUndefined();
    await store.setLastHandledCommit('c'.repeat(40), next?.term);
    expect(await store.lastHandledCommit()).toBe('c'.repeat(40));
  } finally {
    await store.close();
    await lease.close();
  }
});

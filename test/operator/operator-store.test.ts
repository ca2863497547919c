/**
 * The operator's own records are fenced by the leader lease's term: once a standby has taken the
 * lease (term N+1), a deposed leader's writes (term N) are refused, and nothing it tried lands.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import { OperatorStore } from '../../src/operator/operator-store.js';
import { SqliteLeaderLease } from '../../src/operator/sqlite-leader-lease.js';

let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('refuses writes stamped with a term older than the lease', async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-fence-'));
  const file = path.join(dir, 'operator.db');
  let now = 1_000;
  const lease = new SqliteLeaderLease({ file, now: () => now });
  const store = new OperatorStore(file);
  try {
    const old = await lease.acquire('a', 100);
    expect(old?.term).toBe(1);
    store.setLastHandledCommit('a'.repeat(40), old?.term);
    now += 500; // a's lease expired; b takes over
    const next = await lease.acquire('b', 100);
    expect(next?.term).toBe(2);
    expect(() => store.setLastHandledCommit('b'.repeat(40), old?.term)).toThrow(ConflictError);
    expect(() =>
      store.setPause('prod', { reason: 'x', commit: null, since: 'now', by: 'a' }, old?.term),
    ).toThrow(ConflictError);
    expect(store.lastHandledCommit()).toBe('a'.repeat(40));
    expect(store.pause('prod')).toBeUndefined();
    store.setLastHandledCommit('c'.repeat(40), next?.term);
    expect(store.lastHandledCommit()).toBe('c'.repeat(40));
  } finally {
    store.close();
    await lease.close();
  }
});

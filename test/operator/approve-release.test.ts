/**
 * The one approve path (`approveRelease`, what the operator's API and `slipway approve` without an
 * operator both call), on a real SQLite operator store beside its lease: it refuses an environment
 * without `approval: true` as invalid input, approves the release waiting at the gate and records
 * it in the audit log, and its write is fenced by the lease term like the operator's own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, InvalidArgumentError } from '../../src/core/errors.js';
import { approveRelease } from '../../src/operator/approve-release.js';
import { SqliteLeaderLease } from '../../src/state/sqlite/sqlite-leader-lease.js';
import { SqliteOperatorStore } from '../../src/state/sqlite/sqlite-operator-store.js';
import { openSqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import type { StateStore } from '../../src/state/state-store.js';
import { slipway } from '../helpers/cli.js';
import { releaseProject } from '../helpers/release-project.js';

let dir: string;
let now = 1_000;
let store: SqliteOperatorStore;
let lease: SqliteLeaderLease;
let state: StateStore;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-approve-'));
  const file = path.join(dir, 'operator.db');
  store = new SqliteOperatorStore(file);
  lease = new SqliteLeaderLease({ file, now: () => now });
  state = openSqliteStateStore({ path: path.join(dir, 'state.db') });
});
afterAll(async () => {
  await store?.close();
  await lease?.close();
  await state?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const audit = { name: 'audit', approval: true };
const at = new Date('2026-12-01T10:00:00Z');

describe('approveRelease', () => {
  it('refuses an environment that does not require approval, and writes nothing', async () => {
    await store.setPendingApproval('prod', { releaseId: 'r-prod', commit: 'c1', since: 't' }, undefined);
    await expect(
      approveRelease(
        { store, state },
        { environment: { name: 'prod', approval: false }, actor: 'ada', fence: undefined, at },
      ),
    ).rejects.toThrow(InvalidArgumentError);
    expect(await store.approval('prod')).toBeUndefined();
    expect(await state.listEvents({ environment: 'prod' })).toEqual([]);
  });

  it('approves the release waiting at the gate and records it in the audit log', async () => {
    await expect(
      approveRelease({ store, state }, { environment: audit, actor: 'ada', fence: undefined, at }),
    ).rejects.toThrow(/nothing is waiting for approval in audit/);
    await store.setPendingApproval('audit', { releaseId: 'r-1', commit: 'c1', since: 't' }, undefined);
    const grant = await lease.acquire('operator-a', 100);
    const approved = await approveRelease(
      { store, state },
      { environment: audit, comment: 'looks good', actor: 'ada', fence: grant?.term, at },
    );
    expect(approved).toBe('r-1');
    expect(await store.approval('audit')).toEqual({
      releaseId: 'r-1',
      by: 'ada',
      comment: 'looks good',
      at: at.toISOString(),
    });
    const [event] = await state.listEvents({ environment: 'audit' });
    expect(event).toMatchObject({ type: 'approval.granted', releaseId: 'r-1', actor: 'ada' });
  });

  it('is fenced: an approval stamped with a deposed term is refused', async () => {
    const old = (await lease.current())?.term;
    now += 500; // operator-a's lease expired; b takes over
    const next = await lease.acquire('operator-b', 100);
    expect(next?.term).toBe((old ?? 0) + 1);
    await expect(
      approveRelease(
        { store, state },
        { environment: audit, releaseId: 'r-2', actor: 'eve', fence: old, at },
      ),
    ).rejects.toThrow(ConflictError);
    expect((await store.approval('audit'))?.releaseId).toBe('r-1');
  });
});

describe('slipway approve without an operator', () => {
  it('refuses an environment without approval: true with exit 2, before looking for an operator', async () => {
    const project = await releaseProject(1);
    try {
      const result = await slipway(['approve', '--env', 'prod'], { cwd: project.root });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/prod does not require approval/);
      expect(result.stderr).toMatch(/set approval: true on prod/);
    } finally {
      await project.remove();
    }
  });
});

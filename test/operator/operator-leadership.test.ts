/**
 * The operator loop around a leader lease on a real SQLite file: one leader at a time, a standby
 * takes over within the lease time when the leader dies (a real process, SIGKILLed), and a
 * graceful stop (SIGTERM) finishes the step in progress and hands the lease over at once.
 * The lease itself is covered by test/state/leader-lease-contract.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitMirror } from '../../src/git/git-mirror.js';
import type { CommitsEvent } from '../../src/operator/git-watcher.js';
import { Operator, type Reconciler } from '../../src/operator/operator.js';
import { SqliteLeaderLease } from '../../src/state/sqlite/sqlite-leader-lease.js';
import { createGitFixture, type GitFixture, waitFor } from '../helpers/git-fixtures.js';

let dir: string;
let fixture: GitFixture;
const leases: SqliteLeaderLease[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-lease-'));
  fixture = await createGitFixture();
  await fixture.commitAndPush('Initial project', { file: 'slipway.yaml' });
});

afterAll(async () => {
  for (const lease of leases) await lease.close();
  await fixture?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function fakeReconciler(stepMs: number): Reconciler & { events: CommitsEvent[]; finished: number } {
  const state = {
    events: [] as CommitsEvent[],
    finished: 0,
    lastHandledCommit: async () => undefined,
    reconcile: async (event: CommitsEvent, { signal }: { signal: AbortSignal }) => {
      state.events.push(event);
      await new Promise((r) => setTimeout(r, stepMs));
      if (!signal.aborted) state.finished += 1;
    },
  };
  return state;
}

function operatorOn(file: string, holderId: string, reconciler: Reconciler): Operator {
  const lease = new SqliteLeaderLease({ file });
  leases.push(lease); // the operator does not own its lease; the test closes it
  return new Operator({
    lease,
    source: new GitMirror({
      url: fixture.origin,
      branch: 'main',
      directory: path.join(dir, `mirror-${holderId}`),
    }),
    reconciler,
    holderId,
    leaseTtlMs: 600,
    standbyRetryMs: 50,
    pollIntervalMs: 0,
  });
}

interface OperatorProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

/** Starts test/operator/fixtures/run-operator.ts in its own process. */
function spawnOperator(leaseFile: string, holderId: string): OperatorProcess {
  const script = path.join(import.meta.dirname, 'fixtures', 'run-operator.ts');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      script,
      leaseFile,
      fixture.origin,
      path.join(dir, `mirror-${holderId}`),
      holderId,
      '600',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

describe('Operator leadership', () => {
  it('a standby takes over within the lease time after the leader process is SIGKILLed', async () => {
    const file = path.join(dir, 'takeover.sqlite');
    const leader = spawnOperator(file, 'dying-leader');
    const reconciler = fakeReconciler(0);
    const standby = operatorOn(file, 'standby', reconciler);
    try {
      await waitFor(() => leader.output().includes('state leader 1'), 20_000, 'the child operator to lead');
      standby.start();
      await new Promise((r) => setTimeout(r, 300));
      expect(standby.state).toBe('standby');

      leader.child.kill('SIGKILL');
      const killedAt = Date.now();
      await waitFor(() => standby.state === 'leader', 5000, 'the standby to take over');
      expect(Date.now() - killedAt).toBeLessThan(600 + 400);
      expect(standby.grant?.term).toBe(2);
      // As leader it syncs the branch head at once.
      await waitFor(() => reconciler.events.length === 1, 10_000, 'the first reconcile');
      expect(reconciler.events[0]?.commits.map((c) => c.message)).toEqual(['Initial project']);
    } finally {
      leader.child.kill('SIGKILL');
      await standby.stop();
    }
  });

  it('on SIGTERM the leader process releases the lease and exits 0; the standby leads at once', async () => {
    const file = path.join(dir, 'sigterm.sqlite');
    const leader = spawnOperator(file, 'terminated-leader');
    const standby = operatorOn(file, 'heir', fakeReconciler(0));
    try {
      await waitFor(() => leader.output().includes('reconciled'), 20_000, 'the child operator to reconcile');
      standby.start();
      leader.child.kill('SIGTERM');
      const signalledAt = Date.now();
      expect(await Promise.race([leader.exited, new Promise((r) => setTimeout(() => r('hung'), 5000))])).toBe(
        0,
      );
      expect(leader.output()).toContain('state stopped');
      await waitFor(() => standby.state === 'leader', 5000, 'the standby to take over');
      // Released, not left to expire: well under the 600 ms ttl after the exit.
      expect(Date.now() - signalledAt).toBeLessThan(1500);
      expect(standby.grant?.term).toBe(2);
    } finally {
      leader.child.kill('SIGKILL');
      await standby.stop();
    }
  });

  it('on stop, keeps the lease while a step longer than the ttl finishes, then hands it over at once', async () => {
    const file = path.join(dir, 'graceful.sqlite');
    const slow = fakeReconciler(1500); // longer than the 600 ms ttl
    const leader = operatorOn(file, 'leader', slow);
    const standby = operatorOn(file, 'next', fakeReconciler(0));
    let overlapped = false;
    const watch = setInterval(() => {
      if (standby.state === 'leader' && slow.finished === 0) overlapped = true;
    }, 10);
    try {
      leader.start();
      await waitFor(() => leader.state === 'leader', 5000, 'the leader');
      standby.start();
      await waitFor(() => slow.events.length === 1, 10_000, 'the step to begin');
      await leader.stop();
      expect(slow.finished).toBe(1); // the step ran to its end, not abandoned
      expect(overlapped).toBe(false); // the lease was renewed meanwhile: never two leaders
      expect(leader.state).toBe('stopped');
      const stoppedAt = Date.now();
      await waitFor(() => standby.state === 'leader', 5000, 'the standby to take over');
      expect(Date.now() - stoppedAt).toBeLessThan(300); // released, not left to expire
    } finally {
      clearInterval(watch);
      await leader.stop();
      await standby.stop();
    }
  });
});

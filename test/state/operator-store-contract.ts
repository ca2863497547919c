/**
 * The contract every OperatorStore keeps, with the leader lease it lives beside (SQLite and
 * PostgreSQL). The operator's own records are fenced by the lease's term: once a standby has
 * taken the lease (term N+1), a deposed leader's writes (term N) are refused, and nothing it
 * tried lands. The factory gets a controllable clock for the lease, so expiry needs no sleep.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import type { LeaderLease } from '../../src/state/leader-lease.js';
import type { OperatorStore, StoredCheckResult } from '../../src/state/operator-store.js';

export interface OperatorStoreTarget {
  /** A fresh store and the lease beside it, the lease reading time from `now`. */
  setup(now: () => number): Promise<{ readonly store: OperatorStore; readonly lease: LeaderLease }>;
}

const result = (
  id: string,
  environment: string,
  releaseId: string | null,
  at: string,
): StoredCheckResult => ({
  id,
  check: `check_${id}`,
  environment,
  releaseId,
  severity: 'error',
  status: 'pass',
  observed: null,
  at,
});

export function operatorStoreContract(name: string, target: OperatorStoreTarget): void {
  describe(`operator store contract: ${name}`, () => {
    let now = 1_000;
    let store: OperatorStore;
    let lease: LeaderLease;

    beforeEach(async () => {
      now = 1_000;
      ({ store, lease } = await target.setup(() => now));
    });
    afterEach(async () => {
      await store.close();
      await lease.close();
    });

    it('refuses writes stamped with a term older than the lease', async () => {
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
    });

    it('refuses every kind of fenced write from a deposed term, and takes unfenced ones', async () => {
      const old = await lease.acquire('a', 100);
      now += 500;
      await lease.acquire('b', 100);
      const term = old?.term;
      const refused = [
        () =>
          store.setLastAttempt(
            'prod',
            { commit: 'c1', releaseId: null, status: 'failed', message: 'x', at: 't' },
            term,
          ),
        () => store.setApproval('prod', { releaseId: 'r1', by: 'ada', comment: null, at: 't' }, term),
        () => store.setPendingApproval('prod', { releaseId: 'r1', commit: 'c1', since: 't' }, term),
        () =>
          store.setOpenIncident(
            'prod',
            { id: 'i1', environment: 'prod', releaseId: 'r1', commit: 'c1', reason: 'x', openedAt: 't' },
            term,
          ),
        () =>
          store.putReleaseMeta({ releaseId: 'r1', trigger: 'poll', pullRequest: null, message: null }, term),
        () => store.putCheckResults([result('k1', 'prod', 'r1', 't')], term),
      ];
      for (const write of refused) await expect(write()).rejects.toThrow(/newer operator \(lease term 2\)/);
      expect(await store.lastAttempt('prod')).toBeUndefined();
      expect(await store.approval('prod')).toBeUndefined();
      expect(await store.pendingApproval('prod')).toBeUndefined();
      expect(await store.openIncident('prod')).toBeUndefined();
      expect(await store.releaseMeta('r1')).toBeUndefined();
      expect(await store.checkResults({ limit: 10 })).toEqual([]);
      // The CLI (no term) writes whatever the lease says.
      await store.setApproval('prod', { releaseId: 'r1', by: 'ada', comment: 'ok', at: 't' }, undefined);
      expect(await store.approval('prod')).toEqual({ releaseId: 'r1', by: 'ada', comment: 'ok', at: 't' });
    });

    it('keeps each record per environment, replaces it, and forgets it when set to undefined', async () => {
      const grant = await lease.acquire('a', 10_000);
      const term = grant?.term;
      const pause = {
        reason: 'rollback: x',
        commit: 'c1',
        since: '2026-03-01T12:00:00.000Z',
        by: 'operator',
      };
      await store.setPause('prod', pause, term);
      await store.setPause('staging', { ...pause, commit: null }, term);
      expect(await store.pause('prod')).toEqual(pause);
      expect((await store.pause('staging'))?.commit).toBeNull();
      await store.setPause('prod', undefined, term);
      expect(await store.pause('prod')).toBeUndefined();
      expect(await store.pause('staging')).toBeDefined();

      const attempt = {
        commit: 'c2',
        releaseId: 'r2',
        status: 'succeeded' as const,
        message: null,
        at: 't2',
      };
      await store.setLastAttempt('prod', { ...attempt, status: 'failed', message: 'boom' }, term);
      await store.setLastAttempt('prod', attempt, term);
      expect(await store.lastAttempt('prod')).toEqual(attempt);

      await store.setPendingApproval('audit', { releaseId: 'r2', commit: 'c2', since: 't2' }, term);
      expect(await store.pendingApproval('audit')).toEqual({ releaseId: 'r2', commit: 'c2', since: 't2' });
      await store.setPendingApproval('audit', undefined, term);
      expect(await store.pendingApproval('audit')).toBeUndefined();

      const incident = {
        id: 'i1',
        environment: 'prod',
        releaseId: 'r2',
        commit: 'c2',
        reason: 'rows',
        openedAt: 't',
      };
      await store.setOpenIncident('prod', incident, term);
      expect(await store.openIncident('prod')).toEqual(incident);
      expect(await store.openIncident('staging')).toBeUndefined();
      await store.setOpenIncident('prod', undefined, term);
      expect(await store.openIncident('prod')).toBeUndefined();
    });

    it('annotates releases and keeps check results, newest first, filtered', async () => {
      await store.putReleaseMeta(
        { releaseId: 'r1', trigger: 'webhook', pullRequest: 42, message: 'gate ok' },
        undefined,
      );
      await store.putReleaseMeta(
        { releaseId: 'r1', trigger: 'poll', pullRequest: null, message: null },
        undefined,
      );
      expect(await store.releaseMeta('r1')).toEqual({
        releaseId: 'r1',
        trigger: 'poll',
        pullRequest: null,
        message: null,
      });
      await store.putReleaseMeta(
        { releaseId: 'r2', trigger: 'webhook', pullRequest: 7, message: 'm' },
        undefined,
      );
      expect((await store.releaseMeta('r2'))?.pullRequest).toBe(7);
      expect(await store.releaseMeta('nope')).toBeUndefined();

      await store.putCheckResults(
        [
          result('r1:a', 'staging', 'r1', '2026-03-01T12:00:00.000Z'),
          result('r1:b', 'staging', 'r1', '2026-03-01T12:00:00.000Z'),
          result('r2:a', 'prod', 'r2', '2026-03-01T12:05:00.000Z'),
        ],
        undefined,
      );
      await store.putCheckResults(
        [
          {
            ...result('r1:b', 'staging', 'r1', '2026-03-01T12:01:00.000Z'),
            status: 'fail',
            observed: '3 failing',
          },
        ],
        undefined,
      );
      expect((await store.checkResults({ limit: 10 })).map((r) => r.id)).toEqual(['r2:a', 'r1:b', 'r1:a']);
      expect((await store.checkResults({ environment: 'staging', limit: 10 })).map((r) => r.id)).toEqual([
        'r1:b',
        'r1:a',
      ]);
      expect(await store.checkResults({ releaseId: 'r1', environment: 'staging', limit: 1 })).toEqual([
        {
          ...result('r1:b', 'staging', 'r1', '2026-03-01T12:01:00.000Z'),
          status: 'fail',
          observed: '3 failing',
        },
      ]);
      expect(await store.checkResults({ releaseId: 'r9', limit: 10 })).toEqual([]);
    });

    it('refuses work once closed', async () => {
      await store.close();
      await expect(store.lastHandledCommit()).rejects.toThrow(/closed/);
      await expect(store.setLastHandledCommit('a'.repeat(40), undefined)).rejects.toThrow(/closed/);
    });
  });
}

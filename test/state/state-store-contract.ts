/**
 * The contract every state store keeps, run by each adapter's test file against a real engine
 * (SQLite now; PostgreSQL when it lands). A factory gets a controllable clock and a process
 * liveness probe so lease expiry and orphaned locks are tested without sleeping.
 */
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LockHolder, NewRelease, StateStore } from '../../src/state/state-store.js';

export interface StateStoreFactoryOptions {
  readonly now: () => Date;
  readonly isProcessAlive: (pid: number) => boolean;
}

const holder = (id: string, pid = process.pid): LockHolder => ({
  id,
  pid,
  host: hostname(),
  user: 'tester',
  purpose: `apply staging (${id})`,
});

function release(id: string, environment: string, tables: Record<string, string>): NewRelease {
  return {
    id,
    environment,
    kind: 'apply',
    strategy: 'blue-green',
    commit: { sha: 'a'.repeat(40), author: 'Ada <ada@example.com>', time: '2026-01-01T00:00:00.000Z' },
    actor: 'ada',
    models: Object.fromEntries(
      Object.entries(tables).map(([model, fp]) => [model, { fingerprint: fp, table: `${model}__${fp}` }]),
    ),
    plan: { models: Object.keys(tables) },
    previousReleaseId: undefined,
  };
}

export function stateStoreContract(
  name: string,
  make: (options: StateStoreFactoryOptions) => Promise<StateStore>,
): void {
  describe(`state store contract: ${name}`, () => {
    let store: StateStore;
    let clock = Date.parse('2026-03-01T12:00:00.000Z');
    const dead = new Set<number>();

    beforeEach(async () => {
      clock = Date.parse('2026-03-01T12:00:00.000Z');
      dead.clear();
      store = await make({ now: () => new Date(clock), isProcessAlive: (pid) => !dead.has(pid) });
    });
    afterEach(async () => {
      await store.close();
    });

    async function built(name: string, model: string, fp: string): Promise<void> {
      await store.markPhysicalBuilding({ name, model, fingerprint: fp, kind: 'table' });
      await store.markPhysicalBuilt(name, { rows: 3, columns: [{ name: 'a', type: 'INTEGER' }], buildMs: 5 });
    }

    describe('releases and pointers', () => {
      it('records a release with its commit, plan and models, newest first', async () => {
        await store.createRelease(release('r1', 'staging', { a: 'f1' }));
        await store.createRelease(release('r2', 'prod', { a: 'f1' }));
        await store.createRelease(release('r3', 'staging', { a: 'f2' }));
        const r1 = await store.getRelease('r1');
        expect(r1).toMatchObject({
          id: 'r1',
          environment: 'staging',
          status: 'building',
          kind: 'apply',
          strategy: 'blue-green',
          actor: 'ada',
          commit: { sha: 'a'.repeat(40), author: 'Ada <ada@example.com>' },
          models: { a: { fingerprint: 'f1', table: 'a__f1' } },
          plan: { models: ['a'] },
        });
        expect((await store.listReleases({ environment: 'staging' })).map((r) => r.id)).toEqual(['r3', 'r1']);
        expect((await store.listReleases({ limit: 2 })).map((r) => r.id)).toEqual(['r3', 'r2']);
        expect(await store.getRelease('nope')).toBeUndefined();
      });

      it('moves the pointer and the reference counts in one step', async () => {
        await built('a__f1', 'a', 'f1');
        await built('b__f1', 'b', 'f1');
        await built('a__f2', 'a', 'f2');
        await store.createRelease(release('r1', 'staging', { a: 'f1', b: 'f1' }));
        expect(await store.getPointer('staging')).toBeUndefined();
        await store.completeRelease({
          environment: 'staging',
          releaseId: 'r1',
          models: (await store.getRelease('r1'))!.models,
          switchedAt: new Date(clock).toISOString(),
          timings: { switchMs: 3 },
        });
        await store.createRelease(release('r2', 'prod', { a: 'f1', b: 'f1' }));
        await store.completeRelease({
          environment: 'prod',
          releaseId: 'r2',
          models: (await store.getRelease('r2'))!.models,
          switchedAt: new Date(clock).toISOString(),
        });
        const refs = async (): Promise<Record<string, number>> =>
          Object.fromEntries((await store.getPhysicalTables()).map((t) => [t.name, t.refcount]));
        expect(await refs()).toEqual({ a__f1: 2, b__f1: 2, a__f2: 0 });
        await store.createRelease(release('r3', 'staging', { a: 'f2', b: 'f1' }));
        await store.completeRelease({
          environment: 'staging',
          releaseId: 'r3',
          models: (await store.getRelease('r3'))!.models,
          switchedAt: new Date(clock).toISOString(),
        });
        expect(await refs()).toEqual({ a__f1: 1, b__f1: 2, a__f2: 1 });
        const pointer = await store.getPointer('staging');
        expect(pointer?.releaseId).toBe('r3');
        expect(pointer?.models['a']).toEqual({ fingerprint: 'f2', table: 'a__f2' });
        expect((await store.listPointers()).map((p) => p.environment)).toEqual(['prod', 'staging']);
        const r3 = await store.getRelease('r3');
        expect(r3?.status).toBe('succeeded');
        expect(r3?.switchedAt).toBeDefined();
        expect((await store.getRelease('r1'))?.timings).toEqual({ switchMs: 3 });
      });

      it('marks the release a rollback replaces rolled_back, with the reason', async () => {
        const switched = async (id: string, kind: NewRelease['kind'], reason?: string): Promise<void> => {
          const previousReleaseId = (await store.getPointer('prod'))?.releaseId;
          await store.createRelease({ ...release(id, 'prod', { a: id }), kind, previousReleaseId });
          await store.completeRelease({
            environment: 'prod',
            releaseId: id,
            models: (await store.getRelease(id))!.models,
            switchedAt: new Date(clock).toISOString(),
            ...(reason === undefined ? {} : { reason }),
          });
        };
        await switched('r1', 'apply');
        await switched('r2', 'apply');
        expect((await store.getRelease('r1'))?.status).toBe('succeeded');
        await switched('r3', 'rollback', 'post-deploy verification failed: a rows 3 → 1');
        const r2 = await store.getRelease('r2');
        expect(r2).toMatchObject({
          status: 'rolled_back',
          rolledBack: { by: 'r3', reason: 'post-deploy verification failed: a rows 3 → 1' },
        });
        expect(r2?.finishedAt).toBeDefined();
        expect(await store.getRelease('r3')).toMatchObject({ status: 'succeeded', rolledBack: undefined });
        // Without a reason, the rollback's actor is named.
        await switched('r4', 'rollback');
        expect((await store.getRelease('r3'))?.rolledBack).toEqual({
          by: 'r4',
          reason: 'rolled back by ada',
        });
        const events = (await store.listEvents({ environment: 'prod' })).filter(
          (e) => e.type === 'release.rolled_back',
        );
        expect(events.map((e) => [e.releaseId, e.actor])).toEqual([
          ['r2', 'ada'],
          ['r3', 'ada'],
        ]);
      });

      it('records a release verification: pending, then its verdict', async () => {
        await store.createRelease(release('r1', 'prod', { a: 'f1' }));
        expect((await store.getRelease('r1'))?.verification).toBeUndefined();
        await store.setReleaseVerification('r1', { status: 'pending', dueAt: '2026-03-01T12:10:00.000Z' });
        expect((await store.getRelease('r1'))?.verification).toEqual({
          status: 'pending',
          summary: undefined,
          dueAt: '2026-03-01T12:10:00.000Z',
          at: '2026-03-01T12:00:00.000Z',
        });
        clock += 600_000;
        await store.setReleaseVerification('r1', { status: 'failed', summary: 'a rows 3 → 1' });
        expect((await store.getRelease('r1'))?.verification).toEqual({
          status: 'failed',
          summary: 'a rows 3 → 1',
          dueAt: '2026-03-01T12:10:00.000Z',
          at: '2026-03-01T12:10:00.000Z',
        });
        // A verdict with nothing pending before is due when it is given.
        await store.createRelease(release('r2', 'prod', { a: 'f2' }));
        await store.setReleaseVerification('r2', { status: 'skipped', summary: 'skipped (--no-verify)' });
        expect((await store.getRelease('r2'))?.verification).toMatchObject({
          status: 'skipped',
          dueAt: '2026-03-01T12:10:00.000Z',
        });
        await expect(store.setReleaseVerification('nope', { status: 'passed' })).rejects.toThrow(
          /no release/,
        );
      });

      it('tracks unfinished releases until they end', async () => {
        await store.createRelease(release('r1', 'staging', { a: 'f1' }));
        await store.createRelease(release('r2', 'staging', { a: 'f2' }));
        await store.setReleaseStatus('r2', 'switching');
        expect((await store.unfinishedReleases('staging')).map((r) => [r.id, r.status])).toEqual([
          ['r1', 'building'],
          ['r2', 'switching'],
        ]);
        await store.setReleaseStatus('r1', 'abandoned');
        await store.setReleaseStatus('r2', 'failed', { error: 'boom', timings: { buildMs: 9 } });
        expect(await store.unfinishedReleases('staging')).toEqual([]);
        const r2 = await store.getRelease('r2');
        expect(r2).toMatchObject({ status: 'failed', error: 'boom', timings: { buildMs: 9 } });
        expect(r2?.finishedAt).toBeDefined();
        await expect(store.setReleaseStatus('missing', 'failed')).rejects.toThrow(/no release/);
      });
    });

    describe('model versions and physical tables', () => {
      it('keeps the first definition of a fingerprint', async () => {
        await store.putModelVersions([{ fingerprint: 'f1', model: 'a', definition: { text: 'select 1' } }]);
        await store.putModelVersions([{ fingerprint: 'f1', model: 'a', definition: { text: 'other' } }]);
        const versions = await store.getModelVersions(['f1', 'f9']);
        expect(versions.get('f1')?.definition).toEqual({ text: 'select 1' });
        expect(versions.has('f9')).toBe(false);
      });

      it('records a table building, then built, then deleted', async () => {
        await store.markPhysicalBuilding({
          name: 'a__f1',
          model: 'a',
          fingerprint: 'f1',
          kind: 'incremental',
        });
        expect((await store.getPhysicalTables(['a__f1']))[0]).toMatchObject({
          status: 'building',
          refcount: 0,
          kind: 'incremental',
        });
        await store.markPhysicalBuilt('a__f1', {
          rows: 10,
          columns: [{ name: 'x', type: 'BIGINT' }],
          buildMs: 12,
        });
        expect((await store.getPhysicalTables(['a__f1', 'zz']))[0]).toMatchObject({
          status: 'built',
          rows: 10,
          columns: [{ name: 'x', type: 'BIGINT' }],
          buildMs: 12,
        });
        await expect(store.markPhysicalBuilt('zz', { rows: 1, columns: [], buildMs: 1 })).rejects.toThrow();
        await store.deletePhysicalTable('a__f1');
        expect(await store.getPhysicalTables()).toEqual([]);
      });
    });

    describe('runs and events', () => {
      it('records runs and their outcome', async () => {
        await store.createRun({ id: 'run1', environment: 'prod', releaseId: 'r1', actor: 'ada' });
        clock += 1000;
        await store.createRun({ id: 'run2', environment: 'prod', releaseId: 'r1', actor: 'ada' });
        await store.finishRun('run1', { status: 'succeeded', models: { a: { added: 3 } } });
        await store.finishRun('run2', { status: 'failed', models: {}, error: 'broken' });
        const runs = await store.listRuns({ environment: 'prod' });
        expect(runs.map((r) => [r.id, r.status])).toEqual([
          ['run2', 'failed'],
          ['run1', 'succeeded'],
        ]);
        expect(runs[1]?.models).toEqual({ a: { added: 3 } });
        expect(runs[0]?.error).toBe('broken');
      });

      it('appends events in order and filters them', async () => {
        const first = await store.appendEvent({ type: 'custom.one', environment: 'prod', data: { n: 1 } });
        await store.appendEvent({ type: 'custom.two', environment: 'staging' });
        await store.appendEvent({ type: 'custom.three', environment: 'prod', actor: 'ada' });
        const prod = await store.listEvents({ environment: 'prod' });
        expect(prod.map((e) => e.type)).toEqual(['custom.one', 'custom.three']);
        expect(prod[0]?.data).toEqual({ n: 1 });
        const later = await store.listEvents({ afterSeq: first.seq });
        expect(later.map((e) => e.type)).toEqual(['custom.two', 'custom.three']);
      });

      it('writes an event for each release step', async () => {
        await store.createRelease(release('r1', 'dev', { a: 'f1' }));
        await store.setReleaseStatus('r1', 'failed', { error: 'x' });
        const types = (await store.listEvents({ environment: 'dev' })).map((e) => e.type);
        expect(types).toEqual(['release.started', 'release.failed']);
      });
    });

    describe('locks', () => {
      it('gives a lock to one holder and tells the other who has it', async () => {
        const a = await store.tryLock('env:prod', holder('a'), 30_000);
        expect(a.acquired).toBe(true);
        const b = await store.tryLock('env:prod', holder('b'), 30_000);
        expect(b.acquired).toBe(false);
        if (!b.acquired) expect(b.heldBy.holder).toMatchObject({ id: 'a', purpose: 'apply staging (a)' });
        expect((await store.tryLock('env:staging', holder('b'), 30_000)).acquired).toBe(true);
        expect((await store.getLock('env:prod'))?.holder.id).toBe('a');
      });

      it('lets the holder renew and release it', async () => {
        await store.tryLock('env:prod', holder('a'), 30_000);
        clock += 20_000;
        expect(await store.renewLock('env:prod', 'a', 30_000)).toBe(true);
        expect(await store.renewLock('env:prod', 'b', 30_000)).toBe(false);
        clock += 20_000;
        expect((await store.tryLock('env:prod', holder('b'), 30_000)).acquired).toBe(false);
        await store.unlock('env:prod', 'b'); // not the holder: no effect
        expect((await store.getLock('env:prod'))?.holder.id).toBe('a');
        await store.unlock('env:prod', 'a');
        expect(await store.getLock('env:prod')).toBeUndefined();
        expect((await store.tryLock('env:prod', holder('b'), 30_000)).acquired).toBe(true);
      });

      it('treats an expired lease as free', async () => {
        await store.tryLock('env:prod', holder('a'), 30_000);
        clock += 30_001;
        expect((await store.tryLock('env:prod', holder('b'), 30_000)).acquired).toBe(true);
        expect(await store.renewLock('env:prod', 'a', 30_000)).toBe(false);
      });

      it('takes over a lock whose process on this host is gone', async () => {
        await store.tryLock('env:prod', holder('a', 999_999), 60_000);
        expect((await store.tryLock('env:prod', holder('b'), 60_000)).acquired).toBe(false);
        dead.add(999_999);
        expect((await store.tryLock('env:prod', holder('b'), 60_000)).acquired).toBe(true);
        expect((await store.listEvents()).some((e) => e.type === 'lock.taken_over')).toBe(true);
      });

      it('counts a term up whenever the lock changes hands; a renewal keeps it', async () => {
        const first = await store.tryLock('env:prod', holder('a'), 30_000);
        expect(first.acquired && first.lease.term).toBe(1);
        clock += 10_000;
        const again = await store.tryLock('env:prod', holder('a'), 30_000);
        expect(again.acquired && [again.lease.term, again.lease.acquiredAt]).toEqual([
          1,
          '2026-03-01T12:00:00.000Z',
        ]);
        expect(await store.renewLock('env:prod', 'a', 30_000)).toBe(true);
        expect((await store.getLock('env:prod'))?.term).toBe(1);
        await store.unlock('env:prod', 'a');
        expect(await store.renewLock('env:prod', 'a', 30_000)).toBe(false);
        const second = await store.tryLock('env:prod', holder('b'), 30_000);
        expect(second.acquired && second.lease.term).toBe(2);
        clock += 30_001;
        const third = await store.tryLock('env:prod', holder('c'), 30_000);
        expect(third.acquired && third.lease.term).toBe(3);
        const refused = await store.tryLock('env:prod', holder('a'), 30_000);
        expect(!refused.acquired && [refused.heldBy.holder.id, refused.heldBy.term]).toEqual(['c', 3]);
        expect((await store.getLock('env:prod'))?.term).toBe(3);
        // Terms are per lock.
        const other = await store.tryLock('env:staging', holder('a'), 30_000);
        expect(other.acquired && other.lease.term).toBe(1);
      });

      it('never presumes a holder on another host dead: the next one waits for the lease to expire', async () => {
        const remote: LockHolder = { ...holder('a', 999_999), host: 'build-agent-7.internal' };
        await store.tryLock('env:prod', remote, 60_000);
        dead.add(999_999); // a process of that pid is gone here, which says nothing of the other host
        expect((await store.tryLock('env:prod', holder('b'), 60_000)).acquired).toBe(false);
        clock += 59_999;
        const early = await store.tryLock('env:prod', holder('b'), 60_000);
        expect(!early.acquired && early.heldBy.holder.host).toBe('build-agent-7.internal');
        clock += 1;
        const taken = await store.tryLock('env:prod', holder('b'), 60_000);
        expect(taken.acquired && [taken.lease.holder.id, taken.lease.term]).toEqual(['b', 2]);
        const event = (await store.listEvents()).find((e) => e.type === 'lock.taken_over');
        expect(event?.data).toMatchObject({
          lock: 'env:prod',
          reason: 'expired',
          from: { host: 'build-agent-7.internal' },
        });
        expect(await store.renewLock('env:prod', 'a', 60_000)).toBe(false);
      });
    });
  });
}

/**
 * The contract every LeaderLease implementation passes (SQLite and PostgreSQL). `connect()`
 * opens a new handle on the same shared lease (its own connection), as a second operator process
 * would.
 */
import { describe, expect, it } from 'vitest';
import type { LeaderLease } from '../../src/state/leader-lease.js';

export interface LeaseContractTarget {
  /** A fresh shared lease for one test; `connect()` opens another handle on it. */
  setup(): Promise<{ connect(): Promise<LeaderLease> }>;
}

export function describeLeaderLeaseContract(name: string, target: LeaseContractTarget): void {
  describe(`LeaderLease contract: ${name}`, () => {
    async function handles(count: number): Promise<LeaderLease[]> {
      const shared = await target.setup();
      return Promise.all(Array.from({ length: count }, () => shared.connect()));
    }
    async function closeAll(leases: readonly LeaderLease[]): Promise<void> {
      for (const lease of leases) await lease.close();
    }

    it('grants one holder at a time; a standby takes over once the leader stops renewing', async () => {
      const [a, b] = (await handles(2)) as [LeaderLease, LeaderLease];
      try {
        const ttl = 400;
        expect(await a.acquire('a', ttl)).toMatchObject({ holder: 'a', term: 1 });
        expect(await b.acquire('b', ttl)).toBeUndefined();
        expect((await a.renew('a', ttl))?.term).toBe(1);
        const lastRenewal = Date.now();
        let taken = await b.acquire('b', ttl);
        while (!taken) {
          await new Promise((r) => setTimeout(r, 25));
          taken = await b.acquire('b', ttl);
        }
        const waited = Date.now() - lastRenewal;
        expect(waited).toBeGreaterThanOrEqual(ttl - 20);
        expect(waited).toBeLessThan(ttl + 300);
        expect(taken).toMatchObject({ holder: 'b', term: 2 });
        expect(await a.renew('a', ttl)).toBeUndefined();
        expect(await a.current()).toMatchObject({ holder: 'b' });
      } finally {
        await closeAll([a, b]);
      }
    });

    it('renews only for the live holder; release frees it at once, and only by the holder', async () => {
      const [a, b] = (await handles(2)) as [LeaderLease, LeaderLease];
      try {
        await a.acquire('a', 10_000);
        expect(await b.renew('b', 10_000)).toBeUndefined();
        await b.release('b');
        expect(await b.acquire('b', 10_000)).toBeUndefined();
        await a.release('a');
        expect(await a.current()).toBeUndefined();
        expect(await b.acquire('b', 10_000)).toMatchObject({ holder: 'b', term: 2 });
      } finally {
        await closeAll([a, b]);
      }
    });

    it('counts terms up whenever the lease changes hands, including back to an expired holder', async () => {
      const [a] = (await handles(1)) as [LeaderLease];
      try {
        expect((await a.acquire('a', 50))?.term).toBe(1);
        expect((await a.acquire('a', 50))?.term).toBe(1); // re-acquire while live = renew
        await new Promise((r) => setTimeout(r, 80));
        expect(await a.renew('a', 50)).toBeUndefined(); // expired: renew refuses
        expect((await a.acquire('a', 50))?.term).toBe(2); // its old work is fenced off
      } finally {
        await closeAll([a]);
      }
    });

    it('gives the lease to exactly one of many contenders', async () => {
      const leases = await handles(8);
      try {
        const grants = await Promise.all(leases.map((lease, i) => lease.acquire(`op-${i}`, 10_000)));
        expect(grants.filter((g) => g !== undefined)).toHaveLength(1);
      } finally {
        await closeAll(leases);
      }
    });
  });
}

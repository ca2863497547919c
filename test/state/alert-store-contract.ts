/**
 * The alert store contract, run by every implementation (SQLite, PostgreSQL): alerts round-trip
 * and are replaced by fingerprint, what was notified survives a reopen (the restart the operator
 * makes), resolved alerts are pruned by age only, the cursor, silences created and deleted.
 */
import { describe, expect, it } from 'vitest';
import type { AlertRecord, AlertStore } from '../../src/state/alert-store.js';

export interface AlertStoreHarness {
  /** A new, empty store; `reopen` opens the same one again (a restart). */
  setup(): Promise<{ store: AlertStore; reopen: () => Promise<AlertStore> }>;
}

const firing: AlertRecord = {
  fingerprint: 'fp-1',
  rule: 'prod-release-failed',
  labels: { rule: 'prod-release-failed', environment: 'prod' },
  severity: 'critical',
  owner: 'data-platform',
  summary: 'release r-9 to prod failed',
  status: 'firing',
  startsAt: '2026-12-01T10:00:00.000Z',
  endsAt: null,
  notifiedStatus: 'firing',
  lastNotifiedAt: '2026-12-01T10:00:01.000Z',
};

export function alertStoreContract(name: string, harness: AlertStoreHarness): void {
  describe(`${name} (alert store contract)`, () => {
    it('keeps alerts by fingerprint and what was notified about them across a reopen', async () => {
      const { store, reopen } = await harness.setup();
      expect(await store.alerts()).toEqual([]);
      await store.putAlerts([firing]);
      const resolved: AlertRecord = {
        ...firing,
        status: 'resolved',
        endsAt: '2026-12-01T11:00:00.000Z',
        notifiedStatus: 'resolved',
        lastNotifiedAt: '2026-12-01T11:00:00.500Z',
      };
      await store.putAlerts([
        resolved,
        { ...firing, fingerprint: 'fp-2', labels: { environment: 'staging' } },
      ]);
      await store.close();
      const again = await reopen();
      try {
        const alerts = await again.alerts();
        expect(alerts).toHaveLength(2);
        expect(alerts.find((a) => a.fingerprint === 'fp-1')).toEqual(resolved);
        expect(alerts.find((a) => a.fingerprint === 'fp-2')?.labels).toEqual({ environment: 'staging' });
        expect(await again.pruneResolved('2026-12-01T10:59:00.000Z')).toBe(0);
        expect(await again.pruneResolved('2026-12-01T11:00:01.000Z')).toBe(1);
        expect((await again.alerts()).map((a) => a.fingerprint)).toEqual(['fp-2']);
      } finally {
        await again.close();
      }
    });

    it('remembers the event cursor', async () => {
      const { store } = await harness.setup();
      try {
        expect(await store.cursor()).toBe(0);
        await store.setCursor(41);
        await store.setCursor(42);
        expect(await store.cursor()).toBe(42);
      } finally {
        await store.close();
      }
    });

    it('creates, lists and deletes silences', async () => {
      const { store } = await harness.setup();
      try {
        const silence = {
          id: 's-1',
          matchers: { environment: 'staging', rule: 'run-failed' },
          startsAt: '2026-12-01T10:00:00.000Z',
          endsAt: '2026-12-01T12:00:00.000Z',
          createdBy: 'dan',
          comment: 'backfill in progress',
        };
        await store.putSilence(silence);
        expect(await store.silences()).toEqual([silence]);
        expect(await store.deleteSilence('s-1')).toBe(true);
        expect(await store.deleteSilence('s-1')).toBe(false);
        expect(await store.silences()).toEqual([]);
      } finally {
        await store.close();
      }
    });
  });
}

import { describe, expect, it } from 'vitest';
import { RunScheduler, type ScheduledRunRequest } from '../../src/operator/run-scheduler.js';

describe('RunScheduler', () => {
  it('runs a missed occurrence once on start, and nothing when none was missed', async () => {
    const runs: ScheduledRunRequest[] = [];
    const now = new Date('2026-11-27T10:07:00Z');
    const scheduler = new RunScheduler({
      schedules: [
        { environment: 'prod', cron: '0 * * * *' }, // hourly: 10:00 was missed (last run 09:00)
        { environment: 'staging', cron: '0 0 * * *' }, // daily: last run today 00:00, nothing missed
        { environment: 'dev', cron: '*/5 * * * *' }, // never ran: no catch-up for a brand-new schedule
      ],
      lastRunAt: async (env) =>
        env === 'prod'
          ? new Date('2026-11-27T09:00:00Z')
          : env === 'staging'
            ? new Date('2026-11-27T00:00:00Z')
            : undefined,
      run: async (r) => {
        runs.push(r);
      },
      now: () => now,
    });
    await scheduler.start();
    await scheduler.idle();
    await scheduler.stop();
    expect(runs).toEqual([
      { environment: 'prod', scheduledFor: new Date('2026-11-27T10:00:00Z'), reason: 'catch-up' },
    ]);
  });

  it('fires on schedule and never overlaps runs of one environment', async () => {
    let active = 0;
    let peak = 0;
    let finished = 0;
    const scheduler = new RunScheduler({
      schedules: [{ environment: 'prod', cron: '* * * * * *' }], // every second
      lastRunAt: async () => undefined,
      run: async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 1500)); // longer than the interval
        active--;
        finished++;
      },
    });
    await scheduler.start();
    await new Promise((r) => setTimeout(r, 3200));
    expect(scheduler.status()[0]?.nextRunAt).toMatch(/^\d{4}-/);
    await scheduler.stop();
    expect(peak).toBe(1);
    expect(finished).toBeGreaterThanOrEqual(1);
    expect(finished).toBeLessThanOrEqual(2);
  });

  it('refuses an invalid cron expression with the environment named', () => {
    expect(
      () =>
        new RunScheduler({
          schedules: [{ environment: 'prod', cron: 'every hour' }],
          lastRunAt: async () => undefined,
          run: async () => {},
        }),
    ).toThrow(/environment 'prod' has an invalid schedule 'every hour'/);
  });
});

import { describe, expect, it } from 'vitest';
import { runDag } from '../../src/core/run-dag.js';

const graph: Record<string, string[]> = { a: [], b: ['a'], c: ['a'], d: ['b', 'c'], e: [] };
const order = ['a', 'e', 'b', 'c', 'd'];

describe('runDag', () => {
  it('starts a task only after its dependencies and respects the concurrency bound', async () => {
    const finished: string[] = [];
    let running = 0;
    let peak = 0;
    const outcomes = await runDag({
      order,
      dependsOn: (n) => graph[n] ?? [],
      concurrency: 2,
      run: async (n) => {
        for (const dep of graph[n] ?? []) expect(finished).toContain(dep);
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        finished.push(n);
        return n.toUpperCase();
      },
    });
    expect(peak).toBe(2);
    expect([...outcomes.values()].every((o) => o.status === 'succeeded')).toBe(true);
    expect(outcomes.get('d')).toEqual({ status: 'succeeded', value: 'D' });
  });

  it('skips only what is downstream of a failure', async () => {
    const skipped: string[] = [];
    const outcomes = await runDag({
      order,
      dependsOn: (n) => graph[n] ?? [],
      concurrency: 4,
      onSkip: (n) => skipped.push(n),
      run: async (n) => {
        if (n === 'b') throw new Error('boom');
        return n;
      },
    });
    expect(outcomes.get('b')?.status).toBe('failed');
    expect(outcomes.get('d')).toEqual({ status: 'skipped', because: 'b did not build' });
    expect(outcomes.get('c')?.status).toBe('succeeded');
    expect(outcomes.get('e')?.status).toBe('succeeded');
    expect(skipped).toEqual(['d']);
  });

  it('stops starting tasks once aborted', async () => {
    const abort = new AbortController();
    const outcomes = await runDag({
      order,
      dependsOn: (n) => graph[n] ?? [],
      concurrency: 1,
      signal: abort.signal,
      run: async (n) => {
        if (n === 'e') abort.abort();
        return n;
      },
    });
    expect(outcomes.get('a')?.status).toBe('succeeded');
    expect(outcomes.get('e')?.status).toBe('succeeded');
    expect(outcomes.get('b')).toEqual({ status: 'skipped', because: 'cancelled' });
  });
});

/**
 * Runs tasks over a dependency graph: a task starts when all of its dependencies succeeded, at
 * most `concurrency` at a time, ties in graph order. A failure skips everything downstream of it
 * and nothing else; an abort stops starting new tasks.
 */

export type TaskOutcome<R> =
  | { readonly status: 'succeeded'; readonly value: R }
  | { readonly status: 'failed'; readonly error: unknown }
  | { readonly status: 'skipped'; readonly because: string };

export interface DagOptions<R> {
  /** Node names in a dependency-respecting order. */
  readonly order: readonly string[];
  /** Dependencies of each node; names outside `order` are treated as already satisfied. */
  readonly dependsOn: (name: string) => readonly string[];
  readonly concurrency: number;
  readonly run: (name: string) => Promise<R>;
  readonly signal?: AbortSignal;
  readonly onSkip?: (name: string, because: string) => void;
}

export async function runDag<R>({
  order,
  dependsOn,
  concurrency,
  run,
  signal,
  onSkip,
}: DagOptions<R>): Promise<Map<string, TaskOutcome<R>>> {
  const members = new Set(order);
  const outcomes = new Map<string, TaskOutcome<R>>();
  const pending = [...order];
  const running = new Set<Promise<void>>();

  const settle = (name: string, outcome: TaskOutcome<R>): void => {
    outcomes.set(name, outcome);
    if (outcome.status === 'skipped') onSkip?.(name, outcome.because);
  };

  while (pending.length > 0 || running.size > 0) {
    let started = false;
    for (let i = 0; i < pending.length && running.size < concurrency; ) {
      const name = pending[i] as string;
      const deps = dependsOn(name).filter((d) => members.has(d));
      const blocker = deps.find((d) => {
        const o = outcomes.get(d);
        return o !== undefined && o.status !== 'succeeded';
      });
      if (blocker !== undefined) {
        pending.splice(i, 1);
        settle(name, { status: 'skipped', because: `${blocker} did not build` });
        started = true;
        continue;
      }
      if (signal?.aborted) {
        pending.splice(i, 1);
        settle(name, { status: 'skipped', because: 'cancelled' });
        started = true;
        continue;
      }
      if (!deps.every((d) => outcomes.get(d)?.status === 'succeeded')) {
        i++;
        continue;
      }
      pending.splice(i, 1);
      started = true;
      const task: Promise<void> = run(name).then(
        (value) => settle(name, { status: 'succeeded', value }),
        (error: unknown) => settle(name, { status: 'failed', error }),
      );
      const tracked = task.finally(() => running.delete(tracked));
      running.add(tracked);
    }
    if (running.size > 0) await Promise.race(running);
    else if (!started && pending.length > 0) {
      // Unreachable with a valid order; guard against a dependency cycle spinning forever.
      for (const name of pending.splice(0)) settle(name, { status: 'skipped', because: 'dependency cycle' });
    }
  }
  return outcomes;
}

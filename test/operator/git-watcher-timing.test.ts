/**
 * Poll scheduling of the GitWatcher with fake timers and an in-memory commit source (the real
 * git paths are covered in git-watcher.test.ts): the jitter bounds and the settle window.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Commit as CommitInfo } from '../../src/core/commit.js';
import { type CommitSource, GitWatcher } from '../../src/operator/git-watcher.js';

function memorySource(): CommitSource & {
  fetches: number;
  head: () => Promise<string>;
  setHead(sha: string): void;
} {
  let head = 'a'.repeat(40);
  const source = {
    url: 'https://user:hunter2@git.example/jkl/fraud.git',
    branch: 'main',
    fetches: 0,
    setHead: (sha: string) => {
      head = sha;
    },
    fetch: async () => {
      source.fetches += 1;
      return head;
    },
    head: async () => head,
    hasCommit: async (sha: string) => sha === head,
    commitsBetween: async (_from: string | undefined, to: string) => ({
      commits: [{ sha: to } as CommitInfo],
      total: 1,
      forced: false,
    }),
  };
  return source;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('GitWatcher polling', () => {
  it.each([
    [0, 500],
    [1, 1500],
  ])('with random() = %d and ±50%% jitter the next poll comes after %d ms', async (random, delay) => {
    const source = memorySource();
    const watcher = new GitWatcher({
      source,
      handler: async () => {},
      pollIntervalMs: 1000,
      jitter: 0.5,
      settleMs: 0,
      random: () => random,
    });
    watcher.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(source.fetches).toBe(1);
    await vi.advanceTimersByTimeAsync(delay - 1);
    expect(source.fetches).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.fetches).toBe(2);
    expect(watcher.status.url).toBe('https://[redacted]@git.example/jkl/fraud.git');
    await watcher.stop();
  });

  it('waits for a burst to settle, but no longer than maxSettleMs', async () => {
    const source = memorySource();
    const handled: string[] = [];
    const watcher = new GitWatcher({
      source,
      handler: async (event) => {
        handled.push(event.sha);
      },
      pollIntervalMs: 0,
      settleMs: 100,
      maxSettleMs: 1000,
    });
    // One notification every 50 ms for 3 s: the settle window never closes on its own.
    for (let i = 0; i < 60; i += 1) {
      source.setHead(i.toString(16).padStart(40, '0'));
      watcher.notify('webhook');
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(200);
    expect(source.fetches).toBeGreaterThanOrEqual(3);
    expect(source.fetches).toBeLessThanOrEqual(4);
    expect(handled.at(-1)).toBe((59).toString(16).padStart(40, '0'));
    await watcher.stop();
  });
});

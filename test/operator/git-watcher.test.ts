/**
 * The git watcher against real repositories: a bare origin served by a real `git daemon` on
 * loopback (`git://`), and the same origin by file path.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitMirror } from '../../src/git/git-mirror.js';
import { type CommitsEvent, GitWatcher } from '../../src/operator/git-watcher.js';
import {
  createGitFixture,
  type GitDaemon,
  type GitFixture,
  git,
  gitWithInput,
  startGitDaemon,
  waitFor,
} from '../helpers/git-fixtures.js';

let fixture: GitFixture;
let daemon: GitDaemon;
let scratch: string;

beforeAll(async () => {
  fixture = await createGitFixture();
  await fixture.commitAndPush('Initial project', { file: 'slipway.yaml' });
  daemon = await startGitDaemon(fixture.root);
  scratch = await mkdtemp(path.join(tmpdir(), 'slipway-mirror-'));
});

afterAll(async () => {
  await daemon?.stop();
  await fixture?.remove();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function recorder(delayMs = 0): { events: CommitsEvent[]; handler: (e: CommitsEvent) => Promise<void> } {
  const events: CommitsEvent[] = [];
  let running = 0;
  return {
    events,
    handler: async (event) => {
      running += 1;
      // The watcher promises one handler at a time; a second concurrent call fails the test.
      expect(running).toBe(1);
      events.push(event);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      running -= 1;
    },
  };
}

describe('GitWatcher over git:// (git daemon on loopback)', () => {
  it('detects new commits by polling and reports each with author, time and PR number', async () => {
    const mirror = new GitMirror({
      url: daemon.url('origin.git'),
      branch: 'main',
      directory: path.join(scratch, 'poll'),
    });
    const { events, handler } = recorder();
    const watcher = new GitWatcher({ source: mirror, handler, pollIntervalMs: 150, settleMs: 0 });
    watcher.start();
    try {
      await waitFor(() => events.length === 1, 15_000, 'the initial sync');
      const first = events[0]!;
      expect(first.previous).toBeUndefined();
      expect(first.commits.map((c) => c.message)).toEqual(['Initial project']);
      expect(first.trigger).toBe('poll');

      const merged = await fixture.commitAndPush(
        'Merge pull request #12 from jkl/fraud-rules\n\nTighten rules',
      );
      const bitbucket = await fixture.commitAndPush('Merged in feature/velocity (pull request #7)');
      await waitFor(() => watcher.lastSynced === bitbucket, 15_000, 'the poll to see the new head');

      const commits = events.flatMap((e) => e.commits).slice(1);
      expect(commits.map((c) => c.sha)).toEqual([merged, bitbucket]);
      expect(commits.map((c) => c.pullRequest)).toEqual([12, 7]);
      expect(commits[0]).toMatchObject({ author: 'Ada Analyst', authorEmail: 'ada@jkl.example' });
      expect(Number.isNaN(Date.parse(commits[0]!.authoredAt))).toBe(false);
      expect(events.at(-1)).toMatchObject({ sha: bitbucket, trigger: 'poll', forced: false });
    } finally {
      await watcher.stop();
    }
  });

  // 200 pushes take 10 s on a quiet machine and over a minute on a loaded one: the test waits as
  // long as they take (its assertions are about counts and order, not time).
  it('coalesces 200 pushes, each followed by a notification, into a few syncs ending on the newest', {
    timeout: 600_000,
  }, async () => {
    const mirror = new GitMirror({
      url: daemon.url('origin.git'),
      branch: 'main',
      directory: path.join(scratch, 'burst'),
    });
    const start = await mirror.fetch();
    const { events, handler } = recorder(50);
    const watcher = new GitWatcher({ source: mirror, handler, since: start, pollIntervalMs: 0 });
    try {
      // 200 commits made in one fast-import, then pushed one at a time as fast as git allows.
      const shas = await fastImportCommits(fixture.work, 200);
      const began = Date.now();
      for (const sha of shas) {
        await git(fixture.work, 'push', '--quiet', 'origin', `${sha}:refs/heads/main`);
        watcher.notify('webhook');
      }
      const pushMs = Date.now() - began;
      await waitFor(() => watcher.lastSynced === shas.at(-1), 300_000, 'the newest commit');

      // A handful of syncs (bounded by the 2 s settle limit over the burst), ending on the newest.
      expect(events.length).toBeLessThanOrEqual(Math.ceil(pushMs / 2000) + 2);
      expect(events.at(-1)?.sha).toBe(shas.at(-1));
      // Every commit reported exactly once, in order: none skipped, none repeated.
      expect(events.flatMap((e) => e.commits.map((c) => c.sha))).toEqual(shas);
      expect(events.every((e) => e.trigger === 'webhook' && e.totalCommits === e.commits.length)).toBe(true);
    } finally {
      await watcher.stop();
    }
  });
});

/** Appends `count` empty commits to the work clone's HEAD in one `git fast-import`; oldest first. */
async function fastImportCommits(work: string, count: number): Promise<string[]> {
  const base = (await git(work, 'rev-parse', 'HEAD')).trim();
  const stream = Array.from({ length: count }, (_, i) => {
    const message = `Burst commit ${i}\n`;
    return [
      'commit refs/heads/main',
      `committer Ada Analyst <ada@jkl.example> ${1_790_000_000 + i} +0000`,
      `data ${Buffer.byteLength(message)}`,
      message,
      i === 0 ? `from ${base}\n` : '',
    ].join('\n');
  }).join('');
  await gitWithInput(work, stream, 'fast-import', '--quiet', '--force');
  await git(work, 'reset', '--quiet', '--hard', 'refs/heads/main');
  return (await git(work, 'rev-list', '--reverse', `${base}..HEAD`)).trim().split('\n');
}

describe('GitWatcher on a file-path repository', () => {
  it('reports a force push as forced, with the commits of the new history', async () => {
    const mirror = new GitMirror({
      url: fixture.origin,
      branch: 'main',
      directory: path.join(scratch, 'file'),
    });
    const { events, handler } = recorder();
    const before = await mirror.fetch();
    const watcher = new GitWatcher({ source: mirror, handler, since: before, pollIntervalMs: 0 });
    try {
      await git(fixture.work, 'reset', '--quiet', '--hard', 'HEAD~1');
      await git(fixture.work, 'commit', '--quiet', '--allow-empty', '-m', 'Rewritten');
      await git(fixture.work, 'push', '--quiet', '--force', 'origin', 'HEAD:refs/heads/main');
      const event = await watcher.syncNow();
      expect(event).toMatchObject({ previous: before, forced: true, trigger: 'manual' });
      expect(event?.commits.map((c) => c.message)).toEqual(['Rewritten']);
      // A manual sync calls the handler even when the head has not moved.
      const again = await watcher.syncNow();
      expect(again).toMatchObject({ sha: event?.sha, commits: [], trigger: 'manual' });
      expect(events).toHaveLength(2);
    } finally {
      await watcher.stop();
    }
  });

  it('does not record a head as synced when the handler fails, so the next sync reports it again', async () => {
    const mirror = new GitMirror({
      url: fixture.origin,
      branch: 'main',
      directory: path.join(scratch, 'file'),
    });
    const since = await mirror.fetch();
    const errors: unknown[] = [];
    let fail = true;
    const seen: CommitsEvent[] = [];
    const watcher = new GitWatcher({
      source: mirror,
      since,
      pollIntervalMs: 0,
      settleMs: 0,
      onError: (e) => errors.push(e),
      handler: async (event) => {
        seen.push(event);
        if (fail) throw new Error('reconcile crashed');
      },
    });
    try {
      const sha = await fixture.commitAndPush('Add velocity rule', { file: 'rule.sql' });
      await expect(watcher.syncNow()).rejects.toThrow('reconcile crashed');
      expect(watcher.lastSynced).toBe(since);
      expect(errors).toHaveLength(1);
      fail = false;
      watcher.notify('poll');
      await waitFor(() => watcher.lastSynced === sha, 10_000, 'the retried sync');
      expect(seen.at(-1)?.commits.map((c) => c.sha)).toEqual([sha]);
    } finally {
      await watcher.stop();
    }
  });

  it("checks out a commit's tree into a folder and removes it", async () => {
    const mirror = new GitMirror({
      url: fixture.origin,
      branch: 'main',
      directory: path.join(scratch, 'file'),
    });
    const head = await mirror.fetch();
    const checkout = await mirror.checkout(head, path.join(scratch, 'trees', head));
    expect(await readFile(path.join(checkout.directory, 'rule.sql'), 'utf8')).toBe('Add velocity rule\n');
    await checkout.remove();
    await expect(stat(checkout.directory)).rejects.toThrow();
  });

  it('fails with a GitError for a missing repository, without hanging', async () => {
    const mirror = new GitMirror({
      url: path.join(fixture.root, 'missing.git'),
      branch: 'main',
      directory: path.join(scratch, 'missing'),
    });
    await expect(mirror.fetch()).rejects.toMatchObject({ name: 'GitError', code: 'work_failed' });
  });
});

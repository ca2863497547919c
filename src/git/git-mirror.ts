/**
 * The operator's own copy of the watched repository: a bare clone holding one remote-tracking
 * branch. Fetches are incremental (only new objects cross the wire), so a refresh costs what the
 * push added, not what the repository holds. Commit trees are checked out into detached
 * worktrees for the project loader.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Commit as CommitInfo } from '../core/commit.js';
import { InvalidArgumentError } from '../core/errors.js';
import { COMMIT_LOG_FORMAT, parseCommitLog } from './commit-log.js';
import { GitError, runGit } from './git-cli.js';

export interface GitMirrorOptions {
  /** `git://…`, `https://…`, `ssh://…`, `user@host:path`, or a local path. */
  readonly url: string;
  readonly branch: string;
  /** Folder for the bare clone; created when missing. */
  readonly directory: string;
  /** Bound on a fetch (the slow, networked call). Default 120 s. */
  readonly fetchTimeoutMs?: number;
  /** Bound on local git calls. Default 30 s. */
  readonly localTimeoutMs?: number;
}

/** The commits a new head brings, oldest first. */
export interface CommitRange {
  readonly commits: readonly CommitInfo[];
  /** How many commits the range holds; more than `commits.length` when capped. */
  readonly total: number;
  /** The previous head is not an ancestor of the new one (history was rewritten). */
  readonly forced: boolean;
}

/** A commit's tree checked out for reading; `remove()` deletes it and its worktree entry. */
export interface Checkout {
  readonly sha: string;
  readonly directory: string;
  remove(): Promise<void>;
}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

export class GitMirror {
  #worktreeQueue: Promise<unknown> = Promise.resolve();
  readonly url: string;
  readonly branch: string;
  readonly directory: string;
  readonly #fetchTimeoutMs: number;
  readonly #localTimeoutMs: number;
  #ready: Promise<void> | undefined;

  constructor({
    url,
    branch,
    directory,
    fetchTimeoutMs = 120_000,
    localTimeoutMs = 30_000,
  }: GitMirrorOptions) {
    if (url.trim() === '' || url.startsWith('-'))
      throw new InvalidArgumentError(`invalid repository: ${url}`);
    if (branch.trim() === '' || branch.startsWith('-') || /[\s~^:?*[\\]|\.\.|@\{/.test(branch)) {
      throw new InvalidArgumentError(`invalid branch name: ${branch}`);
    }
    this.url = isRemoteUrl(url) ? url : path.resolve(url);
    this.branch = branch;
    this.directory = path.resolve(directory);
    this.#fetchTimeoutMs = fetchTimeoutMs;
    this.#localTimeoutMs = localTimeoutMs;
  }

  /** The ref the fetched branch is stored under. */
  get trackingRef(): string {
    return `refs/remotes/origin/${this.branch}`;
  }

  /** Creates the bare clone once (idempotent; reuses an existing one after a restart). */
  prepare(): Promise<void> {
    this.#ready ??= this.#prepare().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /** Fetches the branch and returns its head SHA. */
  async fetch(signal?: AbortSignal): Promise<string> {
    await this.prepare();
    await runGit(
      [
        'fetch',
        '--quiet',
        '--no-tags',
        '--prune',
        'origin',
        `+refs/heads/${this.branch}:${this.trackingRef}`,
      ],
      { cwd: this.directory, timeoutMs: this.#fetchTimeoutMs, ...(signal ? { signal } : {}) },
    );
    return this.head();
  }

  /** The last fetched head of the branch. */
  async head(): Promise<string> {
    return (await this.#git(['rev-parse', '--verify', `${this.trackingRef}^{commit}`])).trim();
  }

  async hasCommit(sha: string): Promise<boolean> {
    if (!SHA.test(sha)) return false;
    try {
      await this.#git(['cat-file', '-e', `${sha}^{commit}`]);
      return true;
    } catch {
      return false; // cat-file -e reports absence only through its exit status
    }
  }

  async commit(sha: string): Promise<CommitInfo> {
    const [info] = parseCommitLog(
      await this.#git(['log', '-1', `--format=${COMMIT_LOG_FORMAT}`, assertSha(sha), '--']),
    );
    if (!info) throw new InvalidArgumentError(`no commit ${sha} in ${this.url}`);
    return info;
  }

  /**
   * The commits reachable from `to` and not from `from`, oldest first, at most `max` of them
   * (the newest). With `from` undefined or unknown, only `to` itself.
   */
  async commitsBetween(from: string | undefined, to: string, max: number): Promise<CommitRange> {
    if (from === undefined || !(await this.hasCommit(from))) {
      return { commits: [await this.commit(to)], total: 1, forced: from !== undefined };
    }
    const range = `${assertSha(from)}..${assertSha(to)}`;
    const [total, log, forced] = await Promise.all([
      this.#git(['rev-list', '--count', range, '--']).then((out) => Number(out.trim())),
      this.#git(['log', `--max-count=${max}`, `--format=${COMMIT_LOG_FORMAT}`, range, '--']),
      this.#isAncestor(from, to).then((ancestor) => !ancestor),
    ]);
    return { commits: parseCommitLog(log).reverse(), total, forced };
  }

  /** One file of the commit's tree, as text (no checkout). */
  async show(sha: string, file: string): Promise<string> {
    return this.#git(['show', `${assertSha(sha)}:${file}`]);
  }

  /** Checks out the tree of `sha` into `directory` (a detached worktree of the mirror). */
  async checkout(sha: string, directory: string): Promise<Checkout> {
    const target = path.resolve(directory);
    await mkdir(path.dirname(target), { recursive: true });
    await this.#worktrees(() =>
      this.#git(['worktree', 'add', '--detach', '--force', target, assertSha(sha)]),
    );
    return {
      sha,
      directory: target,
      remove: async () => {
        await this.#worktrees(async () => {
          await rm(target, { recursive: true, force: true });
          await this.#git(['worktree', 'prune']);
        });
      },
    };
  }

  /**
   * Runs worktree changes one at a time: git keeps worktrees in files under the mirror, and a
   * prune beside an add can delete what the add is writing.
   */
  #worktrees<T>(change: () => Promise<T>): Promise<T> {
    const result = this.#worktreeQueue.then(change);
    this.#worktreeQueue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  async #prepare(): Promise<void> {
    const exists = await stat(path.join(this.directory, 'HEAD')).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await mkdir(this.directory, { recursive: true });
      await this.#git(['init', '--quiet', '--bare']);
      await this.#git(['remote', 'add', 'origin', this.url]);
    } else {
      await this.#git(['remote', 'set-url', 'origin', this.url]);
    }
    // Worktrees left by a crash are forgotten; their folders are the loader's to clean.
    await this.#worktrees(() => this.#git(['worktree', 'prune']));
  }

  async #isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await this.#git(['merge-base', '--is-ancestor', ancestor, descendant]);
      return true;
    } catch (error) {
      if (error instanceof GitError && error.exitCode === 1) return false; // 1: "not an ancestor"
      throw error;
    }
  }

  #git(args: readonly string[]): Promise<string> {
    return runGit(args, { cwd: this.directory, timeoutMs: this.#localTimeoutMs });
  }
}

function assertSha(sha: string): string {
  if (!SHA.test(sha)) throw new InvalidArgumentError(`not a commit SHA: ${sha}`);
  return sha;
}

function isRemoteUrl(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/\\]+@[^:/\\]+:/.test(url);
}

/**
 * The project's git repository, through the git CLI (execFile, never a shell): the commit a
 * release records (SHA, author, time), and a commit's tree checked out into a temporary folder
 * so `--commit SHA` releases exactly what was committed.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Commit } from '../core/commit.js';
import { InvalidArgumentError } from '../core/errors.js';
import { COMMIT_LOG_FORMAT, parseCommitLog } from './commit-log.js';

const run = promisify(execFile);

async function git(root: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', root, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Whether `root` is inside a git work tree (false when git is missing too). */
export async function isGitRepository(root: string): Promise<boolean> {
  try {
    return (await git(root, ['rev-parse', '--is-inside-work-tree'])) === 'true';
  } catch {
    return false;
  }
}

/**
 * The commit `ref` names. A working-tree release of a repository with uncommitted changes is
 * recorded against HEAD with that said in its message.
 */
export async function readCommit(root: string, ref = 'HEAD'): Promise<Commit | undefined> {
  if (!(await isGitRepository(root))) return undefined;
  let output: string;
  try {
    output = await git(root, ['log', '-1', `--format=${COMMIT_LOG_FORMAT}`, `${ref}^{commit}`, '--']);
  } catch {
    return undefined; // no commits yet
  }
  return parseCommitLog(output)[0];
}

export async function hasUncommittedChanges(root: string): Promise<boolean> {
  return (await git(root, ['status', '--porcelain', '--', '.'])).length > 0;
}

/** Resolves a commit-ish to a full SHA; an unknown one is the user's error (exit 2). */
export async function resolveCommit(root: string, ref: string): Promise<Commit> {
  if (!(await isGitRepository(root))) {
    throw new InvalidArgumentError(`--commit needs a git repository, and ${root} is not in one`);
  }
  if (ref.startsWith('-')) throw new InvalidArgumentError(`'${ref}' is not a commit`);
  try {
    await git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new InvalidArgumentError(`commit '${ref}' does not exist in this repository`, {
      hint: 'fetch it first, or check the SHA: git log --oneline',
    });
  }
  return (await readCommit(root, ref)) as Commit;
}

export interface CheckedOutCommit {
  readonly dir: string;
  readonly commit: Commit;
  remove(): Promise<void>;
}

/**
 * Writes the project folder as of `ref` into a temporary folder (`git archive`). Top-level
 * entries git does not track (generated `data/`, `node_modules/`) are linked from the working
 * tree, since a commit describes code, not the data it runs on.
 */
export async function checkoutCommit(root: string, ref: string): Promise<CheckedOutCommit> {
  const commit = await resolveCommit(root, ref);
  const prefix = await git(root, ['rev-parse', '--show-prefix']);
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-commit-'));
  try {
    await extract(root, `${commit.sha}:${prefix}`, dir);
    const present = new Set(await readdir(dir));
    for (const entry of await readdir(root)) {
      if (present.has(entry) || entry === '.git' || entry === '.slipway') continue;
      await symlink(path.join(root, entry), path.join(dir, entry));
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, commit, remove: () => rm(dir, { recursive: true, force: true }) };
}

function extract(root: string, treeish: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const archive = spawn('git', ['-C', root, 'archive', '--format=tar', treeish], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    archive.stderr.on('data', (d: Buffer) => {
      errors += d.toString();
    });
    tar.stderr.on('data', (d: Buffer) => {
      errors += d.toString();
    });
    archive.stdout.pipe(tar.stdin);
    let pending = 2;
    let failed = false;
    const done = (code: number | null): void => {
      if (code !== 0) failed = true;
      pending -= 1;
      if (pending > 0) return;
      if (failed) reject(new Error(`git archive ${treeish} failed: ${errors.trim()}`));
      else resolve();
    };
    archive.on('error', reject);
    tar.on('error', reject);
    archive.on('close', done);
    tar.on('close', done);
  });
}

/**
 * What a branch changes compared with the ref it will merge into (`slipway ci --base REF`): the
 * merge base, the commits since it and the files changed since it (the working tree included),
 * through the git CLI. Paths are relative to the project folder; `prefix` is the project's folder
 * inside the repository, which CI systems need to place annotations.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InvalidArgumentError } from '../core/errors.js';
import { isGitRepository } from './git-commit.js';

const run = promisify(execFile);

export interface ChangedFile {
  /** git's status letter: A added, M modified, D deleted, R renamed, … */
  readonly status: string;
  readonly path: string;
}

export interface BranchChanges {
  readonly base: string;
  readonly mergeBase: string;
  readonly head: string;
  readonly commits: readonly { readonly sha: string; readonly author: string; readonly message: string }[];
  readonly files: readonly ChangedFile[];
  /** The project folder's path inside the repository (`''` at its root, else ending in `/`). */
  readonly prefix: string;
}

async function git(root: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', root, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/**
 * @example
 * const changes = await changesSince(root, 'origin/main');
 * changes.files // [{ status: 'M', path: 'models/marts/fraud_alerts.sql' }]
 */
export async function changesSince(root: string, base: string): Promise<BranchChanges> {
  if (!(await isGitRepository(root)))
    throw new InvalidArgumentError(`--base needs a git repository, and ${root} is not in one`);
  if (base.startsWith('-')) throw new InvalidArgumentError(`'${base}' is not a git ref`);
  let mergeBase: string;
  try {
    mergeBase = await git(root, ['merge-base', `${base}^{commit}`, 'HEAD']);
  } catch {
    throw new InvalidArgumentError(`--base '${base}' is not a commit this branch shares history with`, {
      hint: 'fetch the base branch with its history (actions/checkout: fetch-depth: 0)',
    });
  }
  const head = await git(root, ['rev-parse', 'HEAD']);
  const log = await git(root, ['log', '--format=%H%x00%an <%ae>%x00%s', `${mergeBase}..HEAD`, '--']);
  const commits = log
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [sha = '', author = '', message = ''] = line.split('\0');
      return { sha, author, message };
    });
  // Against the working tree, so uncommitted edits show too; --relative keeps the project's view.
  const diff = await git(root, ['diff', '--name-status', '--relative', '-M', mergeBase, '--', '.']);
  const files = diff
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const parts = line.split('\t');
      return { status: (parts[0] ?? '?').charAt(0), path: parts[parts.length - 1] ?? '' };
    });
  const prefix = await git(root, ['rev-parse', '--show-prefix']);
  return { base, mergeBase, head, commits, files, prefix };
}

/**
 * Files under `paths` (relative to the project folder `root`) that differ between commit `base`
 * and `head`, or the working tree (untracked files included) when `head` is undefined.
 */
export async function changedPaths(
  root: string,
  base: string,
  head: string | undefined,
  paths: readonly string[],
): Promise<string[]> {
  const range = head === undefined ? [base] : [base, head];
  const diff = await git(root, ['diff', '--name-only', '--relative', ...range, '--', ...paths]);
  const untracked =
    head === undefined ? await git(root, ['ls-files', '--others', '--exclude-standard', '--', ...paths]) : '';
  return [...new Set([...diff.split('\n'), ...untracked.split('\n')].filter(Boolean))].sort();
}

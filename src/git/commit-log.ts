/**
 * What the operator records about a commit: SHA, author, author time, message and the pull
 * request number a merge message carries. Parsed from `git log` with field and record separators
 * that cannot occur in the text git prints for these fields.
 */

import type { Commit } from '../core/commit.js';

const FIELD = '\x1f';
const RECORD = '\x1e';

/** The `--format` that `parseCommitLog` reads. */
export const COMMIT_LOG_FORMAT = '%H%x1f%an%x1f%ae%x1f%aI%x1f%P%x1f%B%x1e';

export function parseCommitLog(output: string): Commit[] {
  const commits: Commit[] = [];
  for (const raw of output.split(RECORD)) {
    const record = raw.replace(/^\n+/, '');
    if (record.trim() === '') continue;
    const [sha = '', author = '', authorEmail = '', authoredAt = '', parents = '', ...rest] =
      record.split(FIELD);
    const message = rest.join(FIELD).replace(/\s+$/, '');
    commits.push({
      sha,
      author,
      authorEmail,
      authoredAt,
      message,
      parents: parents.split(' ').filter((p) => p.length > 0),
      pullRequest: pullRequestNumber(message),
    });
  }
  return commits;
}

const PULL_REQUEST_PATTERNS: readonly RegExp[] = [
  // GitHub merge commit: "Merge pull request #12 from owner/branch"
  /^Merge pull request #(\d+)\b/m,
  // Bitbucket Cloud merge commit: "Merged in feature/x (pull request #12)"
  /^Merged in \S+ \(pull request #(\d+)\)/m,
  // Bitbucket Data Center: "Pull request #12: Title"
  /^Pull request #(\d+):/m,
  // GitLab: "See merge request group/project!12"
  /^See merge request \S+!(\d+)\s*$/m,
  // GitHub squash merge: the subject line ends with "(#12)"
  /^[^\n]*\(#(\d+)\)[ \t]*(?:\n|$)/,
];

/**
 * The pull request number a merge or squash-merge message names, if any.
 *
 * @example pullRequestNumber('Merge pull request #12 from jkl/feature') // 12
 * @example pullRequestNumber('Merged in feature/x (pull request #7)\n\nApproved-by: A') // 7
 */
export function pullRequestNumber(message: string): number | undefined {
  for (const pattern of PULL_REQUEST_PATTERNS) {
    const match = pattern.exec(message);
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}

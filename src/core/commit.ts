/**
 * The one commit shape: what git says of a commit (the mirror, the watcher, the CLI's own
 * repository all read it the same way), and the part of it a release records.
 */

export interface Commit {
  readonly sha: string;
  readonly author: string;
  readonly authorEmail: string;
  /** Author time, ISO 8601 with the author's offset, as git stores it. */
  readonly authoredAt: string;
  /** The full message, trailing newlines trimmed. */
  readonly message: string;
  readonly parents: readonly string[];
  /** The pull request a merge or squash message names, when it names one. */
  readonly pullRequest: number | undefined;
}

/** What a release records of its commit (`author` as `Name <email>`, `time` in UTC). */
export interface ReleaseCommit {
  readonly sha: string;
  readonly author: string;
  /** ISO 8601, UTC. */
  readonly time: string;
  /** The subject line. */
  readonly message?: string;
}

/** The commit as a release records it. */
export function releaseCommit(commit: Commit): ReleaseCommit {
  return {
    sha: commit.sha,
    author: `${commit.author} <${commit.authorEmail}>`,
    time: new Date(commit.authoredAt).toISOString(),
    message: commit.message.split('\n')[0] ?? '',
  };
}

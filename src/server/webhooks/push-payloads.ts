/**
 * The parts of GitHub and Bitbucket Cloud push payloads the operator reads, normalised to one
 * shape per branch update. Unknown fields are ignored; a payload without the fields below is
 * invalid input (400), never a crash.
 *
 * GitHub `push`: `{ ref: "refs/heads/main", before, after, created, deleted, forced, commits: [...] }`.
 * Bitbucket Cloud `repo:push`: `{ push: { changes: [{ old, new: { type: "branch", name,
 * target: { hash } }, created, closed, forced, commits, truncated }] } }`.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../../core/errors.js';

export interface BranchPush {
  readonly branch: string;
  /** The new head, or undefined when the branch was deleted. */
  readonly head: string | undefined;
  readonly forced: boolean;
  /** Commits the payload lists (providers cap the list; the watcher reads the full range). */
  readonly commitCount: number;
}

const ZERO_SHA = /^0+$/;

const gitHubPushSchema = z.object({
  ref: z.string(),
  after: z.string(),
  deleted: z.boolean().optional(),
  forced: z.boolean().optional(),
  commits: z.array(z.object({ id: z.string() })).optional(),
});

/** The branch a GitHub push updated; undefined for tag pushes. */
export function parseGitHubPush(payload: unknown): BranchPush | undefined {
  const parsed = gitHubPushSchema.safeParse(payload);
  if (!parsed.success)
    throw new InvalidArgumentError('not a GitHub push payload (ref and after are required)');
  const { ref, after, deleted, forced, commits } = parsed.data;
  if (!ref.startsWith('refs/heads/')) return undefined;
  const gone = deleted === true || ZERO_SHA.test(after);
  return {
    branch: ref.slice('refs/heads/'.length),
    head: gone ? undefined : after,
    forced: forced === true,
    commitCount: commits?.length ?? 0,
  };
}

const bitbucketRefSchema = z
  .object({
    type: z.string(),
    name: z.string(),
    target: z.object({ hash: z.string() }),
  })
  .nullable()
  .optional();

const bitbucketPushSchema = z.object({
  push: z.object({
    changes: z.array(
      z.object({
        old: bitbucketRefSchema,
        new: bitbucketRefSchema,
        forced: z.boolean().optional(),
        commits: z.array(z.object({ hash: z.string() })).optional(),
      }),
    ),
  }),
});

/** The branches a Bitbucket Cloud push updated (tags left out). */
export function parseBitbucketPush(payload: unknown): BranchPush[] {
  const parsed = bitbucketPushSchema.safeParse(payload);
  if (!parsed.success)
    throw new InvalidArgumentError('not a Bitbucket repo:push payload (push.changes is required)');
  const pushes: BranchPush[] = [];
  for (const change of parsed.data.push.changes) {
    const ref = change.new ?? change.old;
    if (ref?.type !== 'branch') continue;
    pushes.push({
      branch: ref.name,
      head: change.new ? change.new.target.hash : undefined,
      forced: change.forced === true,
      commitCount: change.commits?.length ?? 0,
    });
  }
  return pushes;
}

/** Commit log parsing and pull request numbers from merge messages (pure). */
import { describe, expect, it } from 'vitest';
import { parseCommitLog, pullRequestNumber } from '../../src/git/commit-log.js';

describe('pullRequestNumber', () => {
  it.each([
    ['Merge pull request #12 from jkl/fraud-rules\n\nTighten velocity rule', 12],
    ['Merged in feature/velocity (pull request #7)\n\nApproved-by: Bo', 7],
    ['Pull request #44: Add chargeback model\n\nMerge in DATA/fraud', 44],
    ['Add chargeback model\n\nSee merge request data/fraud!19', 19],
    ['Tighten velocity rule (#128)\n\n* wip\n* fix', 128],
    ['Fix #12 in the alert rule', undefined],
    ['Bump limits (#12) for Q4', undefined],
    ['Plain commit', undefined],
  ])('%j → %s', (message, expected) => {
    expect(pullRequestNumber(message)).toBe(expected);
  });
});

describe('parseCommitLog', () => {
  it('reads records with multi-line messages and merge parents', () => {
    const record = (sha: string, parents: string, message: string) =>
      `${[sha, 'Ada Analyst', 'ada@jkl.example', '2026-11-27T09:00:00+01:00', parents, `${message}\n`].join(
        '\x1f',
      )}\x1e`;
    const output = `${record('a'.repeat(40), 'b'.repeat(40), 'One\n\nbody')}\n${record(
      'c'.repeat(40),
      `${'a'.repeat(40)} ${'d'.repeat(40)}`,
      'Merge pull request #3 from x/y',
    )}\n`;
    const commits = parseCommitLog(output);
    expect(commits).toHaveLength(2);
    expect(commits[0]).toMatchObject({ sha: 'a'.repeat(40), message: 'One\n\nbody', pullRequest: undefined });
    expect(commits[1]).toMatchObject({ parents: ['a'.repeat(40), 'd'.repeat(40)], pullRequest: 3 });
    expect(commits[1]?.authoredAt).toBe('2026-11-27T09:00:00+01:00');
  });
});

/**
 * The demo's git side: a bare "origin" (what GitHub would hold), a working clone where people
 * commit on branches and merge, and the pull-request check a CI job runs on a branch: the real
 * `slipway ci --base origin/main` (`runCi`: validate, unit tests, plan against prod, build only
 * the changed models into `ci_<sha>`, their checks, a data diff against prod). Git runs through
 * the CLI (execFile, never a shell).
 */

import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { openSqlParser } from '../../app/open-sql-parser.js';
import { openUnitTestWarehouse } from '../../app/open-unit-test-warehouse.js';
import { releaseCommit } from '../../core/commit.js';
import { ProjectError, WorkFailedError } from '../../core/errors.js';
import { changesSince } from '../../git/git-changes.js';
import { readCommit } from '../../git/git-commit.js';
import { fingerprintProject } from '../../project/fingerprint.js';
import { loadProject } from '../../project/load-project.js';
import { ciEnvironmentName } from '../../release/ci-environment.js';
import { withEnvironmentLocks } from '../../release/environment-lock.js';
import type { ReleaseServices } from '../../release/execute-release.js';
import { type CiOutcome, runCi } from '../../release/run-ci.js';

const run = promisify(execFile);

export interface Person {
  readonly name: string;
  readonly email: string;
}

export class DemoRepo {
  readonly origin: string;
  readonly work: string;

  constructor(origin: string, work: string) {
    this.origin = origin;
    this.work = work;
  }

  async git(args: readonly string[], as?: Person): Promise<string> {
    const who = as ?? { name: 'Slipway Demo', email: 'demo@jkl.example' };
    const { stdout } = await run('git', ['-C', this.work, ...args], {
      timeout: 30_000,
      env: {
        ...process.env,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_AUTHOR_NAME: who.name,
        GIT_AUTHOR_EMAIL: who.email,
        GIT_COMMITTER_NAME: who.name,
        GIT_COMMITTER_EMAIL: who.email,
      },
    });
    return stdout.trim();
  }

  /** Initializes the working clone on `main`, commits everything, creates origin and pushes. */
  async create(message: string, as: Person): Promise<string> {
    await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', this.origin]);
    await this.git(['init', '--quiet', '--initial-branch=main']);
    await this.git(['remote', 'add', 'origin', this.origin]);
    await this.git(['add', '-A']);
    await this.git(['commit', '--quiet', '-m', message], as);
    await this.git(['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);
    return this.git(['rev-parse', 'HEAD']);
  }

  /** Starts `branch` from main, applies the edits, commits. */
  async commitOnBranch(branch: string, edits: readonly Edit[], message: string, as: Person): Promise<string> {
    await this.git(['checkout', '--quiet', '-B', branch, 'main']);
    await this.edit(edits);
    await this.git(['commit', '--quiet', '-am', message], as);
    return this.git(['rev-parse', 'HEAD']);
  }

  /** Merges `branch` into main the way GitHub does (a merge commit naming the PR) and pushes. */
  async mergePullRequest(branch: string, number: number, title: string, as: Person): Promise<string> {
    await this.git(['checkout', '--quiet', 'main']);
    await this.git(
      [
        'merge',
        '--quiet',
        '--no-ff',
        '-m',
        `Merge pull request #${number} from jkl/${branch}\n\n${title}`,
        branch,
      ],
      as,
    );
    await this.git(['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);
    return this.git(['rev-parse', 'HEAD']);
  }

  async edit(edits: readonly Edit[]): Promise<void> {
    for (const e of edits) {
      const file = path.join(this.work, e.file);
      const text = await readFile(file, 'utf8');
      if (!text.includes(e.find)) throw new WorkFailedError(`demo edit: '${e.find}' not found in ${e.file}`);
      await writeFile(file, text.replace(e.find, e.replace));
    }
  }

  /**
   * `slipway ci --base origin/main` on the checked-out branch, against prod. `withServices` lends
   * the warehouse and state store prod lives in (a CI runner with read access to them; in the
   * demo, the operator's own, through its queue so no release runs meanwhile). Prod is only
   * read; `ci_<sha>` and the tables built for it are dropped afterwards.
   */
  async ci(
    withServices: <T>(body: (services: ReleaseServices) => Promise<T>) => Promise<T>,
    branch: string,
  ): Promise<DemoCi> {
    await this.git(['fetch', '--quiet', 'origin']);
    const parser = await openSqlParser();
    let project: Awaited<ReturnType<typeof loadProject>>;
    try {
      project = await loadProject(this.work, { parser });
    } catch (error) {
      if (error instanceof ProjectError) {
        return {
          passed: false,
          summary: `validate ✗ (${error.diagnostics.length} problems)`,
          outcome: undefined,
        };
      }
      throw error;
    } finally {
      await parser.close();
    }
    const loaded = project;
    const read = await readCommit(this.work);
    const commit = read ? releaseCommit(read) : undefined;
    const changes = await changesSince(this.work, 'origin/main');
    const ciEnvironment = ciEnvironmentName(commit?.sha);
    const outcome = await withServices((services) =>
      withEnvironmentLocks(services.state, [ciEnvironment], { purpose: `ci ${branch}`, wait: 30_000 }, () =>
        runCi(services, {
          project: loaded,
          fingerprints: fingerprintProject(loaded),
          environment: 'prod',
          ciEnvironment,
          strategy: 'blue-green',
          commit,
          changes,
          actor: `ci (${branch})`,
          concurrency: loaded.config.defaults?.concurrency ?? 4,
          openUnitTestEngine: openUnitTestWarehouse,
          keep: false,
          ...(loaded.config.defaults?.check_sample_rows === undefined
            ? {}
            : { sampleRows: loaded.config.defaults.check_sample_rows }),
        }),
      ),
    );
    return { passed: outcome.blockers.length === 0, summary: ciSummary(outcome), outcome };
  }
}

/** What the demo says about a CI run. */
export interface DemoCi {
  readonly passed: boolean;
  /** One line: tests, what was built in ci_<sha>, checks, the diff against prod; or the blockers. */
  readonly summary: string;
  readonly outcome: CiOutcome | undefined;
}

function ciSummary(o: CiOutcome): string {
  const tests = o.tests.results;
  const passedTests = tests.filter((t) => t.status === 'pass').length;
  const built = o.builds.filter((b) => b.status === 'built').length;
  const checks = o.checks?.results ?? [];
  const diffs = o.diffs.map(({ model, diff }) => {
    const rows = diff.rowsA === diff.rowsB ? `${diff.rowsB} rows` : `${diff.rowsA} → ${diff.rowsB} rows`;
    const columns =
      diff.schema.added.length > 0 ? `, +${diff.schema.added.map((c) => c.name).join(', +')}` : '';
    return `${model} ${rows}${columns}, ${diff.changed} changed`;
  });
  const parts = [
    `${passedTests} of ${tests.length} unit tests passed`,
    `${built} of ${o.plan.models.length} models built in ${o.ciEnvironment} (the rest read prod's tables)`,
    `${checks.filter((c) => c.status === 'pass').length} of ${checks.length} checks passed`,
    ...(diffs.length > 0 ? [`diff vs prod: ${diffs.join('; ')}`] : []),
  ];
  const summary = parts.join('; ');
  return o.blockers.length === 0 ? summary : `${o.blockers.join('; ')} (${summary})`;
}

export interface Edit {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

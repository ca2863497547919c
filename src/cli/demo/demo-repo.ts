/**
 * The demo's git side: a bare "origin" (what GitHub would hold), a working clone where people
 * commit on branches and merge, and the pull-request check a CI job would run on a branch
 * (validate, then the SQL unit tests). Git runs through the CLI (execFile, never a shell).
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ProjectError, WorkFailedError } from '../../core/errors.js';
import { loadProject } from '../../project/load-project.js';
import { runUnitTests } from '../../quality/unit-tests/run-unit-tests.js';
import { createDuckDbSqlParser } from '../../warehouse/duckdb/duckdb-sql-parser.js';

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

  /** What a pull request's CI job checks here: the project validates and its unit tests pass. */
  async ci(): Promise<{ passed: boolean; summary: string }> {
    const parser = await createDuckDbSqlParser();
    try {
      const project = await loadProject(this.work, { parser });
      const summary = await runUnitTests({ project, tests: project.tests });
      const failed = summary.results.filter((r) => r.status !== 'pass');
      return failed.length === 0
        ? { passed: true, summary: `validate ✓, ${summary.results.length} unit tests passed` }
        : {
            passed: false,
            summary: `validate ✓, ${failed.length} of ${summary.results.length} unit tests failed (${failed
              .map((r) => r.name)
              .join(', ')})`,
          };
    } catch (error) {
      if (error instanceof ProjectError) {
        return { passed: false, summary: `validate ✗ (${error.diagnostics.length} problems)` };
      }
      throw error;
    } finally {
      await parser.close();
    }
  }
}

export interface Edit {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

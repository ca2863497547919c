/**
 * `slipway init DIR`: scaffold a project from a template (the JKL reference project), generate a
 * small data set so the first build takes seconds, and make the folder a git repository.
 * `--ci github|bitbucket` adds the pull-request gate (GitHub Actions workflow, Bitbucket
 * Pipelines); on an existing project it writes only those files. `--warehouse postgres` puts the
 * project on the PostgreSQL database `--url-env` names (default `SLIPWAY_PG_URL`): the sources are
 * loaded into tables there and the project reads them (and keeps its state) in that database.
 */
import { type Command, Option } from 'commander';
import { lazyAction } from '../lazy-action.js';
import { DEFAULT_URL_ENV, TEMPLATES } from './init-templates.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('scaffold a project')
    .argument('<dir>', 'folder to create (it must be empty or missing)')
    .addOption(
      new Option('--template <name>', 'project template')
        .choices(Object.keys(TEMPLATES))
        .default('jkl-fraud'),
    )
    .addOption(
      new Option('--scale <n>', 'size of the generated data (1 = about a million transactions)').default(
        '0.01',
      ),
    )
    .addOption(
      new Option('--warehouse <engine>', 'where the project runs')
        .choices(['duckdb', 'postgres'])
        .default('duckdb'),
    )
    .addOption(
      new Option(
        '--url-env <name>',
        'with --warehouse postgres: the environment variable holding the database URL',
      ).default(DEFAULT_URL_ENV),
    )
    .option('--no-git', 'do not create a git repository')
    .option(
      '--no-install',
      'do not run npm install (the package.json and its Slipway dependency are written)',
    )
    .option(
      '--ci <provider...>',
      'add the pull-request gate: github (.github/workflows/slipway.yml), bitbucket (bitbucket-pipelines.yml); on an existing project, writes only these',
    )
    .action(lazyAction(() => import('./init-action.js'), 'initAction'));
}

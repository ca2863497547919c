/**
 * `slipway init DIR`: scaffold a project from a template (the JKL reference project), generate a
 * small data set so the first build takes seconds, and make the folder a git repository.
 * `--ci github|bitbucket` adds the pull-request gate (GitHub Actions workflow, Bitbucket
 * Pipelines); on an existing project it writes only those files. `--warehouse postgres` puts the
 * project on the PostgreSQL database `--url-env` names (default `SLIPWAY_PG_URL`): the sources are
 * loaded into tables there and the project reads them (and keeps its state) in that database.
 */
import { execFile } from 'node:child_process';
import { access, cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { moveReferenceProjectToPostgres, openSeedDatabase } from '../../app/postgres-reference-project.js';
import type { SeededSource } from '../../app/seed-postgres-sources.js';
import { errorMessage, InvalidArgumentError } from '../../core/errors.js';
import { PROJECT_FILE, parseProjectConfig } from '../../project/load-project.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import type { GlobalOptions } from '../project-context.js';
import { createOutput, status } from '../render/terminal.js';
import {
  bitbucketPipeline,
  type CiWorkflowOptions,
  ciWorkflowOptions,
  githubWorkflow,
} from './ci-workflows.js';
import { generateData } from './generate-action.js';
import { slipwayDependency, writeProjectPackage } from './init-package.js';
import { TEMPLATES } from './init-templates.js';

const run = promisify(execFile);

const SCHEMA_DIR = fileURLToPath(new URL('../../../schema/', import.meta.url));

/**
 * Copies the JSON Schemas into the project (`.schemas/`) and maps them to the project's YAML
 * files for editors that read `.vscode/settings.json` (the YAML language server), so completion
 * and validation work offline and match this version of Slipway.
 */
async function writeEditorSchemas(target: string): Promise<void> {
  await cp(SCHEMA_DIR, path.join(target, '.schemas'), { recursive: true });
  await mkdir(path.join(target, '.vscode'), { recursive: true });
  const settings = {
    'yaml.schemas': {
      './.schemas/slipway.schema.json': ['slipway.yaml'],
      './.schemas/sources.schema.json': ['sources/**/*.yml', 'sources/**/*.yaml'],
      './.schemas/tests.schema.json': ['tests/**/*.yml', 'tests/**/*.yaml'],
    },
  };
  await writeFile(path.join(target, '.vscode', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
}

/** The CI file each provider gets (the reference project ships the same, for its embedded defaults). */
export const CI_FILES: Readonly<Record<string, string>> = {
  github: '.github/workflows/slipway.yml',
  bitbucket: 'bitbucket-pipelines.yml',
};

const CI_WRITERS: Readonly<Record<string, (options: CiWorkflowOptions) => string>> = {
  github: githubWorkflow,
  bitbucket: bitbucketPipeline,
};

interface InitOptions extends GlobalOptions {
  readonly template: string;
  readonly scale: string;
  readonly git: boolean;
  readonly install: boolean;
  readonly ci?: string[];
  readonly warehouse: 'duckdb' | 'postgres';
  readonly urlEnv: string;
}

function parseProviders(values: readonly string[] | undefined): string[] {
  const providers = [
    ...new Set(
      (values ?? [])
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean),
    ),
  ];
  for (const p of providers) {
    if (!(p in CI_FILES))
      throw new InvalidArgumentError(`unknown CI provider '${p}'`, {
        hint: `--ci ${Object.keys(CI_FILES).join('|')}`,
      });
  }
  return providers;
}

/**
 * Writes the providers' CI files into the project at `target`, shaped by its `slipway.yaml` (a
 * shared PostgreSQL store is read through secrets; else sample data); returns what it wrote.
 */
async function writeCiFiles(target: string, providers: readonly string[]): Promise<string[]> {
  const file = path.join(target, PROJECT_FILE);
  const options = ciWorkflowOptions(parseProjectConfig(await readFile(file, 'utf8'), target));
  const written: string[] = [];
  for (const p of providers) {
    const name = CI_FILES[p] as string;
    await mkdir(path.dirname(path.join(target, name)), { recursive: true });
    await writeFile(path.join(target, name), CI_WRITERS[p]?.(options) ?? '');
    written.push(name);
  }
  return written;
}

export async function initAction(this: Command, dir: string) {
  const options = this.optsWithGlobals<InitOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const target = path.resolve(dir);
  const scale = Number(options.scale);
  if (!(scale > 0))
    throw new InvalidArgumentError(`--scale must be a positive number, not '${options.scale}'`);
  const providers = parseProviders(options.ci);
  const template = TEMPLATES[options.template] as string;
  const existed = await exists(target);
  await mkdir(target, { recursive: true });
  if (providers.length > 0 && (await exists(path.join(target, 'slipway.yaml')))) {
    const written = await writeCiFiles(target, providers);
    output.data({ project: target, ci: written });
    for (const f of written) output.line(`${status.ok('✓')} wrote ${f}`);
    output.line(
      status.dim('require it to pass before merging: the comment at the top of each file says how'),
    );
    return;
  }
  const present = (await readdir(target)).filter((f) => f !== '.git');
  if (present.length > 0) {
    throw new InvalidArgumentError(`${target} is not empty`, {
      hint: 'choose a new folder (or, in a project, add CI files only: slipway init . --ci github)',
    });
  }
  let database: Warehouse | undefined;
  let generated: Awaited<ReturnType<typeof generateData>>;
  let ciWritten: string[];
  let seeded: SeededSource[] = [];
  try {
    // PostgreSQL is reached before anything is written, so a bad URL costs no generation.
    if (options.warehouse === 'postgres') database = await openSeedDatabase(options.urlEnv);
    output.note(status.dim(`generating sample data (scale ${scale})…`));
    generated = await scaffoldProject(template, target, { scale });
    if (database) seeded = await loadIntoPostgres(target, database, options.urlEnv, output.note);
    ciWritten = await writeCiFiles(target, providers);
  } catch (error) {
    // Nothing half done: the folder was empty (but for .git), so what is there now is ours.
    if (!existed) await rm(target, { recursive: true, force: true });
    else {
      for (const entry of await readdir(target)) {
        if (entry !== '.git') await rm(path.join(target, entry), { recursive: true, force: true });
      }
    }
    throw error;
  } finally {
    await database?.close();
  }
  const dependency = await slipwayDependency(target);
  await writeProjectPackage(target, dependency.spec);
  let installed = false;
  if (options.install) {
    output.note(
      status.dim(`installing Slipway (${dependency.spec}) and the project's test tools: npm install…`),
    );
    try {
      await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
        cwd: target,
        maxBuffer: 16 * 1024 * 1024,
      });
      installed = true;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join('\n  ');
      output.note(status.warn(`npm install failed; run it in the project: ${stderr || errorMessage(error)}`));
    }
  }
  let git = false;
  if (options.git) {
    try {
      await run('git', ['init', '-q', '-b', 'main'], { cwd: target });
      await run('git', ['add', '-A'], { cwd: target });
      await run(
        'git',
        [
          '-c',
          'user.name=Slipway',
          '-c',
          'user.email=slipway@localhost',
          'commit',
          '-q',
          '-m',
          'Initial project from slipway init',
        ],
        { cwd: target },
      );
      git = true;
    } catch (error) {
      output.note(status.warn(`git repository not created: ${(error as Error).message.split('\n')[0]}`));
    }
  }
  output.data({
    project: target,
    template: options.template,
    scale,
    git,
    slipway: dependency.spec,
    installed,
    data: generated,
    ci: ciWritten,
    warehouse: options.warehouse,
    ...(database ? { urlEnv: options.urlEnv, tables: seeded } : {}),
  });
  output.line(`${status.ok('✓')} created ${status.bold(target)} from the ${options.template} template`);
  output.line(`  ${generated.transactions.toLocaleString('en-US')} transactions generated in data/`);
  if (database) {
    const rows = seeded.reduce((n, t) => n + t.rows, 0).toLocaleString('en-US');
    output.line(
      `  ${rows} rows loaded into ${seeded.length} tables (${seeded.map((t) => t.table).join(', ')}) of the database ${options.urlEnv} names`,
    );
  }
  for (const f of ciWritten) output.line(`  ${f} (require it before merging: see the comment at its top)`);
  output.line();
  output.line(
    database
      ? `Next (every command reads the database URL from ${options.urlEnv}: keep it exported):`
      : 'Next:',
  );
  output.line(`  cd ${path.relative(process.cwd(), target) || '.'}`);
  if (!installed) output.line('  npm install');
  output.line('  npx slipway validate');
  output.line('  npx slipway build --env dev');
  output.line(
    `  npx slipway query --env dev "select severity, count(*) from fraud_alerts group by ${database ? 'severity' : 'all'}"`,
  );
}

/** Loads the generated sources into PostgreSQL and points the project's files at it. */
async function loadIntoPostgres(
  target: string,
  database: Warehouse,
  urlEnv: string,
  note: (message: string) => void,
): Promise<SeededSource[]> {
  note(status.dim(`loading the sources into the database ${urlEnv} names…`));
  return moveReferenceProjectToPostgres(target, { warehouse: database, urlEnv });
}

/**
 * Copies the template into `target` (without data, state or CI files: `--ci` writes those),
 * writes `.gitignore` and the editor schemas, and generates the sample data into `target/data`.
 */
export async function scaffoldProject(
  template: string,
  target: string,
  { scale }: { readonly scale: number },
): Promise<Awaited<ReturnType<typeof generateData>>> {
  const ciFiles = new Set(Object.values(CI_FILES).map((f) => path.normalize(f)));
  await cp(template, target, {
    recursive: true,
    filter: (src) => {
      const relative = path.relative(template, src);
      const rel = relative.split(path.sep);
      // CI files are written for the providers asked for (writeCiFiles).
      if (ciFiles.has(relative) || relative === '.github' || relative === path.join('.github', 'workflows'))
        return false;
      return !rel.includes('node_modules') && rel[0] !== 'data' && rel[0] !== '.slipway';
    },
  });
  await writeFile(
    path.join(target, '.gitignore'),
    '.slipway/\ndata/\nnode_modules/\nreports/\ntest-results/\n',
  );
  await writeEditorSchemas(target);
  return generateData(target, { scale, slice: 0, seed: 42 });
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

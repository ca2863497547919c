/**
 * Slipway as a user gets it: the `npm pack` tarball (packSlipway) installed into an empty folder,
 * then every command of the README's "Using Slipway" section run as written, by bash.
 * Dependencies come from npm's cache first (`npm_config_prefer_offline`) and the registry for what
 * the cache lacks; no time limit beyond a generous timeout, since a cold cache downloads DuckDB's
 * native build.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NPM_TEST_ENV, packSlipway } from '../helpers/packed-slipway.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The shell blocks of the README's "Using Slipway" section, in order. */
function usingSlipwayBlocks(): string[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Using Slipway');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

let workspace: string;
let result: { code: number; stdout: string; stderr: string };

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'slipway-packaged-'));
  const filename = packSlipway(workspace);
  expect(existsSync(path.join(workspace, filename))).toBe(true);
  const script = ['set -euo pipefail', 'set -x', ...usingSlipwayBlocks()].join('\n');
  result = await new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', script],
      {
        cwd: workspace,
        // npm_config_*: npm's own settings from the environment; the commands stay as written.
        env: { ...process.env, NO_COLOR: '1', ...NPM_TEST_ENV },
        timeout: 1_500_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}, 1_600_000);

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('the packed tarball, installed into an empty folder', () => {
  it('runs every command of the README as written', () => {
    expect(usingSlipwayBlocks().join('\n')).toMatch(/npm install --save-dev \.\.\/slipway-[\d.]+\.tgz/);
    expect(result.code, result.stderr.slice(-4000)).toBe(0);
    expect(result.stdout).toMatch(/jkl-fraud is valid: \d+ models, 5 sources/);
    expect(result.stdout).toMatch(/24 models built; dev switched to release/);
    expect(result.stdout).toMatch(/│ severity/);
    expect(result.stdout).toMatch(/\bhigh\b/);
  });

  it('the initialised project depends on the vendored tarball and has a lockfile', async () => {
    const project = path.join(workspace, 'work', 'jkl');
    const manifest = JSON.parse(await readFile(path.join(project, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    expect(manifest.devDependencies['slipway']).toMatch(/^file:vendor\/slipway-[\d.]+\.tgz$/);
    expect(existsSync(path.join(project, manifest.devDependencies['slipway']?.slice(5) ?? 'x'))).toBe(true);
    expect(existsSync(path.join(project, 'package-lock.json'))).toBe(true);
    expect(existsSync(path.join(project, 'node_modules', '.bin', 'slipway'))).toBe(true);
    // The lockfile is committed with the project, node_modules is not.
    const tracked = execFileSync('git', ['ls-files'], { cwd: project, encoding: 'utf8' }).split('\n');
    expect(tracked).toContain('package-lock.json');
    expect(tracked.some((f) => f.startsWith('node_modules/'))).toBe(false);
  });
});

/**
 * Slipway as a user gets it: the `npm pack` tarball of this checkout. Packed from the built dist/
 * (`--ignore-scripts`: the suite's global setup has built it, and rebuilding dist/ here would pull
 * it from under the other suites).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Packs Slipway into `destination`; the tarball's file name (e.g. `slipway-0.1.0.tgz`). */
export function packSlipway(destination: string): string {
  const packed = execFileSync(
    'npm',
    ['pack', '--ignore-scripts', '--pack-destination', destination, '--json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const [{ filename }] = JSON.parse(packed) as [{ filename: string }];
  if (!existsSync(path.join(destination, filename))) throw new Error(`npm pack wrote no ${filename}`);
  return filename;
}

/** npm's own settings for installs in tests: npm's cache first, no audit (the commands stay as written). */
export const NPM_TEST_ENV: Readonly<Record<string, string>> = {
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
};

/**
 * npm settings that offer better-sqlite3's native build to its installer (prebuild-install) as a
 * local prebuild, so an install in a test does not compile it from source: the prebuilt download
 * from GitHub releases that a real runner gets cannot be reached here. The binary is the one this
 * checkout installed, for this very Node (ABI, platform, architecture), packed as prebuild-install
 * names and unpacks its downloads; `npm_config_<package>_local_prebuilds` is its documented
 * setting for a folder of them.
 */
export function localPrebuildEnv(directory: string): Readonly<Record<string, string>> {
  const root = path.join(ROOT, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  mkdirSync(directory, { recursive: true });
  execFileSync('tar', ['-czf', path.join(directory, name), '-C', root, 'build/Release/better_sqlite3.node']);
  return { npm_config_better_sqlite3_local_prebuilds: directory };
}

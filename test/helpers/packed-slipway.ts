/**
 * Slipway as a user gets it: the `npm pack` tarball of this checkout. Packed from the built dist/
 * (`--ignore-scripts`: the suite's global setup has built it, and rebuilding dist/ here would pull
 * it from under the other suites).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

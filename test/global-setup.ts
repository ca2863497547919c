/**
 * Once per test run: builds `dist/` before the suites that run the real `slipway` binary, unless
 * it is already newer than every source file (the test script builds first; a lone `vitest` does
 * not), and starts a real PostgreSQL server unless `SLIPWAY_TEST_PG_URL` names one; the URL
 * reaches every test process through that variable, and the server stops when the run ends.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startTestPostgres } from './helpers/postgres-server.js';

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

export default async function setup(): Promise<() => void> {
  buildDist();
  if (process.env['SLIPWAY_TEST_PG_URL']) return () => undefined;
  const server = await startTestPostgres();
  process.env['SLIPWAY_TEST_PG_URL'] = server.url;
  return () => server.stop();
}

function buildDist(): void {
  const root = path.resolve(import.meta.dirname, '..');
  let built = 0;
  try {
    built = statSync(path.join(root, 'dist', 'cli', 'bin.js')).mtimeMs;
  } catch {
    built = 0;
  }
  if (built > 0 && built >= newest(path.join(root, 'src'))) return;
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}

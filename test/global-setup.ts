/**
 * Builds `dist/` once before the suites that run the real `slipway` binary, unless it is
 * already newer than every source file (the test script builds first; a lone `vitest` does not).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

export default function setup(): void {
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

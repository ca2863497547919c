/**
 * Builds `dist/` once before the suites when any source is newer than it, so end-to-end tests
 * run the CLI as users do (`node bin/slipway.js`) without each test file racing to build.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

export default function setup(): void {
  const built = (() => {
    try {
      return statSync(path.join(root, 'dist', 'cli', 'bin.js')).mtimeMs;
    } catch {
      return 0;
    }
  })();
  if (built < newest(path.join(root, 'src'))) {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  }
}

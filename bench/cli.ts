/**
 * bench/cli: how fast the `slipway` command starts, as a ratio to a bare `node -e 0` started on
 * the same machine in the same rounds (interleaved, so load on the machine hits both alike).
 * `--version`, `--help`, `validate` of the reference project and a no-op `plan` (the project
 * already released to dev). Run `npm run build` first: it measures the built `bin/slipway.js`.
 *
 *   npx tsx bench/cli.ts [--rounds 15]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(repo, 'bin', 'slipway.js');
const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 15;
if (!(rounds >= 10)) throw new Error('--rounds must be at least 10 (medians of ≥ 10 runs)');

const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-cli-'));
const project = path.join(dir, 'jkl');
try {
  execFileSync(process.execPath, [bin, 'init', project, '--scale', '0.01', '--no-install'], {
    stdio: 'ignore',
  });
  execFileSync(process.execPath, [bin, 'apply', '--env', 'dev', '--yes', '--project', project], {
    stdio: 'ignore',
  });

  const cases: { readonly name: string; readonly args: readonly string[]; readonly target?: number }[] = [
    { name: 'node -e 0', args: ['-e', '0'] },
    { name: 'slipway --version', args: [bin, '--version'], target: 0.25 },
    { name: 'slipway --help', args: [bin, '--help'], target: 0.25 },
    { name: 'slipway validate', args: [bin, 'validate', '--project', project], target: 0.8 },
    { name: 'slipway plan (no-op)', args: [bin, 'plan', '--env', 'dev', '--project', project] },
  ];
  const times = new Map(cases.map((c) => [c.name, [] as number[]]));
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      const start = process.hrtime.bigint();
      const result = spawnSync(process.execPath, c.args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (result.status !== 0) throw new Error(`${c.name} exited ${result.status}: ${result.stderr}`);
      times.get(c.name)?.push(seconds);
    }
  }
  const median = (xs: readonly number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  };
  const baseline = median(times.get('node -e 0') ?? []);
  console.log(`bench/cli: medians of ${rounds} interleaved runs on ${os.cpus().length} cores`);
  for (const c of cases) {
    const m = median(times.get(c.name) ?? []);
    const target =
      c.target === undefined ? '' : `  (target ≤ ${c.target} s: ${m <= c.target ? 'met' : 'NOT met'})`;
    console.log(`${c.name.padEnd(22)} ${m.toFixed(3)} s  ${(m / baseline).toFixed(2)}× node -e 0${target}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * bench/gitops: merge-to-production latency of the Git-Ops operator on the reference project,
 * measured against a real `slipway operator` process (the built binary) watching a bare git
 * repository:
 *
 * - webhook path: a 1-model change is pushed, a signed GitHub push webhook is delivered, and the
 *   clock stops when the API shows prod on the new commit (plan, build of the one model, staging
 *   checks, staging switch, promotion to prod). Target ≤ 5 s. The reference project verifies prod
 *   after each promotion (`verify:`); the time until prod's verification passed is shown too, and
 *   each round starts once the previous one is verified.
 * - polling only: the same, with no webhook; the operator finds the commit by polling.
 * - idle: a fresh operator with the default poll interval (30 s), nothing to do: its CPU (its own
 *   and its git children's) and RSS over a minute. Target < 150 MB RSS.
 *
 * Argo CD's default path for the same change is a 3-minute poll (timeout.reconciliation 180 s):
 * 90 s of waiting on average before the sync even starts.
 *
 *   npx tsx bench/gitops.ts              # scale 0.1, poll 5 s, 5 rounds each
 *   npx tsx bench/gitops.ts 1 10s 3      # scale, poll interval, rounds
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { scaffoldProject } from '../src/cli/commands/init-action.js';
import { TEMPLATES } from '../src/cli/commands/init-templates.js';
import { DemoRepo } from '../src/cli/demo/demo-repo.js';
import { sendGitHubPush } from '../src/cli/demo/push-webhook.js';
import { parseDuration } from '../src/core/duration.js';

const root = path.resolve(import.meta.dirname, '..');
const scale = Number(process.argv[2] ?? 0.1) || 0.1;
const pollText = process.argv[3] ?? '5s';
const pollMs = parseDuration(pollText) ?? 5000;
const rounds = Number(process.argv[4] ?? 5) || 5;
const out = path.join(root, 'bench', '.out', 'gitops');
const ARGO_POLL_MS = 180_000;
const IDLE_WINDOW_MS = 60_000;
const ADA = { name: 'Ada Analyst', email: 'ada@jkl.example' };

const token = randomBytes(24).toString('hex');
const secret = randomBytes(24).toString('hex');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function prodCommit(url: string): Promise<string | undefined> {
  const response = await fetch(`${url}/api/v1/environments/prod`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await response.json()) as { live: { commit: { sha: string } } | null };
  return body.live?.commit.sha;
}

/** When prod's post-deploy verification of `sha` has passed (fails the bench when it failed). */
async function waitForVerified(url: string, sha: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/api/v1/environments/prod`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await response.json()) as {
      verification: { commit: string; status: string; summary: string | null } | null;
    };
    const v = body.verification;
    if (v?.commit === sha && v.status === 'failed') throw new Error(`prod failed verification: ${v.summary}`);
    if (v?.commit === sha && v.status === 'passed') return performance.now();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`prod did not verify ${sha.slice(0, 10)} within ${timeoutMs} ms`);
}

async function waitForProd(url: string, sha: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await prodCommit(url)) === sha) return performance.now();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`prod did not reach ${sha.slice(0, 10)} within ${timeoutMs} ms`);
}

/** utime+stime+cutime+cstime of a process, in ms (Linux /proc). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  await rm(out, { recursive: true, force: true });
  const home = path.join(out, 'operator');
  const work = path.join(out, 'work');
  await mkdir(home, { recursive: true });
  process.stdout.write(
    `bench/gitops: reference project at scale ${scale}, poll ${pollText}, ${rounds} rounds\n`,
  );
  await scaffoldProject(TEMPLATES['jkl-fraud'] as string, work, { scale });
  await rename(path.join(work, 'data'), path.join(home, 'data'));
  await symlink(path.join(home, 'data'), path.join(work, 'data'));
  const repo = new DemoRepo(path.join(out, 'origin.git'), work);
  let head = await repo.create('Initial project', ADA);

  const first = await startOperator(repo.origin, home, pollText);
  let child = first.child;
  let url = first.url;
  try {
    const first = performance.now();
    await waitForProd(url, head, 300_000);
    process.stdout.write(
      `  first release of all models to staging and prod: ${seconds(performance.now() - first)}\n`,
    );

    // One column added to one report model per round: a 1-model change (build, checks, switch, promote).
    let variant = 0;
    const change = async (): Promise<string> => {
      variant += 1;
      await repo.edit([
        {
          file: 'models/marts/daily_region_report.sql',
          find: '\nfrom fct_transactions',
          replace: `,\n  max(amount) + ${variant} as bench_${variant}\nfrom fct_transactions`,
        },
      ]);
      await repo.git(
        ['commit', '--quiet', '-am', `Merge pull request #${100 + variant} from jkl/bench-${variant}`],
        ADA,
      );
      await repo.git(['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);
      return repo.git(['rev-parse', 'HEAD']);
    };

    await waitForVerified(url, head, 120_000);
    const webhook: number[] = [];
    const verified: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const before = head;
      head = await change();
      const t0 = performance.now();
      const status = await sendGitHubPush(url, { secret, branch: 'main', before, after: head });
      if (status !== 202) throw new Error(`webhook answered ${status}`);
      webhook.push((await waitForProd(url, head, 60_000)) - t0);
      verified.push((await waitForVerified(url, head, 60_000)) - t0);
    }
    const polled: number[] = [];
    for (let i = 0; i < rounds; i++) {
      head = await change();
      const t0 = performance.now();
      polled.push((await waitForProd(url, head, pollMs * 3 + 60_000)) - t0);
      await waitForVerified(url, head, 60_000);
    }

    // Idle: a fresh operator with the default poll interval (30 s) on the same home, nothing to do.
    await stopOperator(child);
    const idle = await startOperator(repo.origin, home, '30s');
    child = idle.child;
    url = idle.url;
    await waitForProd(url, head, 60_000);
    await new Promise((r) => setTimeout(r, 5000));
    const pid = child.pid as number;
    const cpuBefore = cpuMs(pid);
    const rss: number[] = [];
    const idleStart = performance.now();
    while (performance.now() - idleStart < IDLE_WINDOW_MS) {
      rss.push(rssMb(pid));
      await new Promise((r) => setTimeout(r, 1000));
    }
    const idleCpuPercent = ((cpuMs(pid) - cpuBefore) / (performance.now() - idleStart)) * 100;

    const webhookP50 = median(webhook);
    const pollP50 = median(polled);
    process.stdout.write(
      [
        '',
        `  webhook → prod switched (1-model change, staging checks included), ${rounds} rounds:`,
        `    p50 ${seconds(webhookP50)}   max ${seconds(Math.max(...webhook))}   (target ≤ 5 s: ${webhookP50 <= 5000 ? 'met' : 'NOT met'})`,
        `    each: ${webhook.map(seconds).join(', ')}`,
        `    … and prod's post-deploy verification passed (every check on prod's views, row counts): p50 ${seconds(median(verified))}`,
        `  polling only (poll ${pollText} ± 10 % jitter) → prod switched, ${rounds} rounds:`,
        `    p50 ${seconds(pollP50)}   max ${seconds(Math.max(...polled))}`,
        `    each: ${polled.map(seconds).join(', ')}`,
        `  idle operator over ${IDLE_WINDOW_MS / 1000} s (default poll, 30 s; drift checked each poll): CPU ${idleCpuPercent.toFixed(2)} % of one core (incl. git fetches),`,
        `    RSS p50 ${median(rss).toFixed(0)} MB, max ${Math.max(...rss).toFixed(0)} MB (target < 150 MB: ${Math.max(...rss) < 150 ? 'met' : 'NOT met'})`,
        '',
        `  Argo CD default (3-minute poll): the sync starts on average ${seconds(ARGO_POLL_MS / 2)} after the merge, at worst ${seconds(ARGO_POLL_MS)}.`,
        `    webhook path: ${(ARGO_POLL_MS / 2 / webhookP50).toFixed(0)}× faster than Argo's average wait alone; polling at ${pollText}: ${(ARGO_POLL_MS / 2 / pollP50).toFixed(0)}×`,
        '',
      ].join('\n'),
    );
  } finally {
    await stopOperator(child);
  }
}

async function startOperator(
  repo: string,
  home: string,
  poll: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'bin', 'slipway.js'),
      'operator',
      '--repo',
      repo,
      '--home',
      home,
      '--port',
      '0',
      '--poll',
      poll,
    ],
    {
      env: {
        ...process.env,
        NO_COLOR: '1',
        SLIPWAY_LOG_LEVEL: 'warn',
        SLIPWAY_API_TOKENS: `bench:admin:${token}`,
        SLIPWAY_GITHUB_WEBHOOK_SECRET: secret,
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const deadline = Date.now() + 30_000;
  while (!/listening on (http:\/\/\S+)/.test(stdout)) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`operator did not start: ${stdout}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: /listening on (http:\/\/\S+)/.exec(stdout)?.[1] as string };
}

async function stopOperator(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

await main();

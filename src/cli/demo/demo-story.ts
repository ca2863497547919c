/**
 * `slipway demo`: the whole Git-Ops story on embedded defaults, with real commits. It scaffolds
 * the JKL reference project into a git repository, starts the operator on 127.0.0.1 and plays:
 *   1. the initial project releases to staging, then prod;
 *   2. a feature branch passes CI and merges (PR #1) → staging → prod;
 *   3. a broken change fails CI (a unit test) and is not merged;
 *   4. a bad change is merged without waiting for CI (PR #3): staging's check gate stops it, and
 *      staging and prod stay on the good release;
 *   5. a fix merges (PR #4) → staging → prod;
 *   6. prod is rolled back by hand through the API; a sync does not undo it (auto-sync paused);
 *   7. the next commit (PR #5) resumes prod;
 *   8. a change with a filter left in (PR #6) passes CI and staging's gate, but prod's post-deploy
 *      verification sees a table lose most of its rows: prod is rolled back automatically;
 *   9. the filter is removed (PR #7) and prod resumes.
 * CI is the real `slipway ci --base origin/main` against prod. GitHub's part (push webhooks,
 * signed) is played by the demo itself; polling is the fallback.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatDuration } from '../../core/duration.js';
import { WorkFailedError } from '../../core/errors.js';
import type { EnvironmentStatus } from '../../operator/operator-backend.js';
import type { TimelineEntry } from '../../operator/reconciler.js';
import { ApiTokens } from '../../server/api-tokens.js';
import { createLogger } from '../../telemetry/logger.js';
import { scaffoldProject } from '../commands/init-action.js';
import { TEMPLATES } from '../commands/init-templates.js';
import { type OperatorRuntime, startOperatorRuntime } from '../operator-runtime.js';
import { type Output, pc, renderTable, status } from '../render/terminal.js';
import { DemoRepo, type Person } from './demo-repo.js';
import { sendGitHubPush } from './push-webhook.js';

const ADA: Person = { name: 'Ada Analyst', email: 'ada@jkl.example' };
const BOB: Person = { name: 'Bob Builder', email: 'bob@jkl.example' };
const CY: Person = { name: 'Cy Hurry', email: 'cy@jkl.example' };
const DEE: Person = { name: 'Dee Fixer', email: 'dee@jkl.example' };

const REGION = 'models/marts/daily_region_report.sql';
const ALERTS = 'models/marts/fraud_alerts.sql';
const MCC = 'models/marts/daily_mcc_report.sql';
const FEATURES = 'models/marts/ds_transaction_features.sql';
const FEATURES_END = '  is_fraud::INTEGER as is_fraud\nfrom int_transactions_enriched\n';
const FEATURES_NIGHT =
  '  is_fraud::INTEGER as is_fraud,\n  (hour(event_ts) < 6)::INTEGER as is_night\nfrom int_transactions_enriched\n';
const NOTEBOOK_FILTER = "where channel = 'ecom' -- from a notebook exploring e-commerce fraud\n";
const APPROVAL_RATE =
  'floor(count(*) filter (where is_approved)::DOUBLE PRECISION / count(*) * 10000 + 0.5) / 10000 as approval_rate';
/** Approved against declined instead of against all: above 1 on most days, which the range check catches. */
const BAD_APPROVAL_RATE =
  'floor(count(*) filter (where is_approved)::DOUBLE PRECISION / nullif(count(*) filter (where not is_approved), 0) * 10000 + 0.5) / 10000 as approval_rate';
const REGION_END = '  ) / 10000 as chargeback_rate\nfrom fct_transactions';

export interface DemoOptions {
  readonly dir: string;
  readonly scale: number;
  readonly port: number;
  readonly exit: boolean;
  readonly output: Output;
  /** Resolves when the user interrupts (Ctrl-C); only awaited without `exit`. */
  readonly interrupted: () => Promise<void>;
}

export interface DemoResult {
  readonly url: string;
  readonly timeline: readonly TimelineEntry[];
  readonly commits: readonly StoryCommit[];
  readonly durationMs: number;
}

interface StoryCommit {
  readonly sha: string;
  readonly title: string;
  readonly author: string;
  readonly pr: number | null;
  readonly at: number;
}

/** Release outcomes as they arrive, with waits on them. */
class Timeline {
  readonly entries: TimelineEntry[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #print: (entry: TimelineEntry) => void;

  constructor(print: (entry: TimelineEntry) => void) {
    this.#print = print;
  }

  add(entry: TimelineEntry): void {
    this.entries.push(entry);
    this.#print(entry);
    for (const wake of this.#waiters) wake();
  }

  async wait(
    what: string,
    predicate: (entry: TimelineEntry) => boolean,
    timeoutMs = 90_000,
  ): Promise<TimelineEntry> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.entries.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new WorkFailedError(`the demo timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.#waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 1000));
        this.#waiters.add(wake);
      });
    }
  }
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { output } = options;
  const started = Date.now();
  const since = (at: number): string => `+${((at - started) / 1000).toFixed(1).padStart(5)}s`;
  const say = (text: string): void => output.line(text);
  const root = path.resolve(options.dir);
  const home = path.join(root, 'operator');
  const work = path.join(root, 'work');
  await rm(root, { recursive: true, force: true });
  await mkdir(home, { recursive: true });

  say(pc.bold('Slipway demo: Git-Ops for the JKL card-fraud pipelines'));
  say(
    status.dim(
      `  scaffolding the reference project (scale ${options.scale}) into ${path.relative(process.cwd(), work) || work}`,
    ),
  );
  await scaffoldProject(TEMPLATES['jkl-fraud'] as string, work, { scale: options.scale });
  // The data is not in git: the operator home keeps it, and the working clone links it.
  await rename(path.join(work, 'data'), path.join(home, 'data'));
  await symlink(path.join(home, 'data'), path.join(work, 'data'));
  const repo = new DemoRepo(path.join(root, 'origin.git'), work);
  const commits: StoryCommit[] = [];
  const remember = (sha: string, title: string, who: Person, pr: number | null): string => {
    commits.push({ sha, title, author: who.name, pr, at: Date.now() });
    return sha;
  };
  const initial = remember(
    await repo.create('Initial JKL fraud pipelines', ADA),
    'Initial JKL fraud pipelines',
    ADA,
    null,
  );

  const token = randomBytes(24).toString('hex');
  const secret = randomBytes(24).toString('hex');
  const short = (sha: string): string => sha.slice(0, 7);
  const timeline = new Timeline((e) => {
    const mark =
      e.outcome === 'released' || e.outcome === 'promoted' || e.outcome === 'healed'
        ? status.ok('✓')
        : e.outcome === 'unchanged'
          ? status.dim('=')
          : e.outcome === 'rolled back'
            ? status.warn('↩')
            : status.fail('✗');
    say(
      `  ${status.dim(since(e.at))}  ${mark} ${e.environment.padEnd(8)} ${e.outcome.padEnd(13)} ${short(e.commit)}  ${status.dim(`${e.releaseId ?? ''} ${e.message}`.trim())}`,
    );
  });
  const runtime = await startOperatorRuntime({
    repo: repo.origin,
    branch: 'main',
    home,
    port: options.port,
    host: '127.0.0.1',
    pollMs: 5000,
    settleMs: 100,
    tokens: ApiTokens.fromList([{ name: 'demo-admin', role: 'admin', token }]),
    webhookSecrets: { github: secret },
    logger: createLogger({ level: process.env['SLIPWAY_LOG_LEVEL'] ?? 'error' }),
    onTimeline: (entry) => timeline.add(entry),
  });
  const tokenFile = path.join(home, 'demo-token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  try {
    await runtime.leader();
    say(`  operator leading at ${pc.bold(runtime.url)} (webhooks + poll every 5 s)`);
    const api = apiClient(runtime.url, token);
    // CI reads prod where it lives: the operator lends its warehouse and state store, in its queue.
    const ci = async (branch: string): Promise<boolean> => {
      const result = await repo.ci(
        (body) => runtime.reconciler.withServices((services) => body(services)),
        branch,
      );
      say(
        `  CI on ${branch}: ${result.passed ? status.ok('passed') : status.fail('failed')} ${status.dim('(slipway ci --base origin/main, against prod)')}`,
      );
      say(status.dim(`    ${result.summary}`));
      return result.passed;
    };
    const push = async (sha: string, before?: string): Promise<void> => {
      const code = await sendGitHubPush(runtime.url, {
        secret,
        branch: 'main',
        after: sha,
        ...(before ? { before } : {}),
      });
      if (code !== 202) throw new WorkFailedError(`the operator answered the push webhook with HTTP ${code}`);
    };
    const reached = (sha: string, env: string, outcomes: readonly TimelineEntry['outcome'][]) =>
      timeline.wait(
        `${env} to handle ${short(sha)}`,
        (e) => e.environment === env && e.commit === sha && outcomes.includes(e.outcome),
      );
    /** Merges pull request `pr` and remembers the merge commit for the timeline (as `label`). */
    const merge = async (branch: string, pr: number, title: string, who: Person, label = title) =>
      remember(await repo.mergePullRequest(branch, pr, title, who), label, who, pr);
    /** Announces `sha` and waits for staging to release it and prod to promote it. */
    const released = async (sha: string, before: string): Promise<void> => {
      await push(sha, before);
      await reached(sha, 'staging', ['released']);
      await reached(sha, 'prod', ['promoted']);
    };

    say('');
    say(pc.bold('1. The initial project is released to staging, then promoted to prod'));
    await reached(initial, 'staging', ['released']);
    await reached(initial, 'prod', ['promoted']);

    say('');
    say(pc.bold('2. A feature branch passes CI and merges (PR #1)'));
    await repo.commitOnBranch(
      'feature/region-avg-amount',
      [
        {
          file: REGION,
          find: REGION_END,
          replace:
            '  ) / 10000 as chargeback_rate,\n  round(avg(amount), 2) as avg_amount\nfrom fct_transactions',
        },
      ],
      'Report the average amount per region',
      ADA,
    );
    if (!(await ci('feature/region-avg-amount')))
      throw new WorkFailedError('the demo feature should pass CI');
    const good = await merge('feature/region-avg-amount', 1, 'Report the average amount per region', ADA);
    await released(good, initial);

    say('');
    say(pc.bold('3. A broken change fails CI and is not merged'));
    await repo.commitOnBranch(
      'feature/stricter-card-testing',
      [{ file: ALERTS, find: 'small_txn_count_1h >= 5,', replace: 'small_txn_count_1h >= 50,' }],
      'Only flag card testing from 50 small payments',
      BOB,
    );
    if (await ci('feature/stricter-card-testing'))
      throw new WorkFailedError('the demo broken change should fail CI');
    say(status.dim('  the pull request stays open; main is untouched'));

    say('');
    say(pc.bold("4. A bad change is merged without waiting for CI (PR #3): staging's gate stops it"));
    await repo.commitOnBranch(
      'hotfix/approval-rate',
      [
        {
          file: REGION,
          find: APPROVAL_RATE,
          replace: BAD_APPROVAL_RATE,
        },
      ],
      'Approval rate against declines',
      CY,
    );
    const bad = await merge(
      'hotfix/approval-rate',
      3,
      'Approval rate against declines',
      CY,
      'Approval rate against declines (merged before CI)',
    );
    await push(bad, good);
    await reached(bad, 'staging', ['blocked', 'failed']);
    const afterBad = await Promise.all([api.environment('staging'), api.environment('prod')]);
    for (const env of afterBad) {
      say(
        `  ${env.name} still shows ${short(env.live?.commit.sha ?? '')} (PR #${env.live?.commit.pullRequest ?? '-'}) — ${env.sync}`,
      );
    }

    say('');
    say(pc.bold('5. The fix merges (PR #4) and goes to staging and prod'));
    await repo.commitOnBranch(
      'fix/approval-rate',
      [
        {
          file: REGION,
          find: BAD_APPROVAL_RATE,
          replace: APPROVAL_RATE,
        },
        {
          file: REGION,
          find: '  round(avg(amount), 2) as avg_amount\n',
          replace: '  round(avg(amount), 2) as avg_amount,\n  max(amount) as max_amount\n',
        },
      ],
      'Fix the approval rate; report the largest amount per region',
      DEE,
    );
    const fix = await merge(
      'fix/approval-rate',
      4,
      'Fix the approval rate',
      DEE,
      'Fix the approval rate; largest amount per region',
    );
    await released(fix, bad);

    say('');
    say(
      pc.bold(
        '6. prod is rolled back by hand (API, as `slipway rollback --env prod` does); it stays rolled back',
      ),
    );
    const rolled = await api.post('/api/v1/environments/prod/rollback', {
      reason: 'analysts question the new max_amount column',
    });
    say(`  ${String(rolled['message'] ?? '')}`);
    await reached(good, 'prod', ['rolled back']);
    const handled = timeline.entries.length;
    await api.post('/api/v1/sync', {});
    await timeline.wait(
      'the manual sync after the rollback',
      (e) => timeline.entries.indexOf(e) >= handled && e.environment === 'staging',
    );
    const prodPaused = await api.environment('prod');
    say(
      `  after a sync: prod shows ${short(prodPaused.live?.commit.sha ?? '')} — ${prodPaused.sync}, paused: ${prodPaused.paused?.reason ?? 'no'}`,
    );
    if (prodPaused.live?.commit.sha !== good) throw new WorkFailedError('prod did not stay rolled back');

    say('');
    say(pc.bold('7. The next commit (PR #5) resumes prod'));
    await repo.commitOnBranch(
      'feature/mcc-max-amount',
      [
        {
          file: MCC,
          find: '  sum(amount) as total_amount,',
          replace: '  sum(amount) as total_amount,\n  max(amount) as max_amount,',
        },
      ],
      'Report the largest amount per category group',
      ADA,
    );
    const next = await merge(
      'feature/mcc-max-amount',
      5,
      'Report the largest amount per category group',
      ADA,
      'Largest amount per category group',
    );
    await released(next, fix);

    say('');
    say(
      pc.bold(
        "8. A filter left in from a notebook (PR #6) passes CI and staging's gate; prod's verification rolls it back",
      ),
    );
    await repo.commitOnBranch(
      'feature/night-feature',
      [
        { file: FEATURES, find: FEATURES_END, replace: FEATURES_NIGHT },
        // Left in by mistake: two thirds of the training rows are not e-commerce.
        {
          file: FEATURES,
          find: 'from int_transactions_enriched\n',
          replace: `from int_transactions_enriched\n${NOTEBOOK_FILTER}`,
        },
      ],
      'Features: is_night',
      BOB,
    );
    if (!(await ci('feature/night-feature'))) throw new WorkFailedError('the left-in filter should pass CI');
    const filtered = await merge(
      'feature/night-feature',
      6,
      'Features: is_night',
      BOB,
      'Features: is_night (a filter left in)',
    );
    await push(filtered, next);
    await reached(filtered, 'staging', ['released']);
    await reached(filtered, 'prod', ['verify failed']);
    await reached(next, 'prod', ['rolled back']);
    const verified = await api.environment('prod');
    say(
      `  prod shows ${short(verified.live?.commit.sha ?? '')} again — ${verified.sync}, paused: ${verified.paused?.reason ?? 'no'}`,
    );
    if (verified.live?.commit.sha !== next)
      throw new WorkFailedError('prod was not rolled back automatically');

    say('');
    say(pc.bold('9. The filter is removed (PR #7): the next commit resumes prod'));
    await repo.commitOnBranch(
      'fix/night-feature-filter',
      [
        {
          file: FEATURES,
          find: NOTEBOOK_FILTER,
          replace: '',
        },
      ],
      'Features: no notebook filter',
      BOB,
    );
    const unfiltered = await merge('fix/night-feature-filter', 7, 'Features: no notebook filter', BOB);
    await released(unfiltered, filtered);

    // The story ends once prod has verified its release (a pass works on it until then).
    const deadline = Date.now() + 60_000;
    for (;;) {
      const prod = await api.environment('prod');
      if (prod.sync !== 'Progressing' && prod.verification?.status !== 'pending') break;
      if (Date.now() > deadline) throw new WorkFailedError('prod did not finish verifying its release');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    say('');
    say(pc.bold('Timeline: commit → staging → prod'));
    say(renderStory(commits, timeline.entries, started));
    const envs = await Promise.all([api.environment('staging'), api.environment('prod')]);
    say('');
    for (const env of envs) {
      say(
        `  ${pc.bold(env.name.padEnd(8))} ${env.sync.padEnd(10)} ${short(env.live?.commit.sha ?? '')} ${env.live?.releaseId ?? ''}${
          env.verification?.releaseId === env.live?.releaseId
            ? status.dim(` verified: ${env.verification?.summary ?? ''}`)
            : ''
        }`,
      );
    }
    const durationMs = Date.now() - started;
    say('');
    say(`Story played in ${formatDuration(durationMs)}.`);
    say(`  API:      ${runtime.url}/api/v1/environments   (OpenAPI at ${runtime.url}/openapi.json)`);
    say(
      `  CLI:      export SLIPWAY_OPERATOR_URL=${runtime.url} SLIPWAY_TOKEN=$(cat ${path.relative(process.cwd(), tokenFile) || tokenFile})`,
    );
    say('            slipway status; slipway history --env prod; slipway rollback --env prod');
    say(
      `  git:      commit in ${path.relative(process.cwd(), work) || work} and push to origin (the operator polls every 5 s)`,
    );
    const result = { url: runtime.url, timeline: timeline.entries, commits, durationMs };
    if (!options.exit) {
      say('');
      say(`The operator keeps running at ${pc.bold(runtime.url)} — press Ctrl-C to stop.`);
      await options.interrupted();
    }
    return result;
  } finally {
    await runtime.stop();
  }
}

function renderStory(
  commits: readonly StoryCommit[],
  entries: readonly TimelineEntry[],
  started: number,
): string {
  const cell = (sha: string, env: string): string => {
    const hits = entries.filter(
      (e) => e.commit === sha && e.environment === env && e.outcome !== 'rolled back',
    );
    // The release itself (or its failed verification), not a later "unchanged" pass over the same commit.
    const e =
      hits.find((h) => h.outcome === 'verify failed') ??
      hits.find((h) => h.outcome !== 'unchanged') ??
      hits[hits.length - 1];
    if (!e) return status.dim('—');
    const t = `+${((e.at - started) / 1000).toFixed(1)}s`;
    const label =
      e.outcome === 'released' || e.outcome === 'promoted'
        ? status.ok(e.outcome)
        : e.outcome === 'unchanged'
          ? status.dim(e.outcome)
          : status.fail(e.outcome);
    return `${label} ${t}`;
  };
  const rollbacks = entries.filter((e) => e.outcome === 'rolled back');
  return [
    renderTable(
      ['commit', 'PR', 'author', 'title', 'pushed', 'staging', 'prod'],
      commits.map((c) => [
        c.sha.slice(0, 7),
        c.pr === null ? '' : `#${c.pr}`,
        c.author,
        c.title,
        `+${((c.at - started) / 1000).toFixed(1)}s`,
        cell(c.sha, 'staging'),
        cell(c.sha, 'prod'),
      ]),
    ),
    ...rollbacks.map(
      (r) =>
        `  ${status.warn('↩')} ${r.environment} rolled back to ${r.commit.slice(0, 7)} at +${((r.at - started) / 1000).toFixed(1)}s (${r.message}); auto-sync paused until the next commit`,
    ),
  ].join('\n');
}

function apiClient(url: string, token: string) {
  const call = async (method: string, route: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok)
      throw new WorkFailedError(
        `${method} ${route}: HTTP ${response.status} ${String(json['message'] ?? '')}`,
      );
    return json;
  };
  return {
    post: (route: string, body: unknown) => call('POST', route, body),
    environment: async (name: string) =>
      (await call('GET', `/api/v1/environments/${name}`)) as unknown as EnvironmentStatus,
  };
}

export type { OperatorRuntime };

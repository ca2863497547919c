/**
 * Post-deploy verification of the chain's root, with a delay, on a real repository: staging
 * verifies its live views 400 ms after each switch and prod waits for that verdict before it
 * promotes. A commit whose changed model passes the gate (its own checks) but breaks a check of
 * an unchanged model (a relationship into it) fails staging's verification: staging is rolled
 * back, paused for the commit, and prod never sees it. The next commit resumes both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { OperatorEvent, Release } from '../../src/operator/operator-backend.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { commitAll, git } from '../helpers/release-project.js';
import {
  announce,
  api,
  eventually,
  GITOPS_CONFIG,
  type GitOpsFixture,
  gitopsFixture,
  operatorProbe,
} from './gitops-fixture.js';

const CONFIG = GITOPS_CONFIG.replace(
  '  staging: { strategy: blue-green, sync: auto }\n',
  '  staging: { strategy: blue-green, sync: auto, verify: { delay: 400ms } }\n',
).replace('  audit: { strategy: direct, promote_from: prod, sync: auto, approval: true }\n', '');

/** customers (the model a commit changes) and customer_totals, whose customers must exist there. */
const CUSTOMERS = (where: string) =>
  `/* @slipway\nkind: table\n*/\nselect distinct customer_id from orders ${where}\n`;
const TOTALS = `/* @slipway
kind: table
columns:
  customer_id: { checks: [{ relationships: { to: customers, field: customer_id } }] }
  total: { checks: [{ range: { min: 0 } }] }
*/
select customer_id, sum(amount) as total, max(version) as version from stg_orders group by customer_id
`;

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
const timeline: TimelineEntry[] = [];
const { reached, environment } = operatorProbe(() => runtime.url, timeline);

async function merge(files: Record<string, string>, message: string): Promise<string> {
  const sha = await fixture.commitFiles(files, message);
  expect(await announce(runtime.url, sha)).toBe(202);
  return sha;
}

beforeAll(async () => {
  fixture = await gitopsFixture(CONFIG);
  await fixture.project.write('models/customers.sql', CUSTOMERS(''));
  await fixture.project.write('models/customer_totals.sql', TOTALS);
  await commitAll(fixture.project.root, 'Customers, and totals only for known customers');
  runtime = await fixture.start({ onTimeline: (e) => timeline.push(e) });
  await runtime.leader();
});

afterAll(async () => {
  await fixture?.remove();
});

describe('verification of staging, with a delay', () => {
  let good: string;

  it('prod promotes only after staging has verified the release', async () => {
    good = await git(fixture.project.root, 'rev-parse', 'HEAD');
    await reached(good, 'prod', ['promoted']);
    const staging = await environment('staging');
    expect(staging.verification).toMatchObject({ commit: good, status: 'passed' });
    const verifiedAt = Date.parse(staging.verification?.at ?? '');
    const promotedAt = timeline.find((e) => e.environment === 'prod' && e.commit === good)?.at ?? 0;
    const releasedAt = timeline.find((e) => e.environment === 'staging' && e.commit === good)?.at ?? 0;
    expect(verifiedAt - releasedAt).toBeGreaterThanOrEqual(400);
    expect(promotedAt).toBeGreaterThanOrEqual(verifiedAt);
    // Two checks on staging's views: the relationship and the range.
    expect(staging.verification?.summary).toBe('2 checks passed');
    const { json } = await api(runtime.url, 'GET', '/api/v1/events?environment=prod&limit=100', {
      role: 'viewer',
    });
    expect((json['events'] as OperatorEvent[]).some((e) => e.type === 'promotion.waiting')).toBe(true);
  });

  it("a change that breaks an unchanged model's check rolls staging back; prod never sees it", async () => {
    const bad = await merge(
      { 'models/customers.sql': CUSTOMERS('where customer_id <> 20') },
      'Drop customer 20',
    );
    // The gate checks the new customers table only: it passes, and staging switches.
    await reached(bad, 'staging', ['released']);
    await reached(bad, 'staging', ['verify failed']);
    await eventually(
      'staging rolled back',
      async () => (await environment('staging')).live?.commit.sha === good,
    );
    const staging = await environment('staging');
    expect(staging.sync).toBe('Degraded');
    expect(staging.paused).toMatchObject({ commit: bad, by: 'operator' });
    expect(staging.paused?.reason).toMatch(
      /^rollback: post-deploy verification failed: check customer_totals\.customer_id\.relationships failed/,
    );
    // A pass later, prod is still on the good release and was never given the bad one.
    await runtime.reconciler.refresh(runtime.operator.grant?.term);
    const prod = await environment('prod');
    expect(prod.live?.commit.sha).toBe(good);
    const { json } = await api(runtime.url, 'GET', '/api/v1/releases?environment=prod&limit=100', {
      role: 'viewer',
    });
    expect((json['releases'] as Release[]).some((r) => r.commit.sha === bad)).toBe(false);
  });

  it('the next commit resumes staging and reaches prod after its verification', async () => {
    const next = await merge(
      { 'models/customers.sql': CUSTOMERS('where customer_id > 0') },
      'Only real customers',
    );
    await reached(next, 'prod', ['promoted']);
    const staging = await environment('staging');
    expect(staging.paused).toBeNull();
    expect(staging.verification).toMatchObject({ commit: next, status: 'passed' });
    expect((await environment('prod')).live?.commit.sha).toBe(next);
  });
});

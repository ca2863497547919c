/**
 * Validation of the canary settings: every problem at once, each at `file:line:col` — a canary
 * strategy without settings, steps that do not widen to 100, a key column a source does not
 * declare, a key column on an unknown source, a metric on an unknown model, a bad
 * `expected_change` — and a valid configuration's settings with their defaults.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { formatDiagnostic, ProjectError } from '../../src/core/errors.js';
import { canarySettings } from '../../src/release/strategies/canary/canary-settings.js';
import { CANARY_CONFIG, CUSTOMER_SPEND, canaryProject } from '../helpers/canary-project.js';
import type { EngineProject } from '../helpers/release-engines.js';
import { loadAt } from '../helpers/release-project.js';

let project: EngineProject | undefined;
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

async function problems(root: string): Promise<string[]> {
  try {
    await loadAt(root);
  } catch (error) {
    if (error instanceof ProjectError) return error.diagnostics.map((d) => formatDiagnostic(d));
    throw error;
  }
  throw new Error('the project loaded');
}

const BROKEN = `name: canary-test
warehouse:
  default: local
  connections:
    local: { type: duckdb, path: .slipway/warehouse.duckdb }
environments:
  staging: { strategy: canary }
  prod:
    strategy: canary
    canary:
      key: customer_id
      key_columns: { transactions: client_id, payments: customer_id, merchants: merchant_id }
      steps: [25, 5]
      analysis:
        metrics: [{ model: custmer_spend, sql: 'sum(total)', tolerance: 1% }]
`;

describe('canary settings', () => {
  it('reports every problem at once, at file:line:col', async () => {
    project = await canaryProject();
    await project.write('slipway.yaml', BROKEN);
    await project.write(
      'models/customer_spend.sql',
      CUSTOMER_SPEND.replace('kind: table', 'kind: table\nexpected_change: lots'),
    );
    const found = await problems(project.root);
    expect(found).toHaveLength(6);
    const expected = [
      /^models\/customer_spend\.sql:3:18: error: .*a percentage such as 50%/,
      /^slipway\.yaml:7:24: error: environment 'staging': the canary strategy needs canary settings/,
      /^slipway\.yaml:12:36: error: environment 'prod': source 'transactions' has no column 'client_id' to carry the canary key\n {2}hint: its columns: txn_id, customer_id, merchant_id, amount/,
      /^slipway\.yaml:12:57: error: environment 'prod': canary key_columns names unknown source 'payments'/,
      /^slipway\.yaml:13:14: error: environment 'prod': canary steps must increase and end at 100, not \[25, 5\]/,
      /^slipway\.yaml:15:28: error: environment 'prod': canary metric on unknown model 'custmer_spend'\n {2}hint: did you mean 'customer_spend'\?/,
    ];
    for (const pattern of expected)
      expect(
        found.some((line) => pattern.test(line)),
        `${pattern}\n${found.join('\n')}`,
      ).toBe(true);
  });

  it('reads a valid configuration with its defaults: steps in basis points, keys found by name', async () => {
    project = await canaryProject();
    await project.write(
      'slipway.yaml',
      CANARY_CONFIG.replace(
        'steps: [5, 25, 100]',
        'steps: [1, 12.5, 100]\n      interval: 2m\n      inconclusive: abort',
      ),
    );
    const settings = canarySettings(await loadAt(project.root), 'prod');
    expect(settings.steps).toEqual([100, 1250, 10_000]);
    expect(settings.intervalMs).toBe(120_000);
    expect(settings.inconclusive).toBe('abort');
    // transactions and customers declare customer_id; merchants does not and is read whole.
    expect(Object.fromEntries(settings.keyColumns)).toEqual({
      transactions: 'customer_id',
      customers: 'customer_id',
    });
    expect(settings).toMatchObject({ tolerance: 0.005, minRows: 20, failureLimit: 0, checks: true });
    expect(settings.metrics).toEqual([
      { name: 'spend', model: 'customer_spend', sql: 'sum(total)', tolerance: 0.01 },
    ]);
  });
});

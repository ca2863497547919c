/**
 * Terraform JSON generated for the project: same shape as hcl2json's parse of the equivalent HCL,
 * a dashboard widget per Slipway metric per environment, and byte-identical on re-generation.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { SLIPWAY_METRICS } from '../../src/core/metric-names.js';
import {
  generateInfra,
  type InfraProject,
  stableStringify,
  writeGeneratedInfra,
} from '../../src/infra/generate.js';

const PROJECT: InfraProject = {
  name: 'jkl-fraud',
  owner: 'data-platform',
  region: 'eu-central-1',
  environments: [
    { name: 'dev', schema: 'jkl_fraud_dev' },
    { name: 'staging', schema: 'jkl_fraud_staging' },
    { name: 'prod', schema: 'jkl_fraud_prod' },
  ],
};

describe('slipway infra generate (generator)', () => {
  it('writes the warehouse databases in the shape hcl2json gives the equivalent HCL', async () => {
    const files = generateInfra(PROJECT);
    const hcl = PROJECT.environments
      .map(
        (e) =>
          `resource "aws_glue_catalog_database" "${e.name}" {\n  name = "${e.schema}"\n  tags = {\n    environment = "${e.name}"\n    owner = "data-platform"\n  }\n}\n`,
      )
      .join('\n');
    expect(files['slipway-warehouse.tf.json']).toEqual(await parse('warehouse.tf', hcl));
  });

  it('writes one dashboard per environment with a widget for every Slipway metric', async () => {
    const files = generateInfra(PROJECT);
    const doc = files['slipway-dashboards.tf.json'] as {
      resource: {
        aws_cloudwatch_dashboard: Record<string, [{ dashboard_name: string; dashboard_body: string }]>;
      };
    };
    const dashboards = doc.resource.aws_cloudwatch_dashboard;
    expect(Object.keys(dashboards).sort()).toEqual(['dev', 'prod', 'staging']);
    for (const env of PROJECT.environments) {
      const [dashboard] = dashboards[env.name] ?? [];
      const body = JSON.parse(dashboard?.dashboard_body ?? '{}') as {
        widgets: { properties: { metrics: string[][] } }[];
      };
      const metrics = body.widgets.map((w) => w.properties.metrics[0]);
      expect(metrics.map((m) => m?.[1]).sort()).toEqual(Object.values(SLIPWAY_METRICS).sort());
      for (const m of metrics) expect(m?.slice(2)).toEqual(['environment', env.name]);
      const hcl = `resource "aws_cloudwatch_dashboard" "${env.name}" {\n  dashboard_name = "${dashboard?.dashboard_name}"\n  dashboard_body = ${JSON.stringify(dashboard?.dashboard_body)}\n}\n`;
      const parsed = await parse('d.tf', hcl);
      expect(parsed.resource.aws_cloudwatch_dashboard[env.name]).toEqual(dashboards[env.name]);
    }
  });

  it('re-generates byte-identically, whatever order the environments come in', () => {
    const text = (p: InfraProject) =>
      Object.entries(generateInfra(p)).map(([name, doc]) => `${name}\n${stableStringify(doc)}`);
    const first = text(PROJECT);
    expect(text(PROJECT)).toEqual(first);
    const reordered = { ...PROJECT, environments: [...PROJECT.environments].reverse() };
    expect(text(reordered)).toEqual(first);
    const changed = { ...PROJECT, owner: 'someone-else' };
    expect(text(changed)).not.toEqual(first);
  });

  it('writes the files once; re-running with nothing changed touches none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-infra-gen-'));
    try {
      expect(await writeGeneratedInfra(dir, generateInfra(PROJECT))).toEqual([
        'slipway-dashboards.tf.json',
        'slipway-warehouse.tf.json',
      ]);
      const before = await stat(join(dir, 'slipway-warehouse.tf.json'));
      const bytes = await readFile(join(dir, 'slipway-warehouse.tf.json'), 'utf8');
      expect(await writeGeneratedInfra(dir, generateInfra(PROJECT))).toEqual([]);
      expect((await stat(join(dir, 'slipway-warehouse.tf.json'))).mtimeMs).toBe(before.mtimeMs);
      expect(await readFile(join(dir, 'slipway-warehouse.tf.json'), 'utf8')).toBe(bytes);
      const renamed = { ...PROJECT, environments: [{ name: 'dev', schema: 'other' }] };
      expect(await writeGeneratedInfra(dir, generateInfra(renamed))).toContain('slipway-warehouse.tf.json');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

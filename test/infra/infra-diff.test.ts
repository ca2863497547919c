/** Resources added, changed and removed between two copies of the reference project's infra/. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffInfra } from '../../src/infra/infra-diff.js';
import { readTerraformTree } from '../../src/infra/terraform-tree.js';

const INFRA = join(import.meta.dirname, '../../examples/jkl-fraud/infra');

describe('diffInfra', () => {
  it('names what a change to infra/ adds, changes and removes, and nothing when unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-infra-diff-'));
    try {
      await cp(INFRA, dir, { recursive: true });
      const base = await readTerraformTree(INFRA);
      expect(diffInfra(base, await readTerraformTree(dir))).toEqual({ added: [], changed: [], removed: [] });
      const module = join(dir, 'modules/data-platform');
      const compute = join(module, 'compute.tf');
      await writeFile(
        compute,
        (await readFile(compute, 'utf8')).replace('idle_timeout_minutes = 15', 'idle_timeout_minutes = 30'),
      );
      const tracing = join(module, 'tracing.tf');
      const text = await readFile(tracing, 'utf8');
      await writeFile(tracing, text.slice(0, text.indexOf('resource "aws_xray_sampling_rule"')));
      await writeFile(
        join(module, 'queue.tf'),
        'resource "aws_sqs_queue" "events" {\n  name = "events"\n  tags = local.tags\n}\n',
      );
      expect(diffInfra(base, await readTerraformTree(dir))).toEqual({
        added: ['modules/data-platform:aws_sqs_queue.events'],
        changed: ['modules/data-platform:aws_emrserverless_application.spark'],
        removed: ['modules/data-platform:aws_xray_sampling_rule.slipway'],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

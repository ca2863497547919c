/**
 * Reading Terraform's machine-readable UI (`-json`), on lines shaped as Terraform's
 * "Machine-Readable UI" reference documents them: planned changes by action, the change summary,
 * applied resources, and diagnostics with their file range; stray non-JSON lines kept as text.
 */
import { describe, expect, it } from 'vitest';
import { parseTerraformUi } from '../../src/infra/terraform-ui.js';

const line = (o: Record<string, unknown>) =>
  JSON.stringify({ '@level': 'info', '@module': 'terraform.ui', '@timestamp': '2026-12-04T00:00:00Z', ...o });
const change = (addr: string, action: string) =>
  line({
    '@message': `${addr}: Plan to ${action}`,
    type: 'planned_change',
    change: { resource: { addr }, action },
  });

describe('parseTerraformUi', () => {
  it('sorts planned changes into added, changed and removed, and keeps the last summary', () => {
    const out = [
      line({ '@message': 'Terraform 1.10.5', type: 'version', terraform: '1.10.5', ui: '1.2' }),
      change('aws_sqs_queue.events', 'create'),
      change('aws_s3_bucket.lake', 'update'),
      change('aws_kms_key.lake', 'replace'),
      change('aws_xray_group.old', 'delete'),
      change('data.aws_region.current', 'read'),
      line({
        '@message': 'Plan: 2 to add, 1 to change, 2 to destroy.',
        type: 'change_summary',
        changes: { add: 2 },
      }),
      'provider printed this',
    ].join('\n');
    const report = parseTerraformUi(out);
    expect(report.added).toEqual(['aws_sqs_queue.events']);
    expect(report.changed).toEqual(['aws_kms_key.lake', 'aws_s3_bucket.lake']);
    expect(report.removed).toEqual(['aws_xray_group.old']);
    expect(report.summary).toBe('Plan: 2 to add, 1 to change, 2 to destroy.');
    expect(report.other).toEqual(['provider printed this']);
    expect(report.errors).toEqual([]);
  });

  it('reads applied resources and diagnostics with their place', () => {
    const out = [
      line({
        type: 'apply_complete',
        '@message': 'done',
        hook: { resource: { addr: 'aws_s3_bucket.lake' }, action: 'update' },
      }),
      line({
        '@level': 'error',
        '@message': 'Error: Unsupported argument',
        type: 'diagnostic',
        diagnostic: {
          severity: 'error',
          summary: 'Unsupported argument',
          detail: 'An argument named "x" is not expected here.',
          range: { filename: 'main.tf', start: { line: 12, column: 3 } },
        },
      }),
      line({
        '@level': 'warn',
        '@message': 'Warning: Deprecated',
        type: 'diagnostic',
        diagnostic: { severity: 'warning', summary: 'Deprecated attribute' },
      }),
    ].join('\n');
    const report = parseTerraformUi(out);
    expect(report.applied).toEqual(['aws_s3_bucket.lake']);
    expect(report.errors).toEqual([
      'main.tf:12:3: Unsupported argument (An argument named "x" is not expected here.)',
    ]);
    expect(report.warnings).toEqual(['Deprecated attribute']);
    expect(report.summary).toBeUndefined();
  });
});

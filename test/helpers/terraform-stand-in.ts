/**
 * A stand-in `terraform` executable for tests (Terraform cannot be installed here). It records
 * every call (working directory and arguments) as a JSON line in `$TF_STAND_IN_LOG`, and answers
 * `plan -json` / `apply -json` in Terraform's machine-readable UI format as documented
 * (https://developer.hashicorp.com/terraform/internals/machine-readable-ui): one JSON object per
 * line with `@level`, `@message`, `@module`, `@timestamp` and a `type` — `version`,
 * `planned_change`, `change_summary`, `apply_start`, `apply_complete`, `diagnostic`.
 * `$TF_STAND_IN_FAIL=apply` (or `failNext('apply')`, for a stand-in run by an in-process
 * operator) makes apply fail with an error diagnostic (exit 1), `plan` the plan.
 * The planned change is `$TF_STAND_IN_CHANGE` (`update` by default) of the EMR application.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const SCRIPT = String.raw`
const { appendFileSync, existsSync, readFileSync } = require('node:fs');
const args = process.argv.slice(2);
appendFileSync(process.env.TF_STAND_IN_LOG || LOG, JSON.stringify({ cwd: process.cwd(), args }) + '\n');
const at = '2026-12-04T00:00:00.000000Z';
const out = (o) => process.stdout.write(JSON.stringify({ '@module': 'terraform.ui', '@timestamp': at, ...o }) + '\n');
const addr = 'module.data_platform.aws_emrserverless_application.spark';
const resource = { addr, module: 'module.data_platform', resource: 'aws_emrserverless_application.spark',
  implied_provider: 'aws', resource_type: 'aws_emrserverless_application', resource_name: 'spark', resource_key: null };
const action = process.env.TF_STAND_IN_CHANGE || 'update';
const fail = process.env.TF_STAND_IN_FAIL || (existsSync(LOG + '.fail') ? readFileSync(LOG + '.fail', 'utf8').trim() : '');
const diagnostic = (summary) => out({ '@level': 'error', '@message': 'Error: ' + summary, type: 'diagnostic',
  diagnostic: { severity: 'error', summary, detail: 'api error AccessDeniedException: not authorized',
    range: { filename: '../../modules/data-platform/compute.tf', start: { line: 1, column: 1, byte: 0 }, end: { line: 1, column: 40, byte: 39 } } } });
const verb = args[0];
if (verb === 'init') { process.stdout.write('Terraform has been successfully initialized!\n'); process.exit(0); }
if (!args.includes('-json')) { process.stderr.write('stand-in: only -json is answered\n'); process.exit(2); }
out({ '@level': 'info', '@message': 'Terraform 1.10.5', type: 'version', terraform: '1.10.5', ui: '1.2' });
if (verb === 'plan') {
  if (fail === 'plan') { diagnostic('Invalid reference'); process.exit(1); }
  out({ '@level': 'info', '@message': addr + ': Plan to ' + action, type: 'planned_change', change: { resource, action } });
  out({ '@level': 'info', '@message': 'Plan: 0 to add, 1 to change, 0 to destroy.', type: 'change_summary',
    changes: { add: 0, change: 1, import: 0, remove: 0, operation: 'plan' } });
  process.exit(0);
}
if (verb === 'apply') {
  out({ '@level': 'info', '@message': addr + ': Modifying...', type: 'apply_start', hook: { resource, action } });
  if (fail === 'apply') { diagnostic('updating EMR Serverless Application'); process.exit(1); }
  out({ '@level': 'info', '@message': addr + ': Modifications complete after 2s', type: 'apply_complete',
    hook: { resource, action, id_key: 'id', id_value: '00fabc', elapsed_seconds: 2 } });
  out({ '@level': 'info', '@message': 'Apply complete! Resources: 0 added, 1 changed, 0 destroyed.', type: 'change_summary',
    changes: { add: 0, change: 1, import: 0, remove: 0, operation: 'apply' } });
  process.exit(0);
}
process.stderr.write('stand-in: unknown command ' + verb + '\n');
process.exit(2);
`;

export interface TerraformStandIn {
  /** Put this folder first on PATH. */
  readonly bin: string;
  readonly log: string;
  /** The executable's path. */
  readonly command: string;
  /** Makes later calls fail (`apply`, `plan`), or succeed again (`''`). */
  failNext(mode: 'apply' | 'plan' | ''): Promise<void>;
  /** The calls so far. */
  calls(): Promise<{ cwd: string; args: string[] }[]>;
}

export async function terraformStandIn(dir: string): Promise<TerraformStandIn> {
  const bin = path.join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  const file = path.join(bin, 'terraform');
  const log = path.join(dir, 'terraform-calls.jsonl');
  await writeFile(file, `#!${process.execPath}\nconst LOG = ${JSON.stringify(log)};\n${SCRIPT}`);
  await chmod(file, 0o755);
  await writeFile(log, '');
  return {
    bin,
    log,
    command: file,
    failNext: (mode) => writeFile(`${log}.fail`, mode),
    async calls() {
      const text = await readFile(log, 'utf8');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { cwd: string; args: string[] });
    },
  };
}

/**
 * An environment's infrastructure step, behind one small interface: `plan` says what applying
 * would change, `apply` changes it. `TerraformStep` runs a Terraform-compatible executable in the
 * environment's working directory (`infra:` in slipway.yaml) with its machine-readable output
 * (`-json`); src/app/ wires it, and the release flow only sees `ReleaseInfraStep` (core).
 */
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { InfraStepOutcome } from '../core/infra-change.js';
import { parseTerraformUi, type TerraformUiReport } from './terraform-ui.js';

export interface InfraStepPlan {
  readonly ok: boolean;
  readonly report: TerraformUiReport;
  /** Why it failed, one line; undefined when it did not. */
  readonly failure: string | undefined;
}

export interface InfraStep {
  plan(signal?: AbortSignal): Promise<InfraStepPlan>;
  apply(signal?: AbortSignal): Promise<InfraStepOutcome>;
}

export interface TerraformStepOptions {
  /** The environment's Terraform root (absolute). */
  readonly dir: string;
  /** The executable, looked up on PATH unless a path (default `terraform`). */
  readonly command?: string;
}

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class TerraformStep implements InfraStep {
  readonly #dir: string;
  readonly #command: string;

  constructor({ dir, command = 'terraform' }: TerraformStepOptions) {
    this.#dir = dir;
    this.#command = command;
  }

  async plan(signal?: AbortSignal): Promise<InfraStepPlan> {
    const init = await this.#init(signal);
    if (init) return { ok: false, report: parseTerraformUi(''), failure: init };
    const ran = await this.#run(['plan', '-json', '-input=false'], signal);
    const report = parseTerraformUi(ran.stdout);
    return {
      ok: ran.code === 0,
      report,
      failure: ran.code === 0 ? undefined : failureOf('plan', ran, report),
    };
  }

  async apply(signal?: AbortSignal): Promise<InfraStepOutcome> {
    const init = await this.#init(signal);
    if (init) return { ok: false, summary: init, applied: [], diagnostics: [] };
    const ran = await this.#run(['apply', '-json', '-input=false', '-auto-approve'], signal);
    const report = parseTerraformUi(ran.stdout);
    const diagnostics = [...report.errors, ...report.warnings];
    if (ran.code !== 0)
      return { ok: false, summary: failureOf('apply', ran, report), applied: report.applied, diagnostics };
    return { ok: true, summary: report.summary ?? 'apply complete', applied: report.applied, diagnostics };
  }

  /** `init` (with the directory's backend.hcl when it has one); the failure, or undefined. */
  async #init(signal?: AbortSignal): Promise<string | undefined> {
    const backend = await access(path.join(this.#dir, 'backend.hcl')).then(
      () => true,
      () => false,
    );
    const ran = await this.#run(
      ['init', '-input=false', '-no-color', ...(backend ? ['-backend-config=backend.hcl'] : [])],
      signal,
    );
    return ran.code === 0 ? undefined : failureOf('init', ran, parseTerraformUi(ran.stdout));
  }

  #run(args: readonly string[], signal?: AbortSignal): Promise<Ran> {
    const command = this.#command;
    return new Promise((resolve) => {
      const child = spawn(command, args, {
        cwd: this.#dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0' },
        ...(signal ? { signal } : {}),
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        const why =
          error.code === 'ENOENT'
            ? `'${command}' was not found (infra.command in slipway.yaml, or PATH)`
            : error.message;
        resolve({ code: 127, stdout, stderr: `${stderr}${why}` });
      });
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }
}

function failureOf(verb: string, ran: Ran, report: TerraformUiReport): string {
  const why =
    report.errors[0] ??
    ran.stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ??
    report.other.slice(-1)[0] ??
    `exit code ${ran.code}`;
  return `terraform ${verb} failed: ${why}`;
}

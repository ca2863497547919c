/**
 * `slipway approve --env E`: approve the release waiting at E's manual gate (`approval: true`).
 * Through the running operator's API when there is one (it promotes at once); otherwise through
 * the same approve path the operator takes (`approveRelease`), on the operator state the
 * project's `state:` names (SQLite in the operator home by default, else PostgreSQL), stamped
 * with the live lease's term; the operator promotes on its next pass.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { openOperatorState } from '../../app/open-state.js';
import { ConflictError } from '../../core/errors.js';
import { approveRelease, requireApproval } from '../../operator/approve-release.js';
import type { ActionResult } from '../../operator/operator-backend.js';
import { discoverOperator, operatorHome } from '../operator-client.js';
import { type GlobalOptions, openProject, requireEnvironment } from '../project-context.js';
import { currentActor } from '../release-context.js';
import { createOutput, status } from '../render/terminal.js';

interface ApproveOptions extends GlobalOptions {
  readonly env: string;
  readonly release?: string;
  readonly comment?: string;
}

export async function approveAction(this: Command) {
  const options = this.optsWithGlobals<ApproveOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const body = {
    ...(options.release ? { releaseId: options.release } : {}),
    ...(options.comment ? { comment: options.comment } : {}),
  };
  const operator = await discoverOperator(options);
  if (operator) {
    const result = await operator.post<ActionResult>(
      `/api/v1/environments/${encodeURIComponent(options.env)}/approve`,
      body,
    );
    output.data(result);
    output.line(`${status.ok('✓')} ${result.message} ${status.dim(`(operator at ${operator.url})`)}`);
    return;
  }
  const project = await openProject(options);
  requireEnvironment(project, options.env);
  const environment = {
    name: options.env,
    approval: project.config.environments[options.env]?.approval ?? false,
  };
  requireApproval(environment);
  const home = operatorHome(options);
  const config = project.config.state;
  if (
    (config === undefined || config.type === 'sqlite') &&
    !existsSync(path.join(home, '.slipway', 'operator.db'))
  ) {
    throw new ConflictError('no operator runs here and none has run', {
      hint: 'start one (slipway operator --repo …) or set SLIPWAY_OPERATOR_URL',
    });
  }
  const adapters = await openOperatorState(config, { home });
  try {
    const actor = currentActor();
    const releaseId = await approveRelease(adapters, {
      environment,
      releaseId: options.release,
      comment: options.comment,
      actor,
      fence: (await adapters.lease.current())?.term,
      at: new Date(),
    });
    output.data({ action: 'approve', environment: options.env, releaseId, actor });
    output.line(
      `${status.ok('✓')} approved ${releaseId} for ${options.env}; the operator promotes it on its next pass`,
    );
  } finally {
    await adapters.close();
  }
}

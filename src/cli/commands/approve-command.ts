/**
 * `slipway approve --env E`: approve the release waiting at E's manual gate (`approval: true`).
 * Through the running operator's API when there is one (it promotes at once); otherwise the
 * approval is written to the operator home's store and the operator promotes on its next pass.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConflictError } from '../../core/errors.js';
import type { ActionResult } from '../../operator/operator-backend.js';
import { SqliteOperatorStore } from '../../state/sqlite/sqlite-operator-store.js';
import { openSqliteStateStore } from '../../state/sqlite/sqlite-state-store.js';
import { discoverOperator, operatorHome } from '../operator-client.js';
import type { GlobalOptions } from '../project-context.js';
import { currentActor } from '../release-context.js';
import { createOutput, status } from '../render/terminal.js';

interface ApproveOptions extends GlobalOptions {
  readonly env: string;
  readonly release?: string;
  readonly comment?: string;
}

export function registerApprove(program: Command): void {
  program
    .command('approve')
    .description('approve the release waiting at an environment’s manual gate')
    .requiredOption('--env <env>', 'environment whose promotion to approve')
    .option('--release <id>', 'the source release to approve (default: the one waiting)')
    .option('--comment <text>', 'recorded with the approval')
    .action(async function approveAction(this: Command) {
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
      const file = path.join(operatorHome(options), '.slipway', 'operator.db');
      if (!existsSync(file)) {
        throw new ConflictError('no operator runs here and none has run', {
          hint: 'start one (slipway operator --repo …) or set SLIPWAY_OPERATOR_URL',
        });
      }
      const store = new SqliteOperatorStore(file);
      try {
        const releaseId = options.release ?? (await store.pendingApproval(options.env))?.releaseId;
        if (!releaseId) throw new ConflictError(`nothing is waiting for approval in ${options.env}`);
        const actor = currentActor();
        await store.setApproval(
          options.env,
          { releaseId, by: actor, comment: options.comment ?? null, at: new Date().toISOString() },
          undefined,
        );
        const stateFile = path.join(operatorHome(options), '.slipway', 'state.db');
        if (existsSync(stateFile)) {
          const state = openSqliteStateStore({ path: stateFile });
          try {
            await state.appendEvent({
              type: 'approval.granted',
              environment: options.env,
              releaseId,
              actor,
              data: {
                summary: `${actor} approved ${releaseId} for ${options.env}`,
                comment: options.comment ?? null,
              },
            });
          } finally {
            await state.close();
          }
        }
        output.data({ action: 'approve', environment: options.env, releaseId, actor });
        output.line(
          `${status.ok('✓')} approved ${releaseId} for ${options.env}; the operator promotes it on its next pass`,
        );
      } finally {
        await store.close();
      }
    });
}

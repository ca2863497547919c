/**
 * The `slipway` command. The only place errors become exit codes: 0 success, 1 the work ran and
 * failed, 2 invalid input, 3 conflict. User errors print `file:line:col: message`, all of them,
 * and never a stack trace (set SLIPWAY_DEBUG=1 to see one for an internal error).
 */
import { Command, CommanderError } from 'commander';
import {
  errorMessage,
  formatDiagnostic,
  InvalidArgumentError,
  ProjectError,
  SlipwayError,
  WorkFailedError,
} from '../core/errors.js';
import { registerApply } from './commands/apply-command.js';
import { registerApprove } from './commands/approve-command.js';
import { registerBuild } from './commands/build-command.js';
import { registerCheck } from './commands/check-command.js';
import { registerCi } from './commands/ci-command.js';
import { registerDemo } from './commands/demo-command.js';
import { registerDiff } from './commands/diff-command.js';
import { registerGc } from './commands/gc-command.js';
import { registerGenerate } from './commands/generate-command.js';
import { registerHistory } from './commands/history-command.js';
import { registerInfra } from './commands/infra-command.js';
import { registerInit } from './commands/init-command.js';
import { registerOperator } from './commands/operator-command.js';
import { registerPlan } from './commands/plan-command.js';
import { registerPromote } from './commands/promote-command.js';
import { registerQuery } from './commands/query-command.js';
import { registerRollback } from './commands/rollback-command.js';
import { registerRun } from './commands/run-command.js';
import { registerStatus } from './commands/status-command.js';
import { registerTest } from './commands/test-command.js';
import { registerValidate } from './commands/validate-command.js';
import { jsonDocumentWritten, pc } from './render/terminal.js';

const EXIT = { ok: 0, failed: 1, invalid: 2, conflict: 3 } as const;

export function createProgram(): Command {
  const program = new Command('slipway')
    .description('Git-Ops delivery for data pipelines: plan, test, release, watch and measure')
    .version('0.1.0')
    .option('--project <dir>', 'project folder (default: the current folder)')
    .option('--json', 'machine-readable output on stdout')
    .option('--log-format <format>', 'log lines as json or pretty (default: pretty only on a terminal)')
    .hook('preAction', function setLogFormat(command) {
      const format = command.opts<{ logFormat?: string }>().logFormat;
      if (format === undefined) return;
      if (format !== 'json' && format !== 'pretty')
        throw new InvalidArgumentError(`--log-format must be json or pretty, not '${format}'`);
      process.env['SLIPWAY_LOG_FORMAT'] = format;
    })
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(pc.red(text)) });
  registerInit(program);
  registerInfra(program);
  registerValidate(program);
  registerBuild(program);
  registerQuery(program);
  registerPlan(program);
  registerApply(program);
  registerPromote(program);
  registerRollback(program);
  registerStatus(program);
  registerHistory(program);
  registerRun(program);
  registerGc(program);
  registerGenerate(program);
  registerTest(program);
  registerCheck(program);
  registerDiff(program);
  registerCi(program);
  registerApprove(program);
  registerOperator(program);
  registerDemo(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    return error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.exitCode === 0
      ? EXIT.ok
      : EXIT.invalid;
  }
  if (error instanceof SlipwayError) {
    switch (error.code) {
      case 'invalid_project':
      case 'invalid_argument':
      case 'not_found':
        return EXIT.invalid;
      case 'conflict':
        return EXIT.conflict;
      default:
        return EXIT.failed;
    }
  }
  return EXIT.failed;
}

export function reportError(error: unknown, json: boolean): void {
  if (error instanceof CommanderError) return; // commander already printed it
  if (json) {
    // The command's own document already says what failed; scripts get one JSON value.
    if (jsonDocumentWritten() && error instanceof WorkFailedError) {
      process.stderr.write(`error: ${error.message}\n`);
      return;
    }
    const body =
      error instanceof ProjectError
        ? { error: error.code, message: error.message, diagnostics: error.diagnostics }
        : error instanceof SlipwayError
          ? { error: error.code, message: error.message, hint: error.hint }
          : { error: 'internal', message: errorMessage(error) };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return;
  }
  if (error instanceof ProjectError) {
    for (const d of error.diagnostics) process.stderr.write(`${colorDiagnostic(formatDiagnostic(d))}\n`);
    process.stderr.write(pc.red(`${error.message}\n`));
    return;
  }
  if (error instanceof SlipwayError) {
    process.stderr.write(`${pc.red('error:')} ${error.message}\n`);
    if (error.hint) process.stderr.write(`  ${pc.dim('hint:')} ${error.hint}\n`);
    return;
  }
  const message = errorMessage(error);
  process.stderr.write(`${pc.red('internal error:')} ${message}\n`);
  if (process.env['SLIPWAY_DEBUG'] && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
  else process.stderr.write(pc.dim('  set SLIPWAY_DEBUG=1 for details, and please report this\n'));
}

function colorDiagnostic(text: string): string {
  return text.replace(
    /^([^\s]+:\d+:\d+:) (error|warning):/,
    (_m, where: string, label: string) =>
      `${pc.bold(where)} ${label === 'error' ? pc.red(label) : pc.yellow(label)}:`,
  );
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    reportError(error, argv.includes('--json'));
    return exitCodeFor(error);
  }
}

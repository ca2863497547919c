/**
 * The SlipwayError family. Errors carry a stable code, the position in the user's files when the
 * input is at fault, and a hint. Only the CLI entry point turns them into exit codes.
 */

/** A place in a project file; `line` and `column` are 1-based. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** One problem with the user's input. Loaders collect many of these and report them at once. */
export interface Diagnostic {
  readonly position: SourcePosition;
  readonly message: string;
  readonly hint?: string;
  readonly severity?: 'error' | 'warning';
}

export type ErrorCode =
  | 'invalid_project'
  | 'invalid_argument'
  | 'not_found'
  | 'warehouse'
  | 'state'
  | 'conflict'
  | 'work_failed'
  | 'notifier'
  | 'internal';

export interface SlipwayErrorOptions {
  readonly hint?: string;
  readonly cause?: unknown;
}

export class SlipwayError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: SlipwayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SlipwayError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** The project (config, SQL, tests) is invalid; carries every diagnostic found. Exit code 2. */
export class ProjectError extends SlipwayError {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    const count = diagnostics.length;
    super('invalid_project', `${count} problem${count === 1 ? '' : 's'} in the project`);
    this.name = 'ProjectError';
    this.diagnostics = diagnostics;
  }
}

/** A command-line argument or API input is wrong (unknown environment, bad selector). Exit 2. */
export class InvalidArgumentError extends SlipwayError {
  constructor(message: string, options: SlipwayErrorOptions = {}) {
    super('invalid_argument', message, options);
    this.name = 'InvalidArgumentError';
  }
}

/** A reader asked for what a read may not do (a write, DDL, a file read). Exit 2; SQLSTATE 42501. */
export class ReadRefusedError extends InvalidArgumentError {
  constructor(message: string, options: SlipwayErrorOptions = {}) {
    super(message, options);
    this.name = 'ReadRefusedError';
  }
}

/** A read ran past its statement timeout and was interrupted. SQLSTATE 57014. */
export class ReadTimeoutError extends SlipwayError {
  constructor(message: string, options: SlipwayErrorOptions = {}) {
    super('work_failed', message, options);
    this.name = 'ReadTimeoutError';
  }
}

/** The warehouse refused or failed a statement, or cannot be reached. Exit 1. */
export class WarehouseError extends SlipwayError {
  readonly sql: string | undefined;

  constructor(message: string, options: SlipwayErrorOptions & { readonly sql?: string } = {}) {
    super('warehouse', message, options);
    this.name = 'WarehouseError';
    this.sql = options.sql;
  }
}

/** Someone else holds what we need (a lock, an environment being released). Exit 3. */
export class ConflictError extends SlipwayError {
  constructor(message: string, options: SlipwayErrorOptions = {}) {
    super('conflict', message, options);
    this.name = 'ConflictError';
  }
}

/** The work ran and failed (a model build, a check, a test). Exit 1. */
export class WorkFailedError extends SlipwayError {
  constructor(message: string, options: SlipwayErrorOptions = {}) {
    super('work_failed', message, options);
    this.name = 'WorkFailedError';
  }
}

/** Formats a diagnostic the way compilers do: `file:line:col: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.position.file}:${d.position.line}:${d.position.column}`;
  const label = d.severity === 'warning' ? 'warning' : 'error';
  return `${where}: ${label}: ${d.message}${d.hint ? `\n  hint: ${d.hint}` : ''}`;
}

/** The message of anything thrown: an Error's message, or the thrown value as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

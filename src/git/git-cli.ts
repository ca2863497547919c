/**
 * Runs the git command line for the operator: `execFile` (never a shell), bounded time and output,
 * no interactive prompts, and errors that say which git command failed without leaking the
 * credentials a remote URL may carry.
 */
import { execFile } from 'node:child_process';
import { SlipwayError } from '../core/errors.js';

export interface GitRunOptions {
  /** Working directory (`git -C`). */
  readonly cwd?: string;
  /** Milliseconds before git is killed; every call is bounded. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A git command failed, timed out, or git is missing. */
export class GitError extends SlipwayError {
  readonly args: readonly string[];
  readonly stderr: string;
  /** git's exit status; undefined when it was killed or could not start. */
  readonly exitCode: number | undefined;

  constructor(message: string, args: readonly string[], stderr: string, cause?: unknown) {
    super('work_failed', message, {
      cause,
      hint: 'check the repository URL, the branch, and that the operator can reach the remote',
    });
    this.name = 'GitError';
    this.args = args.map(redactUrl);
    this.stderr = redactUrl(stderr);
    const code = (cause as { code?: unknown } | undefined)?.code;
    this.exitCode = typeof code === 'number' ? code : undefined;
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** The environment every git call runs with: never prompt, stable messages. */
const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_TERMINAL_PROMPT: '0',
  // A configured askpass helper (one that supplies a token) is kept; otherwise an empty answer.
  GIT_ASKPASS: process.env['GIT_ASKPASS'] ?? 'echo',
  SSH_ASKPASS: process.env['SSH_ASKPASS'] ?? 'echo',
  GIT_SSH_COMMAND: process.env['GIT_SSH_COMMAND'] ?? 'ssh -o BatchMode=yes',
  LC_ALL: 'C',
};

/**
 * Runs `git args…` and returns its standard output.
 *
 * @example await runGit(['rev-parse', 'HEAD'], { cwd: repo, timeoutMs: 10_000 })
 */
export function runGit(args: readonly string[], options: GitRunOptions = {}): Promise<string> {
  const { cwd, timeoutMs = DEFAULT_TIMEOUT_MS, signal } = options;
  const fullArgs = cwd === undefined ? [...args] : ['-C', cwd, ...args];
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      fullArgs,
      {
        env: GIT_ENV,
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_OUTPUT_BYTES,
        encoding: 'utf8',
        windowsHide: true,
        ...(signal ? { signal } : {}),
      },
      function onGitExit(error, stdout, stderr) {
        if (!error) {
          resolve(stdout);
          return;
        }
        const killed = (error as NodeJS.ErrnoException & { killed?: boolean }).killed === true;
        const reason = killed
          ? `timed out after ${timeoutMs} ms`
          : (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'git is not installed or not on PATH'
            : firstLine(stderr) || error.message;
        reject(new GitError(`git ${args[0] ?? ''} failed: ${redactUrl(reason)}`, fullArgs, stderr, error));
      },
    );
  });
}

/** Hides `user:password@` in URLs, so remote credentials never reach a log or an error. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1[redacted]@');
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  );
}

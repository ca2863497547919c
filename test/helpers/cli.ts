/** Runs the built CLI (`node bin/slipway.js`) as a user would, for end-to-end tests. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(REPO, 'bin', 'slipway.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const baseEnv = (): NodeJS.ProcessEnv => ({ ...process.env, NO_COLOR: '1', SLIPWAY_ACTOR: 'tester' });

export function slipway(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd ?? REPO, env: { ...baseEnv(), ...options.env }, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `slipway … --json`, parsed; throws with the output when the exit code is not `expected`. */
export async function slipwayJson<T = Record<string, unknown>>(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; expected?: number } = {},
): Promise<T> {
  const result = await slipway([...args, '--json'], options);
  if (result.code !== (options.expected ?? 0)) {
    throw new Error(`slipway ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}

export interface PausedCli {
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal that ended it). */
  readonly exited: Promise<number | NodeJS.Signals>;
  stderr(): string;
}

/**
 * Starts the CLI with `SLIPWAY_TEST_PAUSE_AT=step` and resolves once it has stopped there
 * (or rejects if it ended without reaching the step). The pause is a JSON log line whose message ends there.
 */
export function slipwayPausedAt(
  step: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<PausedCli> {
  return slipwayOnceItSays(`slipway-paused ${step}"`, args, {
    ...options,
    env: { ...options.env, SLIPWAY_TEST_PAUSE_AT: step },
  });
}

/**
 * Starts the CLI and resolves, while it runs on, once its stderr contains `text` (or rejects if
 * it ended without saying it).
 */
export async function slipwayOnceItSays(
  text: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<PausedCli> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...baseEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stdout?.resume();
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code ?? 1)),
  );
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes(text)) resolve();
    });
    void exited.then((code) =>
      reject(new Error(`slipway exited (${code}) before saying ${JSON.stringify(text)}:\n${err}`)),
    );
  });
  return { child, exited, stderr: () => err };
}

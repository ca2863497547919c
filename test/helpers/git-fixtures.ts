/**
 * Real git repositories for operator tests: a bare "origin" that an author clone pushes to by
 * file path, and a `git daemon` on loopback serving it over `git://`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const GIT_TIMEOUT_MS = 20_000;

export function git(cwd: string, ...args: string[]): Promise<string> {
  return gitWithInput(cwd, undefined, ...args);
}

/** Runs git with `input` on its standard input. */
export function gitWithInput(cwd: string, input: string | undefined, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      ['-C', cwd, ...args],
      {
        timeout: GIT_TIMEOUT_MS,
        env: {
          ...process.env,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_AUTHOR_NAME: 'Ada Analyst',
          GIT_AUTHOR_EMAIL: 'ada@jkl.example',
          GIT_COMMITTER_NAME: 'Ada Analyst',
          GIT_COMMITTER_EMAIL: 'ada@jkl.example',
        },
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`git ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}

export interface GitFixture {
  readonly root: string;
  /** The bare repository (`<root>/origin.git`). */
  readonly origin: string;
  /** A working clone that pushes to origin by file path. */
  readonly work: string;
  /** Commits (empty unless `file` is given) and pushes to `branch`; returns the new SHA. */
  commitAndPush(message: string, options?: { branch?: string; file?: string }): Promise<string>;
  remove(): Promise<void>;
}

export async function createGitFixture(): Promise<GitFixture> {
  const root = await mkdtemp(path.join(tmpdir(), 'slipway-git-'));
  const origin = path.join(root, 'origin.git');
  const work = path.join(root, 'work');
  await git(root, 'init', '--quiet', '--bare', '--initial-branch=main', origin);
  await git(root, 'init', '--quiet', '--initial-branch=main', work);
  await git(work, 'remote', 'add', 'origin', origin);
  const commitAndPush: GitFixture['commitAndPush'] = async (message, { branch = 'main', file } = {}) => {
    const current = (await git(work, 'rev-parse', '--abbrev-ref', 'HEAD').catch(() => 'main\n')).trim();
    if (current !== branch) await git(work, 'checkout', '--quiet', '-B', branch);
    if (file !== undefined) {
      await writeFile(path.join(work, file), `${message}\n`);
      await git(work, 'add', file);
    }
    await git(work, 'commit', '--quiet', '--allow-empty', '-m', message);
    await git(work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
    return (await git(work, 'rev-parse', 'HEAD')).trim();
  };
  return { root, origin, work, commitAndPush, remove: () => rm(root, { recursive: true, force: true }) };
}

export interface GitDaemon {
  readonly port: number;
  /** `git://127.0.0.1:<port>/<name>` for a repository under the base path. */
  url(name: string): string;
  stop(): Promise<void>;
}

/** Starts `git daemon` on 127.0.0.1 and a free port, serving every repository under `basePath`. */
export async function startGitDaemon(basePath: string): Promise<GitDaemon> {
  const port = await freePort();
  const child = spawn(
    'git',
    [
      'daemon',
      '--export-all',
      `--base-path=${basePath}`,
      `--port=${port}`,
      '--listen=127.0.0.1',
      '--reuseaddr',
      '--informative-errors',
      basePath,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  try {
    await waitForPort(port, child, 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`git daemon did not start: ${stderr}`, { cause: error });
  }
  return {
    port,
    url: (name) => `git://127.0.0.1:${port}/${name}`,
    stop: () => stopChild(child),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} not accepting after ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Polls `predicate` until it holds or `timeoutMs` passes. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

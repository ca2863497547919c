/**
 * How CLI commands reach a running operator: `SLIPWAY_OPERATOR_URL`, else the `operator.json` the
 * leader writes in its home (`SLIPWAY_OPERATOR_HOME`, default `<project>/.slipway/operator`) when
 * its process is alive. Requests carry `SLIPWAY_TOKEN` as a bearer token; HTTP errors become the
 * SlipwayError the operator reported, so the exit codes match the direct commands.
 */
import path from 'node:path';
import { type ErrorCode, SlipwayError } from '../core/errors.js';
import type { EnvironmentStatus, Release } from '../operator/operator-backend.js';
import { readOperatorFile } from './operator-runtime.js';
import { type GlobalOptions, projectDir } from './project-context.js';

export interface OperatorClient {
  readonly url: string;
  get<T>(route: string): Promise<T>;
  post<T>(route: string, body: unknown): Promise<T>;
}

export function operatorHome(options: GlobalOptions): string {
  return path.resolve(
    process.env['SLIPWAY_OPERATOR_HOME'] ?? path.join(projectDir(options), '.slipway', 'operator'),
  );
}

/** The running operator's client, or undefined when none is running. */
export async function discoverOperator(options: GlobalOptions): Promise<OperatorClient | undefined> {
  const fromEnv = process.env['SLIPWAY_OPERATOR_URL'];
  if (fromEnv) return operatorClient(fromEnv.replace(/\/+$/, ''));
  const file = await readOperatorFile(operatorHome(options));
  if (!file || !isAlive(file.pid)) return undefined;
  return operatorClient(file.url);
}

export function operatorClient(url: string): OperatorClient {
  const call = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const token = process.env['SLIPWAY_TOKEN'];
    let response: Response;
    try {
      response = await fetch(`${url}${route}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (error) {
      throw new SlipwayError('conflict', `the operator at ${url} does not answer`, {
        cause: error,
        hint: 'unset SLIPWAY_OPERATOR_URL to work on the state store directly',
      });
    }
    const json = (await response.json().catch(() => ({}))) as { message?: string; hint?: string };
    if (response.ok) return json as T;
    const code: ErrorCode =
      response.status === 404
        ? 'not_found'
        : response.status === 409
          ? 'conflict'
          : response.status === 400
            ? 'invalid_argument'
            : response.status === 401 || response.status === 403
              ? 'invalid_argument'
              : 'work_failed';
    const hint =
      response.status === 401
        ? 'set SLIPWAY_TOKEN to an API token of the operator'
        : response.status === 403
          ? 'this action needs a token with a higher role'
          : json.hint;
    throw new SlipwayError(
      code,
      `operator: ${json.message ?? `HTTP ${response.status}`}`,
      hint ? { hint } : {},
    );
  };
  return {
    url,
    get: (route) => call('GET', route),
    post: (route, body) => call('POST', route, body),
  };
}

export type { EnvironmentStatus, Release };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

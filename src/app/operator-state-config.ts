/**
 * Which state the operator opens, before it competes for leadership: the `state:` of the
 * branch head's slipway.yaml (a fresh fetch). Every operator of a deployment must agree on it, or
 * two could lead on two different leases, so the last configuration read is remembered in the
 * home (`.slipway/state-config.json`, the variable's name only, never the URL) and used when the
 * repository cannot be read at start. A change of `state:` takes effect when the operator
 * restarts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../core/errors.js';
import type { GitMirror } from '../git/git-mirror.js';
import type { CommitWorkspace } from '../operator/commit-workspace.js';
import type { Logger } from '../telemetry/logger.js';
import type { StateConfig } from './open-state.js';

const REMEMBERED = path.join('.slipway', 'state-config.json');

export interface OperatorStateConfigSource {
  readonly mirror: GitMirror;
  readonly workspace: CommitWorkspace;
  readonly home: string;
  readonly logger: Logger;
}

/** The branch head's `state:` (undefined: the SQLite default), else the one remembered. */
export async function operatorStateConfig({
  mirror,
  workspace,
  home,
  logger,
}: OperatorStateConfigSource): Promise<StateConfig | undefined> {
  const file = path.join(home, REMEMBERED);
  let config: StateConfig | undefined;
  try {
    const head = await mirror.fetch();
    config = (await workspace.config(head)).config.state;
  } catch (error) {
    const remembered = await readRemembered(file);
    logger.warn(
      { err: errorMessage(error), state: remembered?.type ?? 'sqlite' },
      'cannot read the branch head’s slipway.yaml at start; using the state configuration last read',
    );
    return remembered;
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ state: config ?? null })}\n`);
  return config;
}

async function readRemembered(file: string): Promise<StateConfig | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { state?: StateConfig | null };
    return parsed.state ?? undefined;
  } catch {
    return undefined; // never read one: the default, as before this file existed
  }
}

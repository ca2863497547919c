/** Writes a project (a map of relative path → file text) into a fresh temporary folder. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TempProject {
  readonly root: string;
  write(file: string, text: string): Promise<void>;
  remove(): Promise<void>;
}

export async function tempProject(files: Readonly<Record<string, string>>): Promise<TempProject> {
  const root = await mkdtemp(path.join(tmpdir(), 'slipway-test-'));
  const write = async (file: string, text: string): Promise<void> => {
    const target = path.join(root, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, text);
  };
  for (const [file, text] of Object.entries(files)) await write(file, text);
  return { root, write, remove: () => rm(root, { recursive: true, force: true }) };
}

export const MINIMAL_CONFIG = `name: test-project
warehouse:
  default: local
  connections:
    local: { type: duckdb, path: .slipway/warehouse.duckdb }
environments:
  dev: { strategy: direct }
  staging: { strategy: blue-green }
  prod: { strategy: blue-green, promote_from: staging }
`;

/**
 * A Terraform tree read without a cloud account: every `.tf` and `.tfvars` file parsed by
 * `@cdktf/hcl2json` (the HCL parser Terraform uses, compiled to WASM) into its JSON shape.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { ProjectError } from '../core/errors.js';

/** hcl2json's shape: blocks are arrays of bodies, labels are nested object keys. */
export type HclBody = Record<string, unknown>;

export interface TerraformFile {
  /** Path relative to the tree's root, with forward slashes. */
  readonly path: string;
  readonly text: string;
  readonly body: HclBody;
}

export interface TerraformTree {
  readonly root: string;
  readonly files: readonly TerraformFile[];
}

export async function readTerraformTree(root: string): Promise<TerraformTree> {
  const paths = (await listFiles(root)).filter((p) => p.endsWith('.tf') || p.endsWith('.tfvars')).sort();
  const files: TerraformFile[] = [];
  for (const absolute of paths) {
    const path = relative(root, absolute).split('\\').join('/');
    const text = await readFile(absolute, 'utf8');
    let body: HclBody;
    try {
      body = await parse(path, text);
    } catch (error) {
      // hcl2json reports `parse config: [file:line,col-col: summary; detail]`.
      const raw = error instanceof Error ? error.message : String(error);
      const m = /:(\d+),(\d+)(?:-\d+)?: ([^;\]]+)/.exec(raw);
      throw new ProjectError([
        {
          position: { file: join(root, path), line: Number(m?.[1] ?? 1), column: Number(m?.[2] ?? 1) },
          message: `not valid HCL: ${(m?.[3] ?? raw).trim()}`,
        },
      ]);
    }
    files.push({ path, text, body });
  }
  return { root, files };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === '.terraform') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else out.push(full);
  }
  return out;
}

export interface ResourceBlock {
  readonly file: string;
  readonly type: string;
  readonly name: string;
  readonly body: HclBody;
}

/** Every `resource "type" "name"` of the tree, in file order. */
export function resourcesOf(tree: TerraformTree): ResourceBlock[] {
  return labelled(tree, 'resource');
}

/** Every `data "type" "name"` of the tree. */
export function dataSourcesOf(tree: TerraformTree): ResourceBlock[] {
  return labelled(tree, 'data');
}

function labelled(tree: TerraformTree, kind: 'resource' | 'data'): ResourceBlock[] {
  const out: ResourceBlock[] = [];
  for (const file of tree.files) {
    const byType = file.body[kind] as Record<string, Record<string, HclBody[]>> | undefined;
    for (const [type, byName] of Object.entries(byType ?? {})) {
      for (const [name, bodies] of Object.entries(byName)) {
        for (const body of bodies) out.push({ file: file.path, type, name, body });
      }
    }
  }
  return out;
}

/** The first body of a nested block (`rule { ... }` becomes `[{...}]` in hcl2json). */
export function blocks(body: HclBody, key: string): HclBody[] {
  const value = body[key];
  return Array.isArray(value) ? (value as HclBody[]) : [];
}

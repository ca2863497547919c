/**
 * Infrastructure changes between two parsed Terraform trees (the base commit's and the head's),
 * for when no `terraform plan` is configured: resources added, changed and removed, by address
 * (`<file's folder>:<type>.<name>`). Pure over the parse.
 */
import { resourcesOf, type TerraformTree } from './terraform-tree.js';

export interface InfraDiff {
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
}

function index(tree: TerraformTree): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of resourcesOf(tree)) {
    const folder = r.file.includes('/') ? r.file.slice(0, r.file.lastIndexOf('/')) : '.';
    out.set(`${folder}:${r.type}.${r.name}`, JSON.stringify(r.body));
  }
  return out;
}

export function diffInfra(base: TerraformTree, head: TerraformTree): InfraDiff {
  const before = index(base);
  const after = index(head);
  const added = [...after.keys()].filter((k) => !before.has(k)).sort();
  const removed = [...before.keys()].filter((k) => !after.has(k)).sort();
  const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k)).sort();
  return { added, changed, removed };
}

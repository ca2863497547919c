/**
 * Fingerprints: a model version is the hash of its normalized definition (the parsed tree, so
 * formatting and comments do not count), the settings that shape its table, and its parents'
 * fingerprints. Equal fingerprints mean the same table: it is built once and reused.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Project, ProjectNode } from './project.js';

/** Characters of the fingerprint used in physical table names (48 bits). */
export const FINGERPRINT_LENGTH = 12;

export function fingerprintProject(project: Project): ReadonlyMap<string, string> {
  const fingerprints = new Map<string, string>();
  for (const name of project.order) {
    const node = project.models.get(name) ?? project.sources.get(name);
    if (!node) continue;
    fingerprints.set(name, fingerprintNode(project, node, fingerprints));
  }
  return fingerprints;
}

function fingerprintNode(project: Project, node: ProjectNode, known: ReadonlyMap<string, string>): string {
  const hash = createHash('sha256');
  if (node.type === 'source') {
    hash.update(
      JSON.stringify({
        type: 'source',
        files: node.files ? path.relative(project.root, node.files).split(path.sep).join('/') : null,
        format: node.format ?? null,
        table: node.table ?? null,
      }),
    );
  } else {
    hash.update(
      JSON.stringify({
        type: 'model',
        kind: node.kind,
        timeColumn: node.timeColumn ?? null,
        uniqueKey: node.uniqueKey,
        definition: node.normalized,
        parents: [...node.dependsOn].sort().map((p) => [p, known.get(p) ?? null]),
      }),
    );
  }
  return hash.digest('hex').slice(0, FINGERPRINT_LENGTH);
}

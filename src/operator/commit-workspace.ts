/**
 * A commit's project, as the operator loads it: the tree checked out from the mirror into
 * `<home>/checkouts/<sha>`, with the folders a commit does not carry (`data/`, generated inputs)
 * linked to the operator home, so every commit runs on the same data. Fingerprints are taken on
 * the project as checked out (paths relative to the project, as the CLI computes them); source
 * files are then re-rooted at their real, stable path, because the views built over them must
 * outlive the checkout. The last few checkouts are kept (a TypeScript model's imports resolve
 * into its checkout); older ones are removed.
 */
import { lstat, mkdir, readdir, realpath, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fingerprintProject } from '../project/fingerprint.js';
import type { Project, SourceNode } from '../project/project.js';
import type { CommitInfo } from './commit-info.js';
import type { Checkout, GitMirror } from './git-mirror.js';

export interface LoadedCommit {
  readonly sha: string;
  readonly info: CommitInfo;
  readonly project: Project;
  readonly fingerprints: ReadonlyMap<string, string>;
}

export interface CommitWorkspaceOptions {
  readonly mirror: GitMirror;
  /** Where checkouts go (`<home>/checkouts`). */
  readonly directory: string;
  /** Top-level folders linked into every checkout when the commit does not have them. */
  readonly links: Readonly<Record<string, string>>;
  readonly loadProject: (directory: string) => Promise<Project>;
  /** Checkouts kept. Default 3. */
  readonly keep?: number;
}

export class CommitWorkspace {
  readonly #options: CommitWorkspaceOptions;
  readonly #recent: string[] = [];
  readonly #checkouts = new Map<string, Checkout>();
  readonly #cache = new Map<string, LoadedCommit>();

  constructor(options: CommitWorkspaceOptions) {
    this.#options = options;
  }

  async load(sha: string): Promise<LoadedCommit> {
    const cached = this.#cache.get(sha);
    if (cached) return cached;
    const { mirror, directory, links, loadProject } = this.#options;
    const target = path.join(directory, sha);
    await rm(target, { recursive: true, force: true });
    await mkdir(directory, { recursive: true });
    const checkout = await mirror.checkout(sha, target);
    this.#checkouts.set(sha, checkout);
    const present = new Set(await readdir(checkout.directory));
    const reroot = new Map<string, string>();
    for (const [entry, to] of Object.entries(links)) {
      if (present.has(entry)) continue;
      const exists = await lstat(to).then(
        () => true,
        () => false,
      );
      if (!exists) continue;
      await symlink(to, path.join(checkout.directory, entry));
      reroot.set(path.join(checkout.directory, entry), await realpath(to));
    }
    const loaded = await loadProject(checkout.directory);
    const fingerprints = fingerprintProject(loaded);
    const project = rerootSources(loaded, reroot);
    const info = await mirror.commit(sha);
    const result: LoadedCommit = { sha, info, project, fingerprints };
    this.#cache.set(sha, result);
    this.#recent.push(sha);
    await this.#prune();
    return result;
  }

  /** Removes every checkout (on shutdown). */
  async clear(): Promise<void> {
    for (const sha of this.#recent.splice(0)) await this.#remove(sha);
    this.#cache.clear();
  }

  async #prune(): Promise<void> {
    const keep = this.#options.keep ?? 3;
    while (this.#recent.length > keep) {
      const sha = this.#recent.shift() as string;
      this.#cache.delete(sha);
      await this.#remove(sha);
    }
  }

  async #remove(sha: string): Promise<void> {
    const checkout = this.#checkouts.get(sha);
    this.#checkouts.delete(sha);
    if (checkout) await checkout.remove();
    else await rm(path.join(this.#options.directory, sha), { recursive: true, force: true });
  }
}

function rerootSources(project: Project, reroot: ReadonlyMap<string, string>): Project {
  if (reroot.size === 0) return project;
  const sources = new Map<string, SourceNode>();
  for (const [name, source] of project.sources) {
    let files = source.files;
    for (const [from, to] of reroot) {
      if (files?.startsWith(from + path.sep)) files = to + files.slice(from.length);
    }
    sources.set(name, files === source.files ? source : { ...source, files });
  }
  return { ...project, sources };
}

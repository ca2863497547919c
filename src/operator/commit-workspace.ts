/**
 * A commit's project, as the operator loads it: the tree checked out from the mirror into
 * `<home>/checkouts/<sha>`, with the folders a commit does not carry (`data/`, generated inputs)
 * linked to the operator home, so every commit runs on the same data. Fingerprints are taken on
 * the project as checked out (paths relative to the project, as the CLI computes them); source
 * files are then re-rooted at their real, stable path, because the views built over them must
 * outlive the checkout. The last few checkouts are kept (a TypeScript model's imports resolve
 * into its checkout); older ones are removed. A commit's configuration alone is read straight
 * from the mirror, with no checkout and no SQL parsing.
 */
import { lstat, mkdir, readdir, realpath, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { Commit as CommitInfo } from '../core/commit.js';
import type { Checkout, GitMirror } from '../git/git-mirror.js';
import { fingerprintProject } from '../project/fingerprint.js';
import { PROJECT_FILE, parseProjectConfig } from '../project/load-project.js';
import type { Project, SourceNode } from '../project/project.js';
import type { ProjectConfig } from '../project/schemas.js';

export interface LoadedCommit {
  readonly sha: string;
  readonly info: CommitInfo;
  readonly project: Project;
  readonly fingerprints: ReadonlyMap<string, string>;
  /** Linked folders (e.g. `data/`) that did not exist in the home when the commit was loaded. */
  readonly missingLinks?: readonly string[];
}

/** A commit's `slipway.yaml` alone: enough for the environments and the warehouse. */
export interface CommitConfig {
  readonly sha: string;
  readonly config: ProjectConfig;
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
  readonly #loading = new Map<string, Promise<LoadedCommit>>();

  constructor(options: CommitWorkspaceOptions) {
    this.#options = options;
  }

  /** Loads (checks out and parses) a commit once: callers asking for it meanwhile share the load. */
  async load(sha: string): Promise<LoadedCommit> {
    const cached = this.#cache.get(sha);
    // Data added to the home after the load (the first sync found no data/): load the commit
    // again so its checkout links it, instead of running on the checkout made without it.
    if (cached && !(await this.#linkAppeared(cached))) return cached;
    if (cached) {
      this.#cache.delete(sha);
      this.#recent.splice(this.#recent.indexOf(sha), 1);
    }
    const loading = this.#loading.get(sha) ?? this.#checkOutAndLoad(sha);
    this.#loading.set(sha, loading);
    try {
      return await loading;
    } finally {
      this.#loading.delete(sha);
    }
  }

  async #checkOutAndLoad(sha: string): Promise<LoadedCommit> {
    const { mirror, directory, links, loadProject } = this.#options;
    const target = path.join(directory, sha);
    await rm(target, { recursive: true, force: true });
    await mkdir(directory, { recursive: true });
    const checkout = await mirror.checkout(sha, target);
    this.#checkouts.set(sha, checkout);
    const present = new Set(await readdir(checkout.directory));
    const reroot = new Map<string, string>();
    const missingLinks: string[] = [];
    for (const [entry, to] of Object.entries(links)) {
      if (present.has(entry)) continue;
      if (!(await pathExists(to))) {
        missingLinks.push(to);
        continue;
      }
      await symlink(to, path.join(checkout.directory, entry));
      reroot.set(path.join(checkout.directory, entry), await realpath(to));
    }
    const loaded = await loadProject(checkout.directory);
    const fingerprints = fingerprintProject(loaded);
    const project = rerootSources(loaded, reroot);
    const info = await mirror.commit(sha);
    const result: LoadedCommit = {
      sha,
      info,
      project,
      fingerprints,
      ...(missingLinks.length > 0 ? { missingLinks } : {}),
    };
    this.#cache.set(sha, result);
    this.#recent.push(sha);
    await this.#prune();
    return result;
  }

  /**
   * The commit's `slipway.yaml`, read from the mirror without a checkout (the whole project when
   * it is loaded already). An idle operator's periodic pass needs no more than this.
   */
  async config(sha: string): Promise<CommitConfig> {
    const cached = this.#cache.get(sha);
    if (cached) return { sha, config: cached.project.config };
    const text = await this.#options.mirror.show(sha, PROJECT_FILE);
    return { sha, config: parseProjectConfig(text, path.join(this.#options.directory, sha)) };
  }

  async #linkAppeared(loaded: LoadedCommit): Promise<boolean> {
    for (const to of loaded.missingLinks ?? []) if (await pathExists(to)) return true;
    return false;
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

function pathExists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

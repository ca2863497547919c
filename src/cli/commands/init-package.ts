/**
 * The `package.json` `slipway init` writes: the project depends on Slipway as it was installed
 * (the tarball, git URL or version in the installing project's package.json; a tarball is copied
 * into the project's `vendor/`, so a clean clone on a CI runner installs from the lockfile), on
 * vitest for its own tests, and on the DuckDB client its `lib/` tests use, at Slipway's versions.
 * `SLIPWAY_PACKAGE_SPEC` overrides what is found (e.g. a git URL for a team's fork).
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's folder (dist/cli/commands → the package root). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The vitest line the project's own tests run on (the one Slipway is tested with). */
const VITEST = '4.1.12';

interface PackageJson {
  readonly name?: string;
  readonly version?: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

async function readJson(file: string): Promise<PackageJson | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

/**
 * How the new project at `target` should depend on Slipway. `installedFrom` is the spec in the
 * installing project's package.json, when Slipway sits in its node_modules.
 */
export async function slipwayDependency(
  target: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ readonly spec: string; readonly vendored?: string }> {
  const override = env['SLIPWAY_PACKAGE_SPEC'];
  if (override) return { spec: override };
  const root = path.resolve(PACKAGE_ROOT);
  const parent = path.dirname(root);
  let installedFrom: string | undefined;
  let installer: string | undefined;
  if (path.basename(parent) === 'node_modules') {
    installer = path.dirname(parent);
    const manifest = await readJson(path.join(installer, 'package.json'));
    installedFrom = manifest?.devDependencies?.['slipway'] ?? manifest?.dependencies?.['slipway'];
  }
  if (installedFrom?.startsWith('file:') && installer) {
    const source = path.resolve(installer, installedFrom.slice('file:'.length));
    if (source.endsWith('.tgz')) {
      // The tarball travels with the project: a clone installs it from vendor/ by the lockfile.
      const vendored = path.join('vendor', path.basename(source));
      await mkdir(path.join(target, 'vendor'), { recursive: true });
      await copyFile(source, path.join(target, vendored));
      return { spec: `file:${vendored}`, vendored };
    }
    return { spec: `file:${path.relative(target, source) || '.'}` };
  }
  if (installedFrom) return { spec: installedFrom };
  // A global install or a checkout of Slipway itself: depend on that folder.
  return { spec: `file:${root}` };
}

/** Writes the project's package.json: the template's, with scripts and the dependencies above. */
export async function writeProjectPackage(target: string, slipwaySpec: string): Promise<void> {
  const own = (await readJson(path.join(PACKAGE_ROOT, 'package.json'))) ?? {};
  const template = (await readJson(path.join(target, 'package.json'))) ?? {};
  const duckdb = own.dependencies?.['@duckdb/node-api'];
  const manifest = {
    ...template,
    name: path
      .basename(target)
      .toLowerCase()
      .replace(/[^a-z0-9._-]/g, '-'),
    private: true,
    type: 'module',
    scripts: { test: 'vitest run lib', validate: 'slipway validate', ci: 'slipway ci' },
    devDependencies: {
      ...(duckdb ? { '@duckdb/node-api': duckdb } : {}),
      slipway: slipwaySpec,
      vitest: VITEST,
    },
  };
  await writeFile(path.join(target, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Compiles a TypeScript model with esbuild into one ES module — its relative imports (e.g.
 * `lib/*.ts`) bundled in, npm packages left as imports, `slipway` resolved to this package — and
 * imports it. The module is written under `<project>/.slipway/ts-models/` (so its packages resolve
 * from the project's node_modules) with a manifest of the files it was built from and their
 * hashes: while none of them changed, the next command imports it without loading esbuild. No
 * module hooks: a hooks thread (tsx, `module.register`) would slow every module loaded after it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** This package's entry point: what `import … from 'slipway'` in a project file means. */
const SLIPWAY_ENTRY = new URL(`../index${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)
  .href;

interface Manifest {
  /** The `slipway` the module imports (another install of Slipway compiles again). */
  readonly entry: string;
  /** Files the module was built from (relative to the project) and their SHA-256. */
  readonly inputs: Readonly<Record<string, string>>;
  /** The compiled module's file name, in the same folder. */
  readonly module: string;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

async function hashOf(file: string): Promise<string | undefined> {
  try {
    return sha256(await readFile(file));
  } catch {
    return undefined; // the file is gone: the manifest no longer holds
  }
}

async function cachedModule(root: string, manifestFile: string): Promise<string | undefined> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
  } catch {
    return undefined; // not compiled yet (or a torn manifest): compile
  }
  if (manifest.entry !== SLIPWAY_ENTRY) return undefined;
  for (const [input, hash] of Object.entries(manifest.inputs)) {
    if ((await hashOf(path.resolve(root, input))) !== hash) return undefined;
  }
  return path.join(path.dirname(manifestFile), manifest.module);
}

/** Compiles (or reuses) and imports the model at `absolute`; its default export. */
export async function importTypeScriptModel(root: string, absolute: string): Promise<unknown> {
  const directory = path.join(root, '.slipway', 'ts-models');
  const relative = path.relative(root, absolute);
  const manifestFile = path.join(directory, `${relative.replace(/[\\/]/g, '__')}.json`);
  const file = (await cachedModule(root, manifestFile)) ?? (await compile(root, absolute, manifestFile));
  return ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
}

async function compile(root: string, absolute: string, manifestFile: string): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [absolute],
    absWorkingDir: root,
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'silent',
    plugins: [
      {
        name: 'slipway-entry',
        setup(b) {
          b.onResolve({ filter: /^slipway$/ }, () => ({ path: SLIPWAY_ENTRY, external: true }));
        },
      },
    ],
  });
  const code = result.outputFiles[0]?.text ?? '';
  const directory = path.dirname(manifestFile);
  const name = `${path.basename(absolute, '.ts')}.${sha256(code).slice(0, 16)}.mjs`;
  const inputs: Record<string, string> = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const hash = await hashOf(path.resolve(root, input));
    if (hash !== undefined) inputs[input] = hash;
  }
  await mkdir(directory, { recursive: true });
  await writeFile(path.join(directory, name), code);
  const manifest: Manifest = { entry: SLIPWAY_ENTRY, inputs, module: name };
  const temporary = `${manifestFile}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(manifest));
  await rename(temporary, manifestFile);
  return path.join(directory, name);
}

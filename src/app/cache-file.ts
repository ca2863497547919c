/**
 * Files under a project's `.slipway/cache/`: read as JSON (undefined when missing, torn or
 * foreign) and written atomically (a temporary file renamed over the old one). A cache is only a
 * speed-up, so a read-only project folder makes writing a no-op rather than an error.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function readCacheJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export async function writeCacheJson(file: string, content: unknown): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temporary, JSON.stringify(content));
    await rename(temporary, file);
  } catch {
    // A read-only project folder: every command still computes what it needs.
  }
}

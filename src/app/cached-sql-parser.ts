/**
 * A SqlParser that remembers what DuckDB's parser answered for each SQL text, in a file under
 * the project's `.slipway/cache/`, and opens the real parser only for a text it has not seen:
 * a `validate` (or `plan`) of a project whose SQL has not changed since the last command never
 * loads DuckDB's native module. Entries are keyed by the SHA-256 of the text, in a file named
 * after the DuckDB version, so another parser version never reads them. Only successful parses
 * are kept (an error is reported from a fresh parse every time).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ParseResult, SqlParser } from '../core/sql-parser.js';
import { readCacheJson, writeCacheJson } from './cache-file.js';

/** Entries kept in the file: those of the last command first, then older ones. */
const MAX_ENTRIES = 2000;

interface CacheFile {
  readonly trees: Readonly<Record<string, unknown>>;
}

export interface CachedSqlParserOptions {
  /** The folder of the cache file (`<project>/.slipway/cache`). */
  readonly directory: string;
  /** Names the parser's version; part of the file name. */
  readonly version: string;
  /** Opens the real parser, at most once, on the first text not in the cache. */
  readonly open: () => Promise<SqlParser>;
}

export async function createCachedSqlParser({
  directory,
  version,
  open,
}: CachedSqlParserOptions): Promise<SqlParser> {
  const file = path.join(directory, `sql-parse-${version.replace(/[^A-Za-z0-9.-]/g, '_')}.json`);
  const known = new Map<string, unknown>(Object.entries(await readCache(file)));
  const used = new Map<string, unknown>();
  let real: Promise<SqlParser> | undefined;
  let added = false;
  let closed = false;
  const key = (text: string) => createHash('sha256').update(text).digest('base64url');
  return {
    async parseMany(texts) {
      if (closed) throw new Error('the SQL parser is closed');
      const results: (ParseResult | undefined)[] = texts.map((text) => {
        const k = key(text);
        if (!known.has(k)) return undefined;
        used.set(k, known.get(k));
        return { ok: true, tree: known.get(k) };
      });
      const missing = texts.flatMap((text, i) => (results[i] ? [] : [{ text, i }]));
      if (missing.length > 0) {
        real ??= open();
        const parsed = await (await real).parseMany(missing.map((m) => m.text));
        for (const [j, { text, i }] of missing.entries()) {
          const result = parsed[j] as ParseResult;
          results[i] = result;
          if (result.ok) {
            known.set(key(text), result.tree);
            used.set(key(text), result.tree);
            added = true;
          }
        }
      }
      return results as ParseResult[];
    },
    async close() {
      if (closed) return;
      closed = true;
      await (await real)?.close();
      if (added) await writeCache(file, used, known);
    },
  };
}

async function readCache(file: string): Promise<Readonly<Record<string, unknown>>> {
  // No cache yet, or a torn or foreign file: parse again, and the next write replaces it.
  const parsed = (await readCacheJson(file)) as Partial<CacheFile> | undefined;
  return parsed?.trees && typeof parsed.trees === 'object' ? parsed.trees : {};
}

/** Writes the cache atomically (a temporary file renamed over it). */
async function writeCache(
  file: string,
  used: ReadonlyMap<string, unknown>,
  known: ReadonlyMap<string, unknown>,
): Promise<void> {
  const trees: Record<string, unknown> = Object.fromEntries(used);
  let count = used.size;
  for (const [k, tree] of known) {
    if (count >= MAX_ENTRIES) break;
    if (k in trees) continue;
    trees[k] = tree;
    count++;
  }
  await writeCacheJson(file, { trees } satisfies CacheFile);
}

/**
 * The seam between the project loader and a real SQL parser (it lives in core so that engines
 * can implement it without importing the loader). The loader never parses SQL by hand:
 * an engine's own parser (DuckDB's `json_serialize_sql`) turns the text into a syntax tree, and
 * `sql-references.ts` reads what it needs from that tree.
 */

export type ParseResult =
  | { readonly ok: true; readonly tree: unknown }
  | {
      readonly ok: false;
      readonly message: string;
      /** Character offset into the text where the parser stopped, when it says. */
      readonly offset: number | undefined;
    };

export interface SqlParser {
  /** Parses each text; results come back in the same order. */
  parseMany(texts: readonly string[]): Promise<ParseResult[]>;
  close(): Promise<void>;
}

/** Maps UTF-8 byte offsets (what engines report) to string offsets in `text`. */
export function utf8OffsetMapper(text: string): (byteOffset: number) => number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII fast path is the common case
  if (/^[\u0000-\u007f]*$/.test(text)) return (b) => b;
  const bytes = Buffer.from(text, 'utf8');
  return (b) => bytes.subarray(0, Math.max(0, b)).toString('utf8').length;
}

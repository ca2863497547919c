/**
 * The scanner behind `engine-sql.test.ts`: finds engine-specific SQL and concrete-adapter imports
 * outside the folders allowed to hold them. Comments are blanked first (a comment may name
 * `stats()` to explain why the DuckDB adapter uses it); string and template text is kept, since
 * that is where SQL lives.
 */

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly text: string;
}

interface TokenRule {
  readonly name: string;
  readonly pattern: RegExp;
  /** Path prefixes (from the repository root) where the tokens belong. */
  readonly allowedIn: readonly string[];
}

/** Engine SQL: each engine's tokens belong in its own adapter folders only. */
export const TOKEN_RULES: readonly TokenRule[] = [
  {
    name: 'DuckDB SQL',
    pattern:
      /\b(query_table|duckdb_\w+|json_serialize_sql|read_parquet|read_csv\w*|MACRO|bitstring_agg|regexp_matches|count_if|list_value|stats\(|to_milliseconds|epoch_ms|list_contains|union_by_name|all_varchar|auto_detect)\b|\bBY NAME\b|\bFORMAT parquet\b|\bTABLESAMPLE(?=\s+(?:\d|\$\{))/g,
    allowedIn: ['src/warehouse/duckdb/'],
  },
  {
    name: 'PostgreSQL SQL',
    pattern:
      /\b(pg_catalog|pg_stats|pg_class|pg_namespace|pg_attribute|pg_\w*advisory\w*|pg_stat_\w+|pg_cancel_backend|pg_terminate_backend|generate_series|to_regclass)\b|::regclass\b/g,
    // DuckDB has a `pg_catalog` schema of its own, which its introspector hides from listings and
    // its readers may read, and a `generate_series` table function the read sandbox allows.
    allowedIn: [
      'src/warehouse/postgres/',
      'src/state/postgres/',
      'src/warehouse/duckdb/duckdb-introspector.ts',
      'src/warehouse/duckdb/duckdb-read-sandbox.ts',
      'src/warehouse/duckdb/duckdb-reads.ts',
    ],
  },
];

interface ImportRule {
  readonly name: string;
  /** Matched against the import specifier. */
  readonly specifier: RegExp;
  readonly allowedIn: readonly string[];
}

/** Concrete adapters and their drivers: imported only by the composition root and the adapter. */
export const IMPORT_RULES: readonly ImportRule[] = [
  {
    name: 'concrete warehouse adapter import',
    specifier: /(^|\/)warehouse\/(duckdb|postgres)\//,
    allowedIn: ['src/app/', 'src/warehouse/duckdb/', 'src/warehouse/postgres/'],
  },
  {
    name: 'concrete state store import',
    specifier: /(^|\/)state\/(sqlite|postgres)\//,
    allowedIn: ['src/app/', 'src/state/sqlite/', 'src/state/postgres/'],
  },
  {
    name: 'DuckDB driver import',
    specifier: /^@duckdb\//,
    allowedIn: ['src/warehouse/duckdb/'],
  },
  {
    name: 'PostgreSQL driver import',
    specifier: /^pg(\/|$)/,
    allowedIn: ['src/warehouse/postgres/', 'src/state/postgres/'],
  },
];

const IMPORT =
  /\b(?:import|export)\b[^'";]*?\bfrom\s*(['"])([^'"]+)\1|\bimport\s*\(\s*(['"])([^'"]+)\3\s*\)/g;

/** Every violation in one file; `file` is its path from the repository root, with `/`. */
export function findViolations(file: string, source: string): Violation[] {
  const code = blankComments(source);
  const found: Violation[] = [];
  const lineAt = lineIndex(code);
  for (const rule of TOKEN_RULES) {
    if (rule.allowedIn.some((prefix) => file.startsWith(prefix))) continue;
    for (const match of code.matchAll(rule.pattern)) {
      found.push({ file, line: lineAt(match.index), rule: rule.name, text: match[0] });
    }
  }
  for (const match of code.matchAll(IMPORT)) {
    const specifier = match[2] ?? match[4] ?? '';
    for (const rule of IMPORT_RULES) {
      if (!rule.specifier.test(specifier)) continue;
      if (rule.allowedIn.some((prefix) => file.startsWith(prefix))) continue;
      found.push({ file, line: lineAt(match.index), rule: rule.name, text: specifier });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i += 1) if (text[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}

/**
 * The source with every comment replaced by spaces (newlines kept, so lines still count). A small
 * lexer: strings, template literals (with `${…}` nesting) and regular-expression literals are
 * skipped over whole, so a `//` or a quote inside them starts nothing.
 */
export function blankComments(source: string): string {
  const out = source.split('');
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k += 1) if (out[k] !== '\n') out[k] = ' ';
  };
  /** Open template literals' brace depths: `${` pushes 0, `{`/`}` count, `}` at 0 resumes the template. */
  const templates: number[] = [];
  let i = 0;
  let lastSignificant = '';
  const n = source.length;
  const skipString = (quote: string): void => {
    i += 1;
    while (i < n && source[i] !== quote && source[i] !== '\n') i += source[i] === '\\' ? 2 : 1;
    i += 1;
  };
  /** Skips template text from `i` (just after the backtick or `}`) to its end or to a `${`. */
  const skipTemplate = (): void => {
    while (i < n) {
      const c = source[i];
      if (c === '\\') i += 2;
      else if (c === '`') {
        i += 1;
        return;
      } else if (c === '$' && source[i + 1] === '{') {
        i += 2;
        templates.push(0);
        return;
      } else i += 1;
    }
  };
  while (i < n) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      skipString(c);
      lastSignificant = 'a';
    } else if (c === '`') {
      i += 1;
      skipTemplate();
      lastSignificant = 'a';
    } else if (c === '/' && startsRegex(lastSignificant)) {
      i += 1;
      let inClass = false;
      while (i < n && source[i] !== '\n') {
        const r = source[i];
        if (r === '\\') i += 1;
        else if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        i += 1;
      }
      i += 1;
      lastSignificant = 'a';
    } else if (templates.length > 0 && (c === '{' || c === '}')) {
      const depth = templates.length - 1;
      if (c === '{') templates[depth] = (templates[depth] as number) + 1;
      else if (templates[depth] === 0) {
        templates.pop();
        i += 1;
        skipTemplate();
        lastSignificant = 'a';
        continue;
      } else templates[depth] = (templates[depth] as number) - 1;
      i += 1;
      lastSignificant = c;
    } else if (/[\w$]/.test(c)) {
      const word = /^[\w$]+/.exec(source.slice(i, i + 64))?.[0] ?? c;
      // After `return`, `typeof`, … a `/` opens a regular expression; after a name it divides.
      lastSignificant = KEYWORDS_BEFORE_EXPRESSION.has(word) ? 'keyword' : 'a';
      i += word.length;
    } else {
      if (!/\s/.test(c)) lastSignificant = c === ')' || c === ']' ? 'a' : c;
      i += 1;
    }
  }
  return out.join('');
}

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return',
  'typeof',
  'case',
  'in',
  'of',
  'delete',
  'void',
  'throw',
  'new',
  'else',
  'do',
  'yield',
  'await',
]);

/** A `/` starts a regular expression unless it follows a value (a name, a number, `)` or `]`). */
function startsRegex(lastSignificant: string): boolean {
  return lastSignificant !== 'a';
}

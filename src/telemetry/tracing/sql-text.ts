/**
 * SQL as a trace may show it (OpenTelemetry's `db.query.text` "sanitized" form): every literal
 * — strings, dollar-quoted strings, numbers — is replaced by `?`, so a value in a statement
 * (a customer id in a check, a password in a `create secret`) never leaves the process.
 * Identifiers, quoted or not, are kept. `db.operation.name` is the statement's leading keywords.
 */

const TOKEN =
  /('(?:[^']|'')*'?)|(\$([A-Za-z_]\w*)?\$[\s\S]*?\$\3\$)|("(?:[^"]|"")*"?)|(--[^\n]*|\/\*[\s\S]*?\*\/)|(\b\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b)|([A-Za-z_][\w$]*)/g;

/** `select * from t where id = 42 and name = 'x'` → `select * from t where id = ? and name = ?`. */
export function sanitizeSql(sql: string, maxLength = 2048): string {
  const out = sql.replace(
    TOKEN,
    (
      match,
      str: string | undefined,
      dollar: string | undefined,
      _tag,
      quoted,
      comment,
      num: string | undefined,
    ) => {
      if (str !== undefined || dollar !== undefined || num !== undefined) return '?';
      if (comment !== undefined) return ' ';
      return quoted ?? match;
    },
  );
  const compact = out.replace(/\s+/g, ' ').trim();
  return compact.length > maxLength ? `${compact.slice(0, maxLength)}…` : compact;
}

const TWO_WORDS = new Set(['create', 'drop', 'alter', 'insert', 'merge']);
const SKIP = new Set(['or', 'replace', 'temporary', 'temp', 'if', 'not', 'exists', 'unique', 'materialized']);

/** `create or replace table …` → `CREATE TABLE`; `with … select` → `SELECT`. */
export function sqlOperation(sql: string): string {
  const words: string[] =
    sanitizeSql(sql, 400)
      .toLowerCase()
      .match(/[a-z_]+/g) ?? [];
  const [first] = words;
  if (first === undefined) return 'UNKNOWN';
  if (first === 'with') return words.includes('insert') ? 'INSERT' : 'SELECT';
  if (!TWO_WORDS.has(first)) return first.toUpperCase();
  const second = words.slice(1).find((w) => !SKIP.has(w));
  return second ? `${first} ${second}`.toUpperCase() : first.toUpperCase();
}

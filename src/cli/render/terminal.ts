/**
 * Terminal output: colors only on a terminal (and never with NO_COLOR), tables that line up,
 * and one place that knows whether the output is for a person or a script.
 */
import Table from 'cli-table3';
import picocolors from 'picocolors';

/** Colors for stdout: on only for a terminal, and never with NO_COLOR (picocolors checks it). */
export const pc = picocolors.createColors(picocolors.isColorSupported && Boolean(process.stdout.isTTY));

export interface Output {
  readonly json: boolean;
  readonly interactive: boolean;
  readonly color: boolean;
  /** Human text to stdout (suppressed with --json). */
  line(text?: string): void;
  /** A JSON document to stdout (only with --json). */
  data(value: unknown): void;
  /** Messages about the work (progress, warnings) to stderr. */
  note(text: string): void;
}

let documentsWritten = 0;

/** Whether a command already wrote its JSON document (then an error adds no second one). */
export function jsonDocumentWritten(): boolean {
  return documentsWritten > 0;
}

export function createOutput({ json }: { readonly json: boolean }): Output {
  const interactive = Boolean(process.stdout.isTTY) && !json;
  const color = picocolors.isColorSupported && interactive;
  return {
    json,
    interactive,
    color,
    line(text = '') {
      if (!json) process.stdout.write(`${text}\n`);
    },
    data(value) {
      if (!json) return;
      documentsWritten++;
      process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
    },
    note(text) {
      process.stderr.write(`${text}\n`);
    },
  };
}

/** bigint is not JSON; large integers are written as numbers when exact, else as strings. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

export function renderTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly ('left' | 'right')[],
): string {
  const table = new Table({
    head: head.map((h) => pc.bold(h)),
    style: { head: [], border: pc.isColorSupported ? ['gray'] : [], compact: true },
    ...(align ? { colAligns: [...align] } : {}),
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows) table.push([...row]);
  return table.toString();
}

export function formatCount(n: number | undefined): string {
  return n === undefined ? pc.dim('—') : n.toLocaleString('en-US');
}

export const status = {
  ok: (text: string) => pc.green(text),
  fail: (text: string) => pc.red(text),
  warn: (text: string) => pc.yellow(text),
  dim: (text: string) => pc.dim(text),
  bold: (text: string) => pc.bold(text),
};

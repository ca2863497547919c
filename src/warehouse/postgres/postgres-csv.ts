/**
 * A small RFC 4180 CSV reader for unit-test fixtures (no CSV package is installed, and DuckDB's
 * reader cannot feed another engine): a header row, fields separated by commas, optionally quoted
 * with `"` (a doubled quote inside is one quote), quoted fields may hold commas and line breaks,
 * CRLF or LF line ends. An unquoted empty field is NULL, a quoted one the empty string, as
 * DuckDB's `read_csv` reads them.
 */
import { InvalidArgumentError } from '../../core/errors.js';

export interface CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly (string | null)[])[];
}

/** Parses `text`; `file` names the input in errors. */
export function parseCsv(text: string, file: string): CsvTable {
  const records: (string | null)[][] = [];
  let record: (string | null)[] = [];
  let field = '';
  let quoted = false;
  let inQuotes = false;
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endField = (): void => {
    record.push(field === '' && !quoted ? null : field);
    field = '';
    quoted = false;
  };
  const endRecord = (): void => {
    endField();
    // A blank line (one NULL field) is no record.
    if (!(record.length === 1 && record[0] === null)) records.push(record);
    record = [];
  };
  for (; i < text.length; i += 1) {
    const char = text[i] as string;
    if (inQuotes) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') inQuotes = false;
      else {
        if (char === '\n') line += 1;
        field += char;
      }
    } else if (char === '"' && field === '') {
      inQuotes = true;
      quoted = true;
    } else if (char === ',') endField();
    else if (char === '\n' || (char === '\r' && text[i + 1] === '\n')) {
      if (char === '\r') i += 1;
      endRecord();
      line += 1;
    } else field += char;
  }
  if (inQuotes) throw new InvalidArgumentError(`${file}:${line}: a quoted field is never closed`);
  if (field !== '' || quoted || record.length > 0) endRecord();
  const [header, ...rows] = records;
  if (header === undefined)
    throw new InvalidArgumentError(`${file}: the CSV file is empty (it needs a header row)`);
  const names = header.map((name, index) => name ?? `column${index}`);
  rows.forEach((row, index) => {
    if (row.length !== names.length) {
      throw new InvalidArgumentError(
        `${file}: row ${index + 2} has ${row.length} fields, the header ${names.length}`,
      );
    }
  });
  return { header: names, rows };
}

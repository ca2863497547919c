/**
 * The PostgreSQL protocol messages query serving reads and writes after start-up (pg-gateway
 * handles the SSL negotiation, TLS and the start-up message): the frontend's Query, Parse, Bind,
 * Describe, Execute, Close, Sync and Password messages, parsed from their bytes, and the backend
 * messages encoded with the connection's own writer (pg-protocol's, which pg-gateway writes with).
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import type { PostgresConnection } from 'pg-gateway';

export type FrontendMessage =
  | { readonly kind: 'query'; readonly sql: string }
  | {
      readonly kind: 'parse';
      readonly name: string;
      readonly sql: string;
      readonly paramTypes: readonly number[];
    }
  | {
      readonly kind: 'bind';
      readonly portal: string;
      readonly statement: string;
      /** Text values (null for SQL NULL); binary-format values are refused by the session. */
      readonly values: readonly (string | null)[];
      readonly binary: boolean;
    }
  | { readonly kind: 'describe'; readonly target: 'S' | 'P'; readonly name: string }
  | { readonly kind: 'execute'; readonly portal: string; readonly maxRows: number }
  | { readonly kind: 'close'; readonly target: 'S' | 'P'; readonly name: string }
  | { readonly kind: 'sync' }
  | { readonly kind: 'flush' }
  | { readonly kind: 'password'; readonly password: string }
  | { readonly kind: 'terminate' }
  | { readonly kind: 'other'; readonly code: string };

/** Parses one frontend message (type byte, length, body). */
export function parseFrontendMessage(data: Uint8Array): FrontendMessage {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const code = String.fromCharCode(buffer[0] ?? 0);
  const reader = new ByteReader(buffer, 5);
  switch (code) {
    case 'Q':
      return { kind: 'query', sql: reader.cstring() };
    case 'P': {
      const name = reader.cstring();
      const sql = reader.cstring();
      const count = reader.int16();
      const paramTypes = Array.from({ length: count }, () => reader.int32());
      return { kind: 'parse', name, sql, paramTypes };
    }
    case 'B': {
      const portal = reader.cstring();
      const statement = reader.cstring();
      const formatCount = reader.int16();
      const formats = Array.from({ length: formatCount }, () => reader.int16());
      const valueCount = reader.int16();
      const values: (string | null)[] = [];
      let binary = false;
      for (let i = 0; i < valueCount; i += 1) {
        const length = reader.int32();
        const format = formats.length === 1 ? formats[0] : formats[i];
        if (format === 1) binary = true;
        values.push(length < 0 ? null : reader.bytes(length).toString('utf8'));
      }
      return { kind: 'bind', portal, statement, values, binary };
    }
    case 'D':
      return { kind: 'describe', target: reader.char() === 'S' ? 'S' : 'P', name: reader.cstring() };
    case 'E':
      return { kind: 'execute', portal: reader.cstring(), maxRows: reader.int32() };
    case 'C':
      return { kind: 'close', target: reader.char() === 'S' ? 'S' : 'P', name: reader.cstring() };
    case 'S':
      return { kind: 'sync' };
    case 'H':
      return { kind: 'flush' };
    case 'p':
      return { kind: 'password', password: reader.cstring() };
    case 'X':
      return { kind: 'terminate' };
    default:
      return { kind: 'other', code };
  }
}

class ByteReader {
  readonly #buffer: Buffer;
  #offset: number;

  constructor(buffer: Buffer, offset: number) {
    this.#buffer = buffer;
    this.#offset = offset;
  }

  cstring(): string {
    const end = this.#buffer.indexOf(0, this.#offset);
    const stop = end < 0 ? this.#buffer.length : end;
    const text = this.#buffer.toString('utf8', this.#offset, stop);
    this.#offset = stop + 1;
    return text;
  }

  char(): string {
    return String.fromCharCode(this.#buffer[this.#offset++] ?? 0);
  }

  int16(): number {
    const value = this.#buffer.readInt16BE(this.#offset);
    this.#offset += 2;
    return value;
  }

  int32(): number {
    const value = this.#buffer.readInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  bytes(length: number): Buffer {
    const value = this.#buffer.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }
}

/** A column of a RowDescription: name and type OID (values are always sent as text). */
export interface WireColumn {
  readonly name: string;
  readonly typeOid: number;
}

export interface WireError {
  readonly severity: 'ERROR' | 'FATAL';
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

/** Encodes backend messages; each method returns one message's bytes. */
export class BackendMessages {
  readonly #writer: PostgresConnection['writer'];

  constructor(writer: PostgresConnection['writer']) {
    this.#writer = writer;
  }

  authenticationOk(): Buffer {
    return this.#writer.addInt32(0).flush(0x52);
  }

  parameterStatus(name: string, value: string): Buffer {
    return this.#writer.addCString(name).addCString(value).flush(0x53);
  }

  backendKeyData(pid: number, secret: number): Buffer {
    return this.#writer.addInt32(pid).addInt32(secret).flush(0x4b);
  }

  readyForQuery(status: 'I' | 'T' | 'E'): Buffer {
    return this.#writer.addString(status).flush(0x5a);
  }

  rowDescription(columns: readonly WireColumn[]): Buffer {
    this.#writer.addInt16(columns.length);
    for (const column of columns) {
      this.#writer
        .addCString(column.name)
        .addInt32(0) // table OID
        .addInt16(0) // column number
        .addInt32(column.typeOid)
        .addInt16(-1) // type size
        .addInt32(-1) // type modifier
        .addInt16(0); // text format
    }
    return this.#writer.flush(0x54);
  }

  dataRow(values: readonly (string | null)[]): Buffer {
    this.#writer.addInt16(values.length);
    for (const value of values) {
      if (value === null) {
        this.#writer.addInt32(-1);
      } else {
        const bytes = Buffer.from(value, 'utf8');
        this.#writer.addInt32(bytes.length).add(bytes);
      }
    }
    return this.#writer.flush(0x44);
  }

  commandComplete(tag: string): Buffer {
    return this.#writer.addCString(tag).flush(0x43);
  }

  emptyQuery(): Buffer {
    return this.#writer.flush(0x49);
  }

  parseComplete(): Buffer {
    return this.#writer.flush(0x31);
  }

  bindComplete(): Buffer {
    return this.#writer.flush(0x32);
  }

  closeComplete(): Buffer {
    return this.#writer.flush(0x33);
  }

  noData(): Buffer {
    return this.#writer.flush(0x6e);
  }

  parameterDescription(typeOids: readonly number[]): Buffer {
    this.#writer.addInt16(typeOids.length);
    for (const oid of typeOids) this.#writer.addInt32(oid);
    return this.#writer.flush(0x74);
  }

  notice(message: string): Buffer {
    this.#writer.addString('S').addCString('NOTICE');
    this.#writer.addString('V').addCString('NOTICE');
    this.#writer.addString('C').addCString('01000');
    this.#writer.addString('M').addCString(message);
    this.#writer.addCString('');
    return this.#writer.flush(0x4e);
  }

  error(error: WireError): Buffer {
    this.#writer.addString('S').addCString(error.severity);
    this.#writer.addString('V').addCString(error.severity);
    this.#writer.addString('C').addCString(error.code);
    this.#writer.addString('M').addCString(error.message);
    if (error.hint) this.#writer.addString('H').addCString(error.hint);
    this.#writer.addCString('');
    return this.#writer.flush(0x45);
  }
}

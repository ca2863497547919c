/**
 * One PostgreSQL-protocol connection after start-up: the API token checked as the password, the
 * simple query protocol (psql) and the extended protocol (Parse/Bind/Describe/Execute/Sync: every
 * driver's parameterised queries), SET/SHOW and transaction statements answered by the session,
 * catalog queries by `pg-catalog.ts`, and every other statement read through the operator's
 * `EnvironmentReader` (the warehouse's sandbox) on the session's environment. Messages of one
 * connection are handled one after another (pg-gateway waits for each), so a session needs no
 * locking; a cancel request or a closed socket aborts the statement that runs.
 */
import type { EnvironmentReader } from '../../operator/environment-reads.js';
import type { Actor } from '../../operator/operator-backend.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ReadResult, SqlValue } from '../../warehouse/warehouse.js';
import type { ApiTokens } from '../api-tokens.js';
import { type CatalogSchema, catalogAnswer, type WireResult } from './pg-catalog.js';
import { logMessage, wireError } from './pg-errors.js';
import {
  type BackendMessages,
  type FrontendMessage,
  parseFrontendMessage,
  type WireError,
} from './pg-messages.js';
import { textValue, typeOid } from './pg-types.js';

/** The server version clients see: psql and drivers choose their catalog queries by it. */
export const SERVER_VERSION = '15.0';

export interface SessionOptions {
  readonly reader: EnvironmentReader;
  readonly tokens: ApiTokens;
  readonly messages: BackendMessages;
  readonly send: (data: Uint8Array) => void;
  readonly close: () => void;
  readonly logger: Logger | undefined;
  /** The connection's start-up parameters (`user`, `database`, `application_name`…). */
  readonly parameters: Readonly<Record<string, string>>;
  readonly pid: number;
  readonly secret: number;
  readonly catalog: () => Promise<readonly CatalogSchema[]>;
  readonly statementTimeoutMs: number;
}

interface Portal {
  readonly sql: string;
  readonly params: readonly SqlValue[];
  outcome?: Promise<Outcome>;
}

type Outcome =
  | { readonly kind: 'rows'; readonly result: WireResult; readonly notice?: string }
  | {
      readonly kind: 'command';
      readonly tag: string;
    }
  | { readonly kind: 'empty' };

const STATIC_SETTINGS: Readonly<Record<string, string>> = {
  server_version: SERVER_VERSION,
  server_version_num: '150000',
  server_encoding: 'UTF8',
  client_encoding: 'UTF8',
  datestyle: 'ISO, YMD',
  timezone: 'UTC',
  integer_datetimes: 'on',
  standard_conforming_strings: 'on',
  transaction_isolation: 'repeatable read',
  default_transaction_isolation: 'repeatable read',
  transaction_read_only: 'on',
  default_transaction_read_only: 'on',
  max_identifier_length: '63',
  is_superuser: 'off',
  intervalstyle: 'postgres',
  lc_messages: 'C',
  extra_float_digits: '1',
};

export class PgSession {
  readonly #o: SessionOptions;
  #actor: Actor | undefined;
  #environment = '';
  readonly #settings = new Map<string, string>();
  readonly #statements = new Map<string, { readonly sql: string; readonly paramTypes: readonly number[] }>();
  readonly #portals = new Map<string, Portal>();
  #failedUntilSync = false;
  #inTransaction = false;
  #running: AbortController | undefined;

  constructor(options: SessionOptions) {
    this.#o = options;
  }

  get actor(): Actor | undefined {
    return this.#actor;
  }

  /** Interrupts the statement that runs (a cancel request, or the client went away). */
  cancel(): void {
    this.#running?.abort(new DOMException('canceling statement due to user request', 'AbortError'));
  }

  async handle(data: Uint8Array): Promise<void> {
    const message = parseFrontendMessage(data);
    try {
      await this.#dispatch(message);
    } catch (error) {
      this.#o.logger?.error({ err: error }, 'pg-wire message failed');
      this.#error(wireError(error));
      if (message.kind === 'query') this.#ready();
    }
  }

  /** Checks the password message (an API token); true when the session may go on. */
  authenticate(data: Uint8Array): boolean {
    const message = parseFrontendMessage(data);
    const actor = message.kind === 'password' ? this.#o.tokens.authenticate(message.password) : undefined;
    if (!actor) {
      const user = this.#o.parameters['user'] ?? '';
      this.#error({
        severity: 'FATAL',
        code: '28P01',
        message: `password authentication failed for user "${user}"`,
        hint: 'the password is a Slipway API token (SLIPWAY_API_TOKENS)',
      });
      this.#o.close();
      return false;
    }
    this.#actor = actor;
    const environments = this.#o.reader.environments();
    const database = this.#o.parameters['database'] ?? '';
    this.#environment = environments.includes(database)
      ? database
      : environments.includes('prod')
        ? 'prod'
        : (environments[0] ?? 'prod');
    const m = this.#o.messages;
    this.#o.send(m.authenticationOk());
    for (const [name, value] of Object.entries({
      server_version: SERVER_VERSION,
      server_encoding: 'UTF8',
      client_encoding: 'UTF8',
      DateStyle: 'ISO, YMD',
      TimeZone: 'UTC',
      integer_datetimes: 'on',
      standard_conforming_strings: 'on',
      IntervalStyle: 'postgres',
      is_superuser: 'off',
      session_authorization: this.#o.parameters['user'] ?? actor.name,
      application_name: this.#o.parameters['application_name'] ?? '',
    })) {
      this.#o.send(m.parameterStatus(name, value));
    }
    this.#o.send(m.backendKeyData(this.#o.pid, this.#o.secret));
    this.#ready();
    return true;
  }

  async #dispatch(message: FrontendMessage): Promise<void> {
    const m = this.#o.messages;
    if (message.kind === 'sync') {
      this.#failedUntilSync = false;
      this.#ready();
      return;
    }
    if (message.kind === 'terminate') {
      this.#o.close();
      return;
    }
    if (message.kind === 'query') {
      this.#failedUntilSync = false;
      const outcome = await this.#run(message.sql, []).catch((error: unknown) => this.#failed(error));
      if (outcome) this.#sendOutcome(outcome, true);
      this.#ready();
      return;
    }
    // The extended protocol: after an error everything up to Sync is discarded.
    if (this.#failedUntilSync) return;
    try {
      switch (message.kind) {
        case 'parse':
          this.#statements.set(message.name, { sql: message.sql, paramTypes: message.paramTypes });
          this.#o.send(m.parseComplete());
          return;
        case 'bind': {
          const statement = this.#statements.get(message.statement);
          if (!statement)
            throw wireFailure('26000', `prepared statement "${message.statement}" does not exist`);
          if (message.binary)
            throw wireFailure('0A000', 'binary-format parameters are not supported; send text');
          const params = message.values.map((value, index) => paramValue(value, statement.paramTypes[index]));
          this.#portals.set(message.portal, { sql: statement.sql, params });
          this.#o.send(m.bindComplete());
          return;
        }
        case 'describe': {
          if (message.target === 'S') {
            const statement = this.#statements.get(message.name);
            if (!statement) throw wireFailure('26000', `prepared statement "${message.name}" does not exist`);
            const count = Math.max(statement.paramTypes.length, highestParameter(statement.sql));
            this.#o.send(
              m.parameterDescription(Array.from({ length: count }, (_, i) => statement.paramTypes[i] || 25)),
            );
            this.#o.send(m.noData());
            return;
          }
          const portal = this.#portal(message.name);
          portal.outcome ??= this.#run(portal.sql, portal.params);
          const outcome = await portal.outcome;
          this.#o.send(outcome.kind === 'rows' ? m.rowDescription(outcome.result.columns) : m.noData());
          return;
        }
        case 'execute': {
          const portal = this.#portal(message.portal);
          portal.outcome ??= this.#run(portal.sql, portal.params);
          this.#sendOutcome(await portal.outcome, false);
          this.#portals.delete(message.portal);
          return;
        }
        case 'close':
          if (message.target === 'S') this.#statements.delete(message.name);
          else this.#portals.delete(message.name);
          this.#o.send(m.closeComplete());
          return;
        case 'flush':
          return;
        default:
          throw wireFailure(
            '08P01',
            `unsupported protocol message ${JSON.stringify(message.kind === 'other' ? message.code : message.kind)}`,
          );
      }
    } catch (error) {
      this.#failedUntilSync = true;
      this.#failed(error);
    }
  }

  #portal(name: string): Portal {
    const portal = this.#portals.get(name);
    if (!portal) throw wireFailure('34000', `portal "${name}" does not exist`);
    return portal;
  }

  /** Reports `error` to the client (and logs what is not the client's fault). */
  #failed(error: unknown): undefined {
    const wire = error instanceof WireFailure ? error.wire : wireError(error);
    if (wire.code === 'XX000')
      this.#o.logger?.error({ err: error, message: logMessage(error) }, 'pg-wire read failed');
    this.#error(wire);
    return undefined;
  }

  #sendOutcome(outcome: Outcome, withDescription: boolean): void {
    const m = this.#o.messages;
    if (outcome.kind === 'empty') {
      this.#o.send(m.emptyQuery());
      return;
    }
    if (outcome.kind === 'command') {
      this.#o.send(m.commandComplete(outcome.tag));
      return;
    }
    if (withDescription) this.#o.send(m.rowDescription(outcome.result.columns));
    for (const row of outcome.result.rows) this.#o.send(m.dataRow(row));
    if (outcome.notice) this.#o.send(m.notice(outcome.notice));
    this.#o.send(m.commandComplete(outcome.result.tag));
  }

  async #run(sql: string, params: readonly SqlValue[]): Promise<Outcome> {
    const text = sql.trim().replace(/;\s*$/, '').trim();
    if (text === '') return { kind: 'empty' };
    const session = this.#sessionStatement(text);
    if (session) return session;
    const catalog = await catalogAnswer(text, this.#o.catalog, this.#environment);
    if (catalog) return { kind: 'rows', result: catalog };
    const controller = new AbortController();
    this.#running = controller;
    try {
      const others = this.#o.reader.environments().filter((e) => e !== this.#environment);
      const result = await this.#o.reader.read({
        environment: this.#environment,
        alsoReadable: others,
        sql: text,
        params,
        maxRows: Number.MAX_SAFE_INTEGER,
        signal: controller.signal,
      });
      return {
        kind: 'rows',
        result: wireResult(result),
        ...(result.truncated
          ? { notice: `the result was cut at ${result.rows.length} rows (the operator's row cap)` }
          : {}),
      };
    } finally {
      this.#running = undefined;
    }
  }

  /** SET, SHOW, transaction control and version(): answered by the session itself. */
  #sessionStatement(text: string): Outcome | undefined {
    if (/^(BEGIN|START TRANSACTION)\b/i.test(text)) {
      this.#inTransaction = true;
      return { kind: 'command', tag: 'BEGIN' };
    }
    if (/^(COMMIT|END|ROLLBACK|ABORT)\b/i.test(text)) {
      this.#inTransaction = false;
      return { kind: 'command', tag: /^(COMMIT|END)/i.test(text) ? 'COMMIT' : 'ROLLBACK' };
    }
    if (/^(DISCARD|DEALLOCATE|RESET|UNLISTEN)\b/i.test(text)) {
      return { kind: 'command', tag: text.split(/\s+/)[0]?.toUpperCase() ?? 'RESET' };
    }
    const set = /^SET\s+(?:SESSION\s+|LOCAL\s+)?([A-Za-z_][\w.]*)\s*(?:=|\bTO\b)\s*(.+)$/is.exec(text);
    if (set) {
      const name = (set[1] ?? '').toLowerCase();
      const value = (set[2] ?? '').trim().replace(/^'(.*)'$/s, '$1');
      if (name === 'search_path') {
        const first =
          value
            .split(',')[0]
            ?.trim()
            .replace(/^"(.*)"$/, '$1') ?? '';
        const environments = this.#o.reader.environments();
        if (!environments.includes(first)) {
          throw wireFailure(
            '3F000',
            `schema "${first}" does not exist`,
            `the schemas are the environments: ${environments.join(', ')}`,
          );
        }
        this.#environment = first;
      } else if (name === 'statement_timeout') {
        throw wireFailure('42501', 'statement_timeout is set by the operator for every read');
      } else {
        this.#settings.set(name, value);
      }
      return { kind: 'command', tag: 'SET' };
    }
    if (/^SET\s+(TRANSACTION|SESSION CHARACTERISTICS)\b/i.test(text)) return { kind: 'command', tag: 'SET' };
    const show = /^SHOW\s+([A-Za-z_][\w.]*)$/i.exec(text);
    if (show) {
      const name = (show[1] ?? '').toLowerCase();
      const value = this.#setting(name);
      if (value === undefined)
        throw wireFailure('42704', `unrecognized configuration parameter "${show[1]}"`);
      return { kind: 'rows', result: { columns: [{ name, typeOid: 25 }], rows: [[value]], tag: 'SHOW' } };
    }
    if (/^SELECT\s+(pg_catalog\.)?version\(\)$/i.test(text)) {
      const version = `PostgreSQL ${SERVER_VERSION} (Slipway query serving; the data is read from the operator's warehouse)`;
      return {
        kind: 'rows',
        result: { columns: [{ name: 'version', typeOid: 25 }], rows: [[version]], tag: 'SELECT 1' },
      };
    }
    return undefined;
  }

  #setting(name: string): string | undefined {
    if (name === 'search_path') return this.#environment;
    if (name === 'statement_timeout') return `${this.#o.statementTimeoutMs}ms`;
    if (name === 'application_name')
      return this.#settings.get(name) ?? this.#o.parameters['application_name'] ?? '';
    return this.#settings.get(name) ?? STATIC_SETTINGS[name];
  }

  #ready(): void {
    this.#o.send(this.#o.messages.readyForQuery(this.#inTransaction ? 'T' : 'I'));
  }

  #error(error: WireError): void {
    this.#o.send(this.#o.messages.error(error));
  }
}

class WireFailure extends Error {
  readonly wire: WireError;

  constructor(wire: WireError) {
    super(wire.message);
    this.wire = wire;
  }
}

function wireFailure(code: string, message: string, hint?: string): WireFailure {
  return new WireFailure({ severity: 'ERROR', code, message, ...(hint ? { hint } : {}) });
}

/** A text parameter as the engine binds it, by the type the client declared (if it did). */
function paramValue(value: string | null, oid: number | undefined): SqlValue {
  if (value === null) return null;
  if (oid === 16) return value === 't' || value === 'true';
  if (oid === 20 || oid === 21 || oid === 23)
    return Number.isSafeInteger(Number(value)) ? Number(value) : BigInt(value);
  if (oid === 700 || oid === 701) return Number(value);
  return value;
}

function highestParameter(sql: string): number {
  let highest = 0;
  for (const match of sql.matchAll(/\$(\d+)/g)) highest = Math.max(highest, Number(match[1]));
  return highest;
}

function wireResult(result: ReadResult): WireResult {
  return {
    columns: result.columns.map((column) => ({ name: column.name, typeOid: typeOid(column.type) })),
    rows: result.rows.map((row) => result.columns.map((column) => textValue(row[column.name], column.type))),
    tag: `SELECT ${result.rows.length}`,
  };
}

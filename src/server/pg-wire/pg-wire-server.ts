/**
 * Query serving over the PostgreSQL wire protocol, on a port of its own, so psql, BI tools and
 * every `pg` driver read the environments. pg-gateway (a maintained protocol library) runs the
 * connection's start: the SSL request and the TLS upgrade when a certificate is configured, the
 * start-up message and the cleartext password request (the password is an API token; use TLS off
 * loopback). From the password on, `PgSession` speaks for the connection. Connections beyond
 * `maxConnections` are refused with SQLSTATE 53300; a CancelRequest interrupts the statement of
 * the session whose key it names.
 */
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { PostgresConnection } from 'pg-gateway';
import { SlipwayError } from '../../core/errors.js';
import type { EnvironmentReader } from '../../operator/environment-reads.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ApiTokens } from '../api-tokens.js';
import type { CatalogSchema } from './pg-catalog.js';
import { BackendMessages } from './pg-messages.js';
import { PgSession } from './pg-session.js';

export interface PgWireServerOptions {
  readonly reader: EnvironmentReader;
  readonly tokens: ApiTokens;
  readonly port: number;
  readonly host?: string;
  /** PEM files; with both, clients may (and should) connect with TLS. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Connections served at once; more are refused (SQLSTATE 53300). Default 200. */
  readonly maxConnections?: number;
  /** What `SHOW statement_timeout` says (the reader enforces it). */
  readonly statementTimeoutMs: number;
  readonly logger?: Logger;
}

export interface RunningPgWireServer {
  readonly port: number;
  readonly host: string;
  /** Connections open now. */
  connections(): number;
  close(): Promise<void>;
}

const CANCEL_REQUEST_CODE = 80877102;
const CATALOG_OID_BASE = 20_000;
const CATALOG_OID_STRIDE = 10_000;

/**
 * @example
 * const pg = await startPgWireServer({ reader, tokens, port: 5433, statementTimeoutMs: 30_000 });
 * // psql "postgresql://analyst@127.0.0.1:5433/prod" (password: an API token)
 * await pg.close();
 */
export async function startPgWireServer(options: PgWireServerOptions): Promise<RunningPgWireServer> {
  const host = options.host ?? '127.0.0.1';
  const maxConnections = options.maxConnections ?? 200;
  const tls = options.tls
    ? { cert: await readFile(options.tls.certFile), key: await readFile(options.tls.keyFile) }
    : undefined;
  const sessions = new Map<number, { readonly secret: number; readonly session: PgSession }>();
  const sockets = new Set<net.Socket>();
  const catalog = catalogLoader(options.reader);
  let nextPid = 1000;

  const server = net.createServer(function acceptPgConnection(socket) {
    sockets.add(socket);
    const pid = nextPid++;
    const secret = randomInt(1, 2 ** 31 - 1);
    let session: PgSession | undefined;
    // Messages are handled one after another on this chain.
    let chain: Promise<void> = Promise.resolve();
    // Each answer is several small messages: without this, Nagle's algorithm holds the last ones
    // back until the client's delayed ACK (tens of ms per query).
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      sessions.delete(pid);
      session?.cancel();
    });
    const connection: PostgresConnection = new PostgresConnection(socket, {
      authMode: 'cleartextPassword',
      ...(tls ? { tls } : {}),
      onMessage(data, state) {
        if (!state.hasStarted) {
          const buffer = Buffer.from(data);
          if (buffer.length === 16 && buffer.readInt32BE(4) === CANCEL_REQUEST_CODE) {
            const target = sessions.get(buffer.readInt32BE(8));
            if (target && target.secret === buffer.readInt32BE(12)) target.session.cancel();
            connection.socket.end();
            return true;
          }
          return false;
        }
        if (session) return true;
        // The first message after start-up is the password (the client waits for our answer).
        const messages = new BackendMessages(connection.writer);
        if (sessions.size >= maxConnections) {
          connection.sendData(
            messages.error({ severity: 'FATAL', code: '53300', message: 'sorry, too many clients already' }),
          );
          connection.socket.end();
          return true;
        }
        const current = new PgSession({
          reader: options.reader,
          tokens: options.tokens,
          messages,
          send: (bytes) => connection.sendData(bytes),
          close: () => connection.socket.end(),
          logger: options.logger,
          parameters: state.clientInfo?.parameters ?? { user: '' },
          pid,
          secret,
          catalog,
          statementTimeoutMs: options.statementTimeoutMs,
        });
        session = current;
        if (!current.authenticate(Buffer.from(data))) return true;
        sessions.set(pid, { secret, session: current });
        // From here on the session frames the messages itself: pg-gateway 0.2.4 slices the second
        // and later messages of one TCP chunk wrongly (`subarray(offset, length)`), and every
        // driver pipelines Parse/Bind/Describe/Execute/Sync in one chunk.
        const stream = connection.detach();
        const framer = messageFramer((message) => {
          chain = chain.then(() => current.handle(message));
        });
        stream.on('data', framer);
        return true;
      },
    });
  });
  server.maxConnections = maxConnections * 2;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    host,
    connections: () => sessions.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * The environments with their relations and columns, read through the sandbox (each environment's
 * own `information_schema`), with stable OIDs per environment and relation name.
 */
function catalogLoader(reader: EnvironmentReader): () => Promise<readonly CatalogSchema[]> {
  return async function loadCatalog() {
    const environments = [...reader.environments()].sort();
    return Promise.all(
      environments.map(async (environment, index): Promise<CatalogSchema> => {
        // An environment nothing was released to yet is a schema without relations.
        const rows = await reader
          .read({
            environment,
            sql: 'select table_name, column_name, data_type from information_schema.columns where table_schema = $1 order by table_name, ordinal_position',
            params: [environment],
            maxRows: 100_000,
          })
          .then(
            (result) => result.rows,
            (error: unknown) => {
              if (error instanceof SlipwayError && error.code === 'not_found') return [];
              throw error;
            },
          );
        const byRelation = new Map<string, { name: string; type: string }[]>();
        for (const row of rows) {
          const relation = String(row['table_name']);
          const columns = byRelation.get(relation) ?? [];
          columns.push({ name: String(row['column_name']), type: String(row['data_type']) });
          byRelation.set(relation, columns);
        }
        const oid = CATALOG_OID_BASE + index * CATALOG_OID_STRIDE;
        return {
          oid,
          name: environment,
          relations: [...byRelation.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .slice(0, CATALOG_OID_STRIDE - 1)
            .map(([name, columns], i) => ({ oid: oid + i + 1, name, columns })),
        };
      }),
    );
  };
}

/** Splits a byte stream into protocol messages (type byte, int32 length including itself, body). */
function messageFramer(onMessage: (message: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return function frameMessages(chunk) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 5) {
      const end = 1 + pending.readUInt32BE(1);
      if (pending.length < end) break;
      onMessage(Buffer.from(pending.subarray(0, end)));
      pending = pending.subarray(end);
    }
  };
}

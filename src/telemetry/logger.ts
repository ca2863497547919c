/**
 * The structured logger (pino). Not on a terminal it writes JSON lines (for Splunk, CloudWatch,
 * `jq`); on a terminal (or with `--log-format pretty`), short readable lines. Every line carries
 * the active trace id. Keys that look like secrets are redacted, and so are secret values
 * anywhere in the line (environment secrets, URL passwords, tokens: `logs/secret-redactor.ts`)
 * before anything is written. Further sinks (a rotating file, Splunk HEC) always get JSON.
 */
import { Writable } from 'node:stream';
import pc from 'picocolors';
import { type Logger, pino } from 'pino';
import { createSecretRedactor, type SecretRedactor } from './logs/secret-redactor.js';
import { activeTraceId } from './tracer.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level?: string;
  /** Default `SLIPWAY_LOG_FORMAT` (`--log-format`), else JSON unless the destination is a terminal. */
  readonly format?: 'json' | 'pretty';
  readonly destination?: NodeJS.WritableStream;
  /** More places every line goes, as JSON (a rotating file, Splunk HEC). */
  readonly sinks?: readonly LogSink[];
  /** Default: the secrets of this process's environment. */
  readonly redactor?: SecretRedactor;
}

/** Somewhere log lines go besides the log stream. */
export interface LogSink {
  write(line: string): boolean;
}

export type LogFormat = 'json' | 'pretty';

/** `--log-format`'s value, or the default for the stream (pretty only on a terminal). */
export function logFormat(
  value: string | undefined,
  stream: { isTTY?: boolean } = process.stderr,
): LogFormat {
  if (value === 'json' || value === 'pretty') return value;
  return stream.isTTY ? 'pretty' : 'json';
}

const REDACT = [
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  'password',
  'token',
  'secret',
  'authorization',
];

export function createLogger({
  level = process.env['SLIPWAY_LOG_LEVEL'] ?? 'info',
  destination = process.stderr,
  format = logFormat(process.env['SLIPWAY_LOG_FORMAT'], destination as { isTTY?: boolean }),
  sinks = [],
  redactor = createSecretRedactor(),
}: LoggerOptions = {}): Logger {
  const main = format === 'json' ? destination : prettyStream(destination);
  const stream =
    sinks.length === 0
      ? main
      : pino.multistream([
          { level: 'trace', stream: main },
          ...sinks.map((sink) => ({ level: 'trace' as const, stream: sink })),
        ]);
  return pino(
    {
      level,
      base: { service: 'slipway' },
      redact: { paths: REDACT, censor: '[redacted]' },
      hooks: { streamWrite: (line) => redactor.redact(line) },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin() {
        const traceId = activeTraceId();
        return traceId ? { trace_id: traceId } : {};
      },
    },
    stream,
  );
}

const LEVEL_LABELS: Readonly<Record<number, string>> = {
  10: pc.gray('trace'),
  20: pc.gray('debug'),
  30: pc.cyan('info '),
  40: pc.yellow('warn '),
  50: pc.red('error'),
  60: pc.red('fatal'),
};

/** Formats pino's JSON lines for a person at a terminal. */
function prettyStream(destination: NodeJS.WritableStream): Writable {
  return new Writable({
    write: function writePrettyLine(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        const {
          level,
          time,
          msg,
          service: _service,
          trace_id: _traceId,
          ...rest
        } = JSON.parse(line) as Record<string, unknown>;
        const extras = Object.entries(rest)
          .map(([k, v]) => `${pc.dim(k)}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        const clock = typeof time === 'string' ? time.slice(11, 19) : '';
        destination.write(
          `${pc.dim(clock)} ${LEVEL_LABELS[Number(level)] ?? String(level)} ${String(msg ?? '')} ${extras}\n`,
        );
      }
      done();
    },
  });
}

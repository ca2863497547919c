/**
 * The structured logger (pino). Not on a terminal it writes JSON lines (for Splunk, CloudWatch,
 * `jq`); on a terminal, short readable lines. Every line carries the active trace id. Keys that
 * look like secrets are redacted before anything is written.
 */
import { Writable } from 'node:stream';
import pc from 'picocolors';
import { type Logger, pino } from 'pino';
import { activeTraceId } from './tracer.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level?: string;
  /** Defaults to JSON when stderr is not a terminal. */
  readonly format?: 'json' | 'pretty';
  readonly destination?: NodeJS.WritableStream;
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
  format = process.stderr.isTTY ? 'pretty' : 'json',
  destination = process.stderr,
}: LoggerOptions = {}): Logger {
  const stream = format === 'json' ? destination : prettyStream(destination);
  return pino(
    {
      level,
      base: { service: 'slipway' },
      redact: { paths: REDACT, censor: '[redacted]' },
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

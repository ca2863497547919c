/**
 * The logger a command runs with, and where its lines go: the log stream (stderr, or stdout with
 * `--log-to stdout`), a rotating file (`--log-file`), and Splunk HEC when
 * `SLIPWAY_SPLUNK_HEC_URL` is set (token from `SLIPWAY_SPLUNK_HEC_TOKEN`, index from
 * `SLIPWAY_SPLUNK_HEC_INDEX`). `close()` sends what HEC still buffers and closes the file.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import { createLogger, type Logger, type LogSink, logFormat } from '../logger.js';
import { logEventsDroppedCounter } from '../metrics/log-events-dropped.js';
import { RotatingFileSink } from './rotating-file-sink.js';
import { SplunkHecSink } from './splunk-hec-sink.js';

export interface LogPipelineOptions {
  readonly level?: string;
  /** `json`, `pretty`, or undefined for the stream's default. */
  readonly format?: string | undefined;
  readonly to?: 'stderr' | 'stdout';
  readonly file?: string | undefined;
  readonly fileMaxBytes?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export interface LogPipeline {
  readonly logger: Logger;
  readonly hec: SplunkHecSink | undefined;
  close(): Promise<void>;
}

export function openLogPipeline({
  level,
  format,
  to = 'stderr',
  file,
  fileMaxBytes,
  env = process.env,
}: LogPipelineOptions = {}): LogPipeline {
  if (format !== undefined && format !== 'json' && format !== 'pretty')
    throw new InvalidArgumentError(`--log-format must be json or pretty, not '${format}'`);
  const destination = to === 'stdout' ? process.stdout : process.stderr;
  const sinks: LogSink[] = [];
  const fileSink = file
    ? new RotatingFileSink({ file, ...(fileMaxBytes ? { maxBytes: fileMaxBytes } : {}) })
    : undefined;
  if (fileSink) sinks.push(fileSink);
  const hecUrl = env['SLIPWAY_SPLUNK_HEC_URL'];
  let hec: SplunkHecSink | undefined;
  if (hecUrl) {
    const token = env['SLIPWAY_SPLUNK_HEC_TOKEN'];
    if (!token)
      throw new InvalidArgumentError('SLIPWAY_SPLUNK_HEC_URL is set but SLIPWAY_SPLUNK_HEC_TOKEN is not');
    const index = env['SLIPWAY_SPLUNK_HEC_INDEX'];
    hec = new SplunkHecSink({
      url: hecUrl,
      token,
      dropped: logEventsDroppedCounter('splunk_hec'),
      ...(index ? { index } : {}),
    });
    sinks.push(hec);
  }
  const logger = createLogger({
    level: level ?? env['SLIPWAY_LOG_LEVEL'] ?? 'info',
    format: logFormat(format, destination),
    destination,
    sinks,
  });
  return {
    logger,
    hec,
    close: async function closeLogPipeline() {
      await hec?.close();
      fileSink?.close();
    },
  };
}

/** A debug-level JSON logger whose lines are kept in memory, for tests that read what was logged. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';

export function capturedLogger(): { readonly logger: Logger; readonly logged: () => string } {
  let text = '';
  const logger = createLogger({
    format: 'json',
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    }),
  });
  return { logger, logged: () => text };
}

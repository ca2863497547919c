/** Secrets never reach a log line: in an env var, in a connection string, and in a token. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/telemetry/logger.js';
import { createSecretRedactor } from '../../src/telemetry/logs/secret-redactor.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _e, done) {
        chunks.push(chunk.toString());
        done();
      },
    }),
    text: () => chunks.join(''),
  };
}

describe('secret redaction', () => {
  it('redacts an env var secret, a URL password and a bearer token wherever they appear in a line', () => {
    const env = {
      SLIPWAY_SLACK_WEBHOOK_URL: 'https://hooks.slack.test/T000/B000/XyZsecret42',
      HOME: '/home/ada',
    };
    const out = capture();
    const logger = createLogger({
      format: 'json',
      destination: out.stream,
      level: 'info',
      redactor: createSecretRedactor({ env }),
    });
    logger.info({ target: env.SLIPWAY_SLACK_WEBHOOK_URL }, 'posting');
    logger.warn(
      { err: new Error('connect postgres://app:s3cr3t-pw@db.internal:5432/state failed') },
      'state down',
    );
    logger.info(
      { header: 'Bearer eyJhbGciOiJIUzI1NiJ9.abc.def' },
      'request with Authorization: Splunk 1234-5678-abcd',
    );
    logger.info({ dir: env.HOME }, 'home');
    const text = out.text();
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    for (const secret of ['XyZsecret42', 's3cr3t-pw', 'eyJhbGciOiJIUzI1NiJ9', '1234-5678-abcd'])
      expect(text).not.toContain(secret);
    expect(lines[0]?.['target']).toBe('[redacted]');
    expect(text).toContain('postgres://app:[redacted]@db.internal:5432/state');
    expect(lines[2]?.['header']).toBe('Bearer [redacted]');
    expect(lines[2]?.['msg']).toBe('request with Authorization: Splunk [redacted]');
    // Not secret: kept.
    expect(lines[3]?.['dir']).toBe('/home/ada');
  });

  it('redacts password= in key/value connection strings', () => {
    const { redact } = createSecretRedactor({ env: {} });
    expect(redact('host=db user=app password=hunter22 dbname=x')).toBe(
      'host=db user=app password=[redacted] dbname=x',
    );
  });
});

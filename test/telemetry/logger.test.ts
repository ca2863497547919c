import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/telemetry/logger.js';
import { createTelemetry } from '../../src/telemetry/tracer.js';

function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logger', () => {
  it('writes JSON lines carrying the active trace id and redacting secrets', async () => {
    const out = sink();
    const logger = createLogger({ format: 'json', destination: out.stream, level: 'info' });
    const telemetry = createTelemetry();
    let traceId = '';
    await telemetry.span('work', {}, async (span) => {
      traceId = span.spanContext().traceId;
      logger.info({ model: 'fraud_alerts', token: 'hunter2', connection: { password: 'pw' } }, 'model built');
    });
    logger.info('outside any span');
    await telemetry.shutdown();
    const [inside, outside] = out.lines();
    expect(inside).toMatchObject({
      msg: 'model built',
      model: 'fraud_alerts',
      trace_id: traceId,
      token: '[redacted]',
    });
    expect(inside?.['connection']).toEqual({ password: '[redacted]' });
    expect(JSON.stringify(out.lines())).not.toContain('hunter2');
    expect(outside?.['trace_id']).toBeUndefined();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});

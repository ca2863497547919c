/**
 * The Splunk HEC log sink against a stand-in collector that implements HEC's published event
 * endpoint (test/helpers/splunk-hec-stand-in.ts; Splunk itself cannot run here).
 */

import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/telemetry/logger.js';
import { SplunkHecSink } from '../../src/telemetry/logs/splunk-hec-sink.js';
import { type HecStandIn, startHecStandIn } from '../helpers/splunk-hec-stand-in.js';

const TOKEN = '9f3c1c2e-hec-token-5b7a';
const servers: HecStandIn[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

function tally(): { inc(n?: number): void; count: number } {
  return {
    count: 0,
    inc(n = 1) {
      this.count += n;
    },
  };
}

const quiet = new Writable({ write: (_c, _e, done) => done() });

describe('SplunkHecSink', () => {
  it('sends batches of concatenated gzip events with the Splunk token, and nothing is lost on close', async () => {
    const hec = await startHecStandIn(TOKEN);
    servers.push(hec);
    const dropped = tally();
    const sink = new SplunkHecSink({
      url: hec.url,
      token: TOKEN,
      dropped,
      batchSize: 10,
      flushIntervalMs: 60_000,
    });
    const logger = createLogger({ format: 'json', destination: quiet, sinks: [sink], level: 'info' });
    for (let i = 0; i < 25; i++) logger.info({ i }, 'model built');
    await sink.close();
    expect(hec.requests.length).toBe(3);
    expect(hec.requests.every((r) => r.authorization === `Splunk ${TOKEN}` && r.encoding === 'gzip')).toBe(
      true,
    );
    expect(hec.requests.map((r) => r.events.length)).toEqual([10, 10, 5]);
    expect(hec.events().map((e) => e['i'])).toEqual([...Array(25).keys()]);
    const first = hec.requests[0]?.events[0] ?? {};
    expect(first['sourcetype']).toBe('_json');
    expect(typeof first['time']).toBe('number');
    expect(dropped.count).toBe(0);
  });

  it('retries with backoff on 503 busy (HEC code 9) and 429, then delivers', async () => {
    const hec = await startHecStandIn(TOKEN);
    servers.push(hec);
    const dropped = tally();
    const sink = new SplunkHecSink({ url: hec.url, token: TOKEN, dropped, baseBackoffMs: 5, maxRetries: 5 });
    hec.failNext(2, 503);
    sink.write(`${JSON.stringify({ msg: 'one' })}\n`);
    await sink.flush();
    hec.failNext(1, 429);
    sink.write(`${JSON.stringify({ msg: 'two' })}\n`);
    await sink.close();
    expect(hec.events().map((e) => e['msg'])).toEqual(['one', 'two']);
    expect(dropped.count).toBe(0);
  });

  it('drops and counts a batch the collector refuses for good (wrong token) without retrying it', async () => {
    const hec = await startHecStandIn(TOKEN);
    servers.push(hec);
    const dropped = tally();
    const reasons: string[] = [];
    const sink = new SplunkHecSink({
      url: hec.url,
      token: 'wrong-token',
      dropped,
      baseBackoffMs: 5,
      onGiveUp: (reason) => reasons.push(reason),
    });
    sink.write(`${JSON.stringify({ msg: 'a' })}\n${JSON.stringify({ msg: 'b' })}\n`);
    await sink.close();
    expect(dropped.count).toBe(2);
    expect(reasons).toEqual(['HTTP 403 code 4']);
    expect(hec.requests.length).toBe(0);
  });

  it('with the collector down, writing never waits: the buffer is bounded and the overflow counted', async () => {
    const hec = await startHecStandIn(TOKEN);
    const url = hec.url;
    await hec.stop(); // nothing listens on the port any more
    const dropped = tally();
    const sink = new SplunkHecSink({
      url,
      token: TOKEN,
      dropped,
      maxBuffer: 50,
      batchSize: 1000,
      maxRetries: 1,
      baseBackoffMs: 5,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 200; i++) sink.write(`${JSON.stringify({ i })}\n`);
    // All 200 writes returned at once: 50 buffered, 150 dropped before any network attempt ended.
    expect(sink.buffered).toBe(50);
    expect(dropped.count).toBe(150);
    await sink.close();
    expect(dropped.count).toBe(200);
  });
});

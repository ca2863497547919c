/** The rotating log file: whole lines, rotated by size, the oldest beyond `keep` deleted. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { RotatingFileSink } from '../../src/telemetry/logs/rotating-file-sink.js';

it('rotates at maxBytes, keeps `keep` old files, never splits a line', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-logs-'));
  try {
    const file = path.join(dir, 'slipway.log');
    const sink = new RotatingFileSink({ file, maxBytes: 100, keep: 2 });
    const line = (i: number): string => `${JSON.stringify({ i, pad: 'x'.repeat(20) })}\n`; // 36 bytes
    for (let i = 0; i < 12; i++) sink.write(line(i));
    sink.close();
    expect((await readdir(dir)).sort()).toEqual(['slipway.log', 'slipway.log.1', 'slipway.log.2']);
    const read = async (name: string): Promise<number[]> =>
      (await readFile(path.join(dir, name), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { i: number }).i);
    // Two lines fit in 100 bytes: the newest six lines survive, in order across the files.
    expect([
      ...(await read('slipway.log.2')),
      ...(await read('slipway.log.1')),
      ...(await read('slipway.log')),
    ]).toEqual([6, 7, 8, 9, 10, 11]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

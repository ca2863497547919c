/**
 * `slipway operator --metrics-emf` on the built CLI: a destination that is not one of stdout,
 * file:PATH, tcp://host:port or udp://host:port is a usage error (exit 2, a hint, no stack
 * trace) before anything starts.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

describe('operator --metrics-emf', () => {
  it('refuses a destination it cannot write to, with exit 2 and a hint', async () => {
    const flag = await runCli(['operator', '--repo', '.', '--metrics-emf', 'http://agent:25888']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/'http:\/\/agent:25888' is not an EMF destination/);
    expect(flag.stderr).toMatch(/tcp:\/\/host:port/);
    expect(flag.stderr).not.toMatch(/\n\s+at /);
  });
});

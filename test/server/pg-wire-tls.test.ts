/**
 * The PostgreSQL protocol with TLS configured (a self-signed certificate made with openssl for
 * the test): psql with `sslmode=verify-full` against the certificate's CA and the `pg` driver
 * both connect encrypted and read; psql's connection reports TLS.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { git } from '../helpers/release-project.js';
import { type GitOpsFixture, gitopsFixture, operatorProbe, TOKENS } from '../operator/gitops-fixture.js';

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
let certDir: string;
const timeline: TimelineEntry[] = [];
const { reached } = operatorProbe(() => runtime.url, timeline);

beforeAll(async () => {
  certDir = await mkdtemp(path.join(tmpdir(), 'slipway-pg-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      path.join(certDir, 'server.key'),
      '-out',
      path.join(certDir, 'server.crt'),
    ],
    { stdio: 'ignore' },
  );
  fixture = await gitopsFixture();
  runtime = await fixture.start({
    onTimeline: (e) => timeline.push(e),
    pgPort: 0,
    pgTls: { certFile: path.join(certDir, 'server.crt'), keyFile: path.join(certDir, 'server.key') },
  });
  await runtime.leader();
  await reached(await git(fixture.project.root, 'rev-parse', 'HEAD'), 'prod', ['promoted']);
}, 120_000);

afterAll(async () => {
  await fixture?.remove();
  await rm(certDir, { recursive: true, force: true });
});

describe('the PostgreSQL protocol over TLS', () => {
  it('psql connects with sslmode=verify-full and reads', async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        '/usr/bin/psql',
        [
          `host=127.0.0.1 port=${runtime.pgPort} user=vera dbname=prod sslmode=verify-full sslrootcert=${path.join(certDir, 'server.crt')}`,
          '-X',
          '-w',
          '-A',
          '-t',
          '-c',
          'select total from grand_total',
          '-c',
          '\\conninfo',
        ],
        { env: { ...process.env, PGPASSWORD: TOKENS.viewer } },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^15\.75$/m);
    expect(result.stdout).toMatch(/SSL connection \(protocol: TLSv1\.[23]/);
  });

  it('the pg driver connects with ssl and reads', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: runtime.pgPort,
      user: 'vera',
      password: TOKENS.viewer,
      database: 'prod',
      ssl: { ca: await readFile(path.join(certDir, 'server.crt'), 'utf8'), servername: 'localhost' },
    });
    await client.connect();
    try {
      const { rows } = await client.query('select total from grand_total where total > $1', [1]);
      expect(rows).toEqual([{ total: 15.75 }]);
    } finally {
      await client.end();
    }
  });
});

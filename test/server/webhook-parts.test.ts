/** The pure parts of webhook handling: signatures, the replay memory, payload parsing, tokens. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiTokens, hashToken, roleAllows } from '../../src/server/api-tokens.js';
import { parseBitbucketPush, parseGitHubPush } from '../../src/server/webhooks/push-payloads.js';
import { ReplayGuard } from '../../src/server/webhooks/replay-guard.js';
import { signBody, verifySignature } from '../../src/server/webhooks/webhook-signature.js';

describe('webhook signatures', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  it('accepts the HMAC-SHA256 of the exact bytes, in either hex case', () => {
    const signature = signBody('s3cret', body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature('s3cret', body, signature)).toBe(true);
    expect(verifySignature('s3cret', body, signature.toUpperCase().replace('SHA256', 'sha256'))).toBe(true);
  });
  it.each([
    ['another secret', signBody('other', body)],
    ['sha1 prefix', signBody('s3cret', body).replace('sha256', 'sha1')],
    ['truncated digest', signBody('s3cret', body).slice(0, 40)],
    ['not hex', `sha256=${'z'.repeat(64)}`],
    ['missing', undefined],
  ])('rejects %s', (_label, header) => {
    expect(verifySignature('s3cret', body, header)).toBe(false);
  });
  it('rejects everything when the secret is empty', () => {
    expect(verifySignature('', body, signBody('', body))).toBe(false);
  });
});

describe('ReplayGuard', () => {
  it('refuses a key seen within the window, forgets it after, and stays bounded', () => {
    let now = 0;
    const guard = new ReplayGuard({ ttlMs: 1000, maxEntries: 3, now: () => now });
    expect(guard.admit(['a', 'sig-a'])).toBe(true);
    expect(guard.admit(['b', 'sig-a'])).toBe(false);
    expect(guard.admit(['a', 'sig-x'])).toBe(false);
    now = 1500;
    expect(guard.admit(['a', 'sig-a'])).toBe(true);
    for (const key of ['c', 'd', 'e']) expect(guard.admit([key])).toBe(true);
    expect(guard.admit(['a'])).toBe(true); // evicted by the size bound
  });
});

describe('push payloads', () => {
  it('GitHub: branch, head, deletion, tags', () => {
    expect(
      parseGitHubPush({ ref: 'refs/heads/main', after: 'a'.repeat(40), commits: [{ id: 'x' }] }),
    ).toEqual({
      branch: 'main',
      head: 'a'.repeat(40),
      forced: false,
      commitCount: 1,
    });
    expect(
      parseGitHubPush({ ref: 'refs/heads/main', after: '0'.repeat(40), deleted: true })?.head,
    ).toBeUndefined();
    expect(parseGitHubPush({ ref: 'refs/tags/v1', after: 'a'.repeat(40) })).toBeUndefined();
    expect(() => parseGitHubPush({ zen: 'hi' })).toThrow(/GitHub push/);
  });
  it('Bitbucket: every branch change, deletions without a head, tags left out', () => {
    const ref = (type: string, name: string, hash: string) => ({ type, name, target: { hash } });
    const pushes = parseBitbucketPush({
      push: {
        changes: [
          {
            old: ref('branch', 'main', 'a'.repeat(40)),
            new: ref('branch', 'main', 'b'.repeat(40)),
            forced: true,
          },
          { old: ref('branch', 'old', 'c'.repeat(40)), new: null, closed: true },
          { old: null, new: ref('tag', 'v1', 'd'.repeat(40)), created: true },
        ],
      },
    });
    expect(pushes).toEqual([
      { branch: 'main', head: 'b'.repeat(40), forced: true, commitCount: 0 },
      { branch: 'old', head: undefined, forced: false, commitCount: 0 },
    ]);
    expect(() => parseBitbucketPush({ push: {} })).toThrow(/Bitbucket/);
  });
});

describe('ApiTokens', () => {
  it('loads hashed tokens from a file and plain ones from the environment', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-tokens-'));
    try {
      const file = path.join(dir, 'tokens.yaml');
      await writeFile(
        file,
        `tokens:\n  - name: ci\n    role: deployer\n    sha256: ${hashToken('ci-token-0123456789abcdef')}\n`,
      );
      const tokens = await ApiTokens.load({
        file,
        env: 'ops:admin:ops-token-0123456789abcdef, bi:viewer:bi-token-0123456789',
      });
      expect(tokens.size).toBe(3);
      expect(tokens.authenticate('ci-token-0123456789abcdef')).toEqual({ name: 'ci', role: 'deployer' });
      expect(tokens.authenticate('ops-token-0123456789abcdef')).toEqual({ name: 'ops', role: 'admin' });
      expect(tokens.authenticate('bi-token-0123456789')).toEqual({ name: 'bi', role: 'viewer' });
      expect(tokens.authenticate('ci-token-0123456789abcdeX')).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('reports a malformed entry without quoting the token', async () => {
    const error = await ApiTokens.load({ env: 'ops:root:super-secret-token-value' }).catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/entry 1/);
    expect(JSON.stringify(error)).not.toContain('super-secret-token-value');
    expect((error as Error).message).not.toContain('super-secret-token-value');
  });
  it('orders roles viewer < deployer < admin', () => {
    expect(roleAllows('admin', 'deployer')).toBe(true);
    expect(roleAllows('deployer', 'admin')).toBe(false);
    expect(roleAllows('viewer', 'viewer')).toBe(true);
  });
});

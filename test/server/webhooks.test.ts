/**
 * The webhook receivers in-process (`app.request()`), wired to a REAL GitWatcher on a real
 * file-path repository: a signed push to the watched branch reaches the watcher's handler with
 * the pushed commit; anything forged, replayed, oversized or for another branch changes nothing.
 * The API backend is the in-memory fake (webhooks do not use it).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitMirror } from '../../src/git/git-mirror.js';
import { type CommitsEvent, GitWatcher } from '../../src/operator/git-watcher.js';
import { ApiTokens } from '../../src/server/api-tokens.js';
import { createServerApp } from '../../src/server/create-server-app.js';
import { startHttpServer } from '../../src/server/start-http-server.js';
import { signBody } from '../../src/server/webhooks/webhook-signature.js';
import { capturedLogger } from '../helpers/captured-logger.js';
import { createGitFixture, type GitFixture, git, waitFor } from '../helpers/git-fixtures.js';
import { FakeOperatorBackend } from './fake-operator-backend.js';

const GITHUB_SECRET = 'gh-webhook-secret-for-tests';
const BITBUCKET_SECRET = 'bb-webhook-secret-for-tests';
const MAX_BYTES = 64 * 1024;

let fixture: GitFixture;
let scratch: string;
let watcher: GitWatcher;
const events: CommitsEvent[] = [];
const { logger, logged } = capturedLogger();

function makeApp(
  secrets: { github?: string; bitbucket?: string } = { github: GITHUB_SECRET, bitbucket: BITBUCKET_SECRET },
) {
  return createServerApp({
    backend: new FakeOperatorBackend(),
    sync: watcher,
    branch: 'main',
    tokens: ApiTokens.fromList([]),
    webhookSecrets: secrets,
    maxWebhookBytes: MAX_BYTES,
    logger,
  });
}

let app: ReturnType<typeof makeApp>;

beforeAll(async () => {
  fixture = await createGitFixture();
  await fixture.commitAndPush('Initial project', { file: 'slipway.yaml' });
  scratch = await mkdtemp(path.join(tmpdir(), 'slipway-hooks-'));
  const mirror = new GitMirror({
    url: fixture.origin,
    branch: 'main',
    directory: path.join(scratch, 'mirror'),
  });
  const since = await mirror.fetch();
  watcher = new GitWatcher({
    source: mirror,
    since,
    pollIntervalMs: 0,
    settleMs: 0,
    handler: async (event) => {
      events.push(event);
    },
  });
  app = makeApp();
});

afterAll(async () => {
  await watcher?.stop();
  await fixture?.remove();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A GitHub `push` payload with the fields GitHub sends (abridged repository and sender). */
function gitHubPush(ref: string, before: string, after: string, message: string): string {
  const commit = {
    id: after,
    tree_id: 'f'.repeat(40),
    distinct: true,
    message,
    timestamp: '2026-11-27T09:00:00+00:00',
    url: `https://github.com/jkl/fraud/commit/${after}`,
    author: { name: 'Ada Analyst', email: 'ada@jkl.example', username: 'ada' },
    committer: { name: 'GitHub', email: 'noreply@github.com', username: 'web-flow' },
    added: [],
    removed: [],
    modified: ['models/fraud_alerts.sql'],
  };
  return JSON.stringify({
    ref,
    before,
    after,
    repository: { id: 1, name: 'fraud', full_name: 'jkl/fraud', default_branch: 'main' },
    pusher: { name: 'ada', email: 'ada@jkl.example' },
    sender: { login: 'ada', id: 7, type: 'User' },
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/jkl/fraud/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: [commit],
    head_commit: commit,
  });
}

/** A Bitbucket Cloud `repo:push` payload (abridged links and repository). */
function bitbucketPush(branch: string, oldHash: string, newHash: string, message: string): string {
  const ref = (hash: string) => ({
    type: 'branch',
    name: branch,
    target: {
      type: 'commit',
      hash,
      message,
      date: '2026-11-27T09:00:00+00:00',
      author: { raw: 'Ada <ada@jkl.example>' },
    },
    links: { html: { href: `https://bitbucket.org/jkl/fraud/branch/${branch}` } },
  });
  return JSON.stringify({
    actor: { display_name: 'Ada Analyst', type: 'user' },
    repository: { full_name: 'jkl/fraud', type: 'repository' },
    push: {
      changes: [
        {
          old: ref(oldHash),
          new: ref(newHash),
          created: false,
          closed: false,
          forced: false,
          truncated: false,
          commits: [{ hash: newHash, message, type: 'commit', author: { raw: 'Ada <ada@jkl.example>' } }],
        },
      ],
    },
  });
}

function postGitHub(
  body: string,
  { signature = signBody(GITHUB_SECRET, body), delivery = randomUUID(), event = 'push' } = {},
) {
  return app.request('/hooks/github', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-hub-signature-256': signature,
    },
    body,
  });
}

function postBitbucket(body: string, signature = signBody(BITBUCKET_SECRET, body)) {
  return app.request('/hooks/bitbucket', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-event-key': 'repo:push',
      'x-request-uuid': randomUUID(),
      'x-hook-uuid': randomUUID(),
      'x-hub-signature': signature,
    },
    body,
  });
}

const settle = () => new Promise((r) => setTimeout(r, 300));

describe('webhooks', () => {
  it('a wrong or missing signature is 401 and changes nothing', async () => {
    const before = watcher.lastSynced!;
    const head = await fixture.commitAndPush('Tune thresholds', { file: 'rules.sql' });
    const body = gitHubPush('refs/heads/main', before, head, 'Tune thresholds');
    expect((await postGitHub(body, { signature: signBody('not-the-secret', body) })).status).toBe(401);
    expect((await postGitHub(body, { signature: '' })).status).toBe(401);
    // Signed body, then tampered with: the signature covers the exact bytes.
    expect(
      (await postGitHub(body.replace('Tune', 'Tuna'), { signature: signBody(GITHUB_SECRET, body) })).status,
    ).toBe(401);
    await settle();
    expect(events).toHaveLength(0);
    expect(watcher.status.handlerCalls).toBe(0);
    expect(watcher.lastSynced).toBe(before);
  });

  it('a signed GitHub push to the watched branch syncs that commit (202)', async () => {
    const before = watcher.lastSynced!;
    const head = await fixture.commitAndPush('Merge pull request #31 from jkl/velocity', {
      file: 'rules.sql',
    });
    const response = await postGitHub(gitHubPush('refs/heads/main', before, head, 'Merge pull request #31'));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'accepted', head });
    await waitFor(() => watcher.lastSynced === head, 10_000, 'the webhook-triggered sync');
    expect(events.at(-1)).toMatchObject({ sha: head, trigger: 'webhook', previous: before });
    // The commit from the rejected webhook was not lost: it is reported in this sync.
    expect(events.at(-1)?.commits.map((c) => c.message)).toEqual([
      'Tune thresholds',
      'Merge pull request #31 from jkl/velocity',
    ]);
    expect(events.at(-1)?.commits.at(-1)?.pullRequest).toBe(31);
  });

  it("GitHub's default form-encoded delivery (payload=) is verified over the raw body and syncs", async () => {
    const before = watcher.lastSynced!;
    const head = await fixture.commitAndPush('Form-encoded delivery', { file: 'form.sql' });
    // As GitHub sends it with content type application/x-www-form-urlencoded: the JSON is the
    // payload field, and X-Hub-Signature-256 is the HMAC of the encoded body as sent.
    const form = new URLSearchParams({
      payload: gitHubPush('refs/heads/main', before, head, 'Form'),
    }).toString();
    const post = (body: string, signature = signBody(GITHUB_SECRET, body)) =>
      app.request('/hooks/github', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-github-event': 'push',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
        },
        body,
      });
    // Signed over the decoded JSON instead of the raw bytes: refused.
    const decodedSignature = signBody(GITHUB_SECRET, gitHubPush('refs/heads/main', before, head, 'Form'));
    expect((await post(form, decodedSignature)).status).toBe(401);
    const response = await post(form);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'accepted', head });
    await waitFor(() => watcher.lastSynced === head, 10_000, 'the sync the form-encoded webhook asked for');
    expect(events.at(-1)).toMatchObject({ sha: head, trigger: 'webhook' });
    // A form without the payload field, or with one that is not JSON: 400, not a crash.
    expect((await post('other=1')).status).toBe(400);
    const bad = await post(new URLSearchParams({ payload: '{not json' }).toString());
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/payload field is not valid JSON/);
  });

  it('a webhook that arrives before its commit is visible is refetched until it is', async () => {
    const before = watcher.lastSynced!;
    await git(fixture.work, 'commit', '--quiet', '--allow-empty', '-m', 'Raced the webhook');
    const head = (await git(fixture.work, 'rev-parse', 'HEAD')).trim();
    // The provider announces the push before its ref is visible to a fetch.
    expect((await postGitHub(gitHubPush('refs/heads/main', before, head, 'Raced the webhook'))).status).toBe(
      202,
    );
    await settle();
    expect(watcher.lastSynced).toBe(before);
    await git(fixture.work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    await waitFor(() => watcher.lastSynced === head, 10_000, 'the refetch to find the announced commit');
    expect(events.at(-1)).toMatchObject({ sha: head, trigger: 'webhook' });
  });

  it('a replayed delivery is 409, whether the delivery id or the signed body is reused', async () => {
    const body = gitHubPush('refs/heads/main', 'a'.repeat(40), 'b'.repeat(40), 'x');
    const delivery = randomUUID();
    expect((await postGitHub(body, { delivery })).status).toBe(202);
    const calls = watcher.status.handlerCalls;
    expect((await postGitHub(body, { delivery })).status).toBe(409);
    expect((await postGitHub(body, { delivery: randomUUID() })).status).toBe(409);
    const other = gitHubPush('refs/heads/main', 'a'.repeat(40), 'c'.repeat(40), 'y');
    expect((await postGitHub(other, { delivery })).status).toBe(409);
    await settle();
    expect(watcher.status.handlerCalls).toBe(calls);
  });

  it('a push to another branch, a tag, or a deleted branch is 202 ignored', async () => {
    const calls = watcher.status.handlerCalls;
    for (const [ref, after] of [
      ['refs/heads/feature/x', 'd'.repeat(40)],
      ['refs/tags/v1', 'e'.repeat(40)],
      ['refs/heads/main', '0'.repeat(40)],
    ] as const) {
      const response = await postGitHub(gitHubPush(ref, 'a'.repeat(40), after, 'z'));
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ status: 'ignored' });
    }
    const ping = await postGitHub(JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }), {
      event: 'ping',
    });
    expect(ping.status).toBe(200);
    await settle();
    expect(watcher.status.handlerCalls).toBe(calls);
  });

  it('a malformed payload with a valid signature is 400', async () => {
    expect((await postGitHub(JSON.stringify({ hello: 'world' }))).status).toBe(400);
    expect((await postGitHub('{not json')).status).toBe(400);
  });

  it('an oversized body is 413: by Content-Length before reading, and by counting while streaming', async () => {
    const big = 'x'.repeat(MAX_BYTES + 1);
    expect((await postGitHub(big)).status).toBe(413);
    // An endless chunked body: only a reader that stops at the limit can answer at all.
    let produced = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        produced += 16 * 1024;
        controller.enqueue(new Uint8Array(16 * 1024));
      },
    });
    const response = await app.request('/hooks/github', {
      method: 'POST',
      headers: {
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      },
      body: endless,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(produced).toBeLessThan(MAX_BYTES * 4);
  });

  it('413 over a real HTTP connection with a chunked body', async () => {
    const server = await startHttpServer(app, { port: 0 });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${server.url}/hooks/github`, {
          method: 'POST',
          headers: {
            'x-github-event': 'push',
            'x-github-delivery': randomUUID(),
            'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
          },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        const chunk = Buffer.alloc(16 * 1024, 120);
        let sent = 0;
        const pump = () => {
          while (sent < MAX_BYTES * 64 && req.write(chunk)) sent += chunk.length;
          if (sent < MAX_BYTES * 64) req.once('drain', pump);
          else req.end();
        };
        pump();
      });
      expect(status).toBe(413);
    } finally {
      await server.close();
    }
  });

  it('Bitbucket Cloud: a signed repo:push to the watched branch syncs; others are ignored; bad signature 401', async () => {
    const before = watcher.lastSynced!;
    const head = await fixture.commitAndPush('Merged in feature/limits (pull request #8)', {
      file: 'limits.sql',
    });
    const body = bitbucketPush('main', before, head, 'Merged in feature/limits (pull request #8)');
    expect((await postBitbucket(body, signBody('wrong', body))).status).toBe(401);
    const accepted = await postBitbucket(body);
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ status: 'accepted', head });
    await waitFor(() => watcher.lastSynced === head, 10_000, 'the Bitbucket-triggered sync');
    expect(events.at(-1)?.commits.map((c) => c.pullRequest)).toEqual([8]);
    const other = await postBitbucket(bitbucketPush('develop', before, 'f'.repeat(40), 'x'));
    expect(await other.json()).toMatchObject({ status: 'ignored' });
  });

  it('a provider with no secret configured answers 404', async () => {
    const unconfigured = makeApp({});
    const response = await unconfigured.request('/hooks/bitbucket', { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
  });

  it('logs deliveries without secrets or signatures', () => {
    expect(logged()).toContain('webhook received');
    expect(logged()).toContain('webhook signature mismatch');
    for (const secret of [GITHUB_SECRET, BITBUCKET_SECRET]) expect(logged()).not.toContain(secret);
    expect(logged()).not.toMatch(/sha256=[0-9a-f]{64}/);
  });
});

/**
 * Sends what GitHub sends on a push: a `push` event whose body is signed with the shared secret
 * (`X-Hub-Signature-256: sha256=<HMAC>`), with a fresh delivery id. The demo and the benchmark
 * play GitHub with it.
 */
import { createHmac, randomUUID } from 'node:crypto';

export async function sendGitHubPush(
  url: string,
  { secret, branch, before, after }: { secret: string; branch: string; before?: string; after: string },
): Promise<number> {
  const body = JSON.stringify({
    ref: `refs/heads/${branch}`,
    before: before ?? '0'.repeat(40),
    after,
    created: false,
    deleted: false,
    forced: false,
    commits: [{ id: after }],
    repository: { full_name: 'jkl/fraud-pipelines' },
  });
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const response = await fetch(`${url}/hooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': randomUUID(),
      'X-Hub-Signature-256': signature,
    },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

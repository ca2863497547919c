/**
 * HMAC-SHA256 webhook signatures as GitHub (`X-Hub-Signature-256`) and Bitbucket Cloud
 * (`X-Hub-Signature`) send them: `sha256=<hex digest of the raw body, keyed by the secret>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const HEADER = /^sha256=([0-9a-f]{64})$/i;

/** The header value a provider would send for `body`; for tests and for replaying deliveries. */
export function signBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True when `header` is a valid signature of exactly these bytes. Constant time in the digest. */
export function verifySignature(secret: string, body: Uint8Array, header: string | undefined): boolean {
  const match = HEADER.exec(header?.trim() ?? '');
  if (!match?.[1] || secret === '') return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(match[1], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

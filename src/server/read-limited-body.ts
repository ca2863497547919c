/**
 * Reads a request body into memory with a byte limit enforced while it streams: a declared
 * Content-Length over the limit is refused before anything is read, and a chunked body is cut
 * off at the first chunk that crosses it, so an oversized or endless body costs at most the limit.
 */
import { HTTPException } from 'hono/http-exception';

export class PayloadTooLargeError extends HTTPException {
  constructor(limit: number) {
    super(413, { message: `request body larger than ${limit} bytes` });
    this.name = 'PayloadTooLargeError';
  }
}

/** The raw bytes of `request`'s body; throws `PayloadTooLargeError` (413) past `maxBytes`. */
export async function readLimitedBody(request: Request, maxBytes: number): Promise<Buffer> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw new PayloadTooLargeError(maxBytes);
  if (request.body === null) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {
        // The client may already be gone; the 413 is what matters.
      });
      throw new PayloadTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

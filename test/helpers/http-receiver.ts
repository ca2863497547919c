/**
 * A loopback HTTP server that records requests and answers with what `answer` decides: the base
 * of the Slack, PagerDuty and webhook stand-ins and of the webhook Alertmanager delivers to.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** The next `n` requests are answered 500 (a receiver that is down). */
  failNext(n: number): void;
  /** Every request waits this long before its answer (a slow receiver). */
  delayMs: number;
  stop(): Promise<void>;
}

export async function startHttpReceiver(
  answer: (req: ReceivedRequest) => { status: number; body: string; contentType?: string },
): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  let failures = 0;
  const state = { delayMs: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const reply = (): void => {
        if (failures > 0) {
          failures--;
          res.writeHead(500, { 'content-type': 'text/plain' }).end('internal_error');
          return;
        }
        const { status, body, contentType = 'application/json' } = answer(received);
        if (status < 300) requests.push(received);
        res.writeHead(status, { 'content-type': contentType }).end(body);
      };
      if (state.delayMs > 0) setTimeout(reply, state.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(n) {
      failures = n;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A stand-in for Splunk's HTTP Event Collector (Splunk cannot run here). It implements the
 * published `POST /services/collector/event` format: `Authorization: Splunk <token>`, an optional
 * `Content-Encoding: gzip` body of one or more concatenated JSON event objects (each with an
 * `event` field, and optional `time`, `host`, `source`, `sourcetype`, `index`), answered with
 * `{"text":"Success","code":0}`; HEC's own error answers for a missing token (401, code 2), a
 * wrong one (403, code 4), no data (400, code 5), a body that is not JSON events (400, code 6)
 * and an event without `event` (400, code 12). `failNext` makes it answer busy (503, code 9) or
 * 429 a number of times, and `delayMs` makes it slow.
 * https://docs.splunk.com/Documentation/Splunk/latest/Data/HECRESTendpoints
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface HecRequest {
  readonly authorization: string | undefined;
  readonly encoding: string | undefined;
  readonly events: readonly Record<string, unknown>[];
}

export interface HecStandIn {
  readonly url: string;
  readonly requests: HecRequest[];
  /** Every accepted event's `event` field, in order. */
  events(): Record<string, unknown>[];
  failNext(times: number, status?: 429 | 503): void;
  delayMs: number;
  stop(): Promise<void>;
}

export async function startHecStandIn(token: string): Promise<HecStandIn> {
  const requests: HecRequest[] = [];
  let failures = 0;
  let failStatus: 429 | 503 = 503;
  const state = { delayMs: 0 };
  const server: Server = createServer((req, res) => {
    void handle(req).then(async ({ status, body }) => {
      if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  const handle = async (req: IncomingMessage): Promise<{ status: number; body: unknown }> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/services/collector/event')
      return { status: 404, body: { text: 'The requested URL was not found on this server.', code: 404 } };
    const auth = req.headers.authorization;
    if (!auth) return { status: 401, body: { text: 'Token is required', code: 2 } };
    if (auth !== `Splunk ${token}`) return { status: 403, body: { text: 'Invalid token', code: 4 } };
    if (failures > 0) {
      failures--;
      return failStatus === 429
        ? { status: 429, body: { text: 'Too many requests', code: 9 } }
        : { status: 503, body: { text: 'Server is busy', code: 9 } };
    }
    let raw = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    const text = raw.toString('utf8').trim();
    if (!text) return { status: 400, body: { text: 'No data', code: 5 } };
    let events: Record<string, unknown>[];
    try {
      events = parseConcatenated(text);
    } catch {
      return { status: 400, body: { text: 'Invalid data format', code: 6 } };
    }
    if (events.some((e) => !('event' in e)))
      return { status: 400, body: { text: 'Event field is required', code: 12 } };
    requests.push({
      authorization: auth,
      encoding: req.headers['content-encoding'],
      events,
    });
    return { status: 200, body: { text: 'Success', code: 0 } };
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    events: () => requests.flatMap((r) => r.events.map((e) => e['event'] as Record<string, unknown>)),
    failNext(times, status = 503) {
      failures = times;
      failStatus = status;
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

/** Splits `{...}{...}` (HEC's batch body: JSON objects one after another, whitespace allowed). */
function parseConcatenated(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}') {
      depth--;
      if (depth === 0) out.push(JSON.parse(text.slice(start, i + 1)) as Record<string, unknown>);
    } else if (depth === 0 && !/\s/.test(ch ?? '')) throw new Error('not an object');
  }
  if (depth !== 0) throw new Error('unterminated');
  return out;
}

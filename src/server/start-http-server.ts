/** Serves the operator app over HTTP with @hono/node-server. */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { ServerEnv } from './route-definition.js';

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * @example const server = await startHttpServer(app, { port: 8080 }); … await server.close();
 */
export function startHttpServer(
  app: Hono<ServerEnv>,
  { port = 8080, hostname = '127.0.0.1' }: { readonly port?: number; readonly hostname?: string } = {},
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname }, (info: AddressInfo) => {
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
          }),
      });
    });
    server.once('error', reject);
  });
}

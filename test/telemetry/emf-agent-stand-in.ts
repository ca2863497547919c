/**
 * A STAND-IN for the CloudWatch agent's EMF listener (the agent cannot run here): like the
 * agent's `emf` input it takes newline-delimited EMF documents on a TCP connection and one
 * document per UDP datagram, on 127.0.0.1 and free ports (the real agent listens on 25888 for
 * both). It keeps what it received, parsed, and the raw texts for the spec checks.
 */
import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';

export interface EmfAgentStandIn {
  readonly tcpUrl: string;
  readonly udpUrl: string;
  readonly tcp: string[];
  readonly udp: string[];
  close(): Promise<void>;
}

export async function startEmfAgentStandIn(): Promise<EmfAgentStandIn> {
  const tcp: string[] = [];
  const udp: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('utf8');
      let at = pending.indexOf('\n');
      while (at >= 0) {
        const line = pending.slice(0, at);
        if (line.trim() !== '') tcp.push(line);
        pending = pending.slice(at + 1);
        at = pending.indexOf('\n');
      }
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const datagrams = createSocket('udp4');
  datagrams.on('message', (message) => {
    const text = message.toString('utf8').replace(/\n$/, '');
    if (text !== '') udp.push(text);
  });
  await new Promise<void>((resolve) => datagrams.bind(0, '127.0.0.1', resolve));
  const tcpPort = (server.address() as { port: number }).port;
  const udpPort = datagrams.address().port;
  return {
    tcpUrl: `tcp://127.0.0.1:${tcpPort}`,
    udpUrl: `udp://127.0.0.1:${udpPort}`,
    tcp,
    udp,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => datagrams.close(() => resolve()));
    },
  };
}

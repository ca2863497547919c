/**
 * Where EMF documents go, named as `--metrics-emf` (or SLIPWAY_METRICS_EMF) takes them:
 * `stdout` (a container's log stream, read by the CloudWatch agent or Fluent Bit), `file:PATH`
 * (appended), or the CloudWatch agent's EMF listener, `tcp://host:port` (newline-delimited
 * documents on one connection, reopened after an error) or `udp://host:port` (one document per
 * datagram, so each must fit in one: `maxBytes`).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { appendFile } from 'node:fs/promises';
import { isIPv6, Socket } from 'node:net';
import { InvalidArgumentError } from '../../../core/errors.js';

export type EmfTarget =
  | { readonly kind: 'stdout' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'tcp' | 'udp'; readonly host: string; readonly port: number };

export interface EmfSink {
  readonly name: string;
  /** The largest document this sink carries. */
  readonly maxBytes: number;
  write(documents: readonly string[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** A UDP datagram's payload limit over IPv4, less room for nothing else. */
const UDP_MAX_BYTES = 65_507;

export function parseEmfTarget(text: string): EmfTarget {
  const value = text.trim();
  if (value === 'stdout') return { kind: 'stdout' };
  if (value.startsWith('file:') && value.length > 'file:'.length)
    return { kind: 'file', path: value.slice(5) };
  const match = /^(tcp|udp):\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(value);
  const port = Number(match?.[3]);
  if (match && port > 0 && port < 65536) {
    return { kind: match[1] as 'tcp' | 'udp', host: (match[2] as string).replace(/^\[|\]$/g, ''), port };
  }
  throw new InvalidArgumentError(`'${text}' is not an EMF destination`, {
    hint: 'use stdout, file:PATH, tcp://host:port or udp://host:port (the CloudWatch agent listens on 25888)',
  });
}

export function openEmfSink(target: EmfTarget): EmfSink {
  switch (target.kind) {
    case 'stdout':
      return streamSink('stdout', (text) => writeStdout(text));
    case 'file':
      return streamSink(`file:${target.path}`, (text) => appendFile(target.path, text));
    case 'tcp':
      return tcpSink(target.host, target.port);
    case 'udp':
      return udpSink(target.host, target.port);
  }
}

function streamSink(name: string, write: (text: string) => Promise<void>): EmfSink {
  return {
    name,
    maxBytes: 256 * 1024,
    write: (documents) => write(documents.map((d) => `${d}\n`).join('')),
    close: async () => {},
  };
}

function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (error) => (error ? reject(error) : resolve())),
  );
}

function tcpSink(host: string, port: number): EmfSink {
  let socket: Socket | undefined;
  let ready: Promise<Socket> | undefined;
  const drop = (s: Socket) => {
    s.destroy();
    if (socket === s) {
      socket = undefined;
      ready = undefined;
    }
  };
  const connect = (): Promise<Socket> => {
    ready ??= new Promise<Socket>((resolve, reject) => {
      const s = new Socket();
      s.once('error', (error) => {
        drop(s);
        reject(error);
      });
      s.once('close', () => drop(s));
      s.connect(port, host, () => {
        socket = s;
        s.on('error', () => drop(s));
        s.unref();
        resolve(s);
      });
    });
    return ready;
  };
  return {
    name: `tcp://${host}:${port}`,
    maxBytes: 256 * 1024,
    async write(documents, signal) {
      const s = await connect();
      const abort = () => drop(s);
      signal.addEventListener('abort', abort, { once: true });
      try {
        await new Promise<void>((resolve, reject) =>
          s.write(documents.map((d) => `${d}\n`).join(''), (error) => (error ? reject(error) : resolve())),
        );
      } finally {
        signal.removeEventListener('abort', abort);
      }
    },
    async close() {
      const s = socket;
      socket = undefined;
      ready = undefined;
      if (s) await new Promise<void>((resolve) => s.end(() => resolve()));
    },
  };
}

function udpSink(host: string, port: number): EmfSink {
  let socket: UdpSocket | undefined;
  const open = (): UdpSocket => {
    if (!socket) {
      socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
      socket.on('error', () => {
        socket?.close();
        socket = undefined;
      });
      socket.unref();
    }
    return socket;
  };
  return {
    name: `udp://${host}:${port}`,
    maxBytes: UDP_MAX_BYTES - 1,
    async write(documents) {
      const s = open();
      for (const d of documents) {
        await new Promise<void>((resolve, reject) =>
          s.send(`${d}\n`, port, host, (error) => (error ? reject(error) : resolve())),
        );
      }
    },
    async close() {
      const s = socket;
      socket = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

/**
 * A TCP proxy a test can cut and restore, to simulate a service (Redis) dying mid-test without
 * stopping the shared server that other tests are using at the same time.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  /** Local port to connect to instead of the target's. */
  port: number;
  /** Destroys every live connection and refuses new ones until `restore()`. */
  cut(): void;
  /** Destroys every live connection, as a server closing idle keep-alive connections does; new ones are relayed. */
  dropConnections(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const liveSockets = new Set<Socket>();
  let isCut = false;

  const track = (socket: Socket): void => {
    liveSockets.add(socket);
    socket.once('close', () => liveSockets.delete(socket));
  };

  const server = createServer((client) => {
    // Accept-then-destroy reads to the client like a dead peer; keeping the listener open keeps
    // the port ours, so restore() cannot race another process for it.
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ port: targetPort, host: targetHost });
    track(client);
    track(upstream);
    // Either side failing or closing takes the other down with it, as a real connection would.
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  const dropConnections = (): void => {
    for (const socket of liveSockets) socket.destroy();
  };
  const cut = (): void => {
    isCut = true;
    dropConnections();
  };

  return {
    port: (server.address() as AddressInfo).port,
    cut,
    dropConnections,
    restore: () => {
      isCut = false;
    },
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

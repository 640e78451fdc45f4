/** How every bench server tells the orchestrator it is ready: one JSON line on stdout. */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on an ephemeral loopback port and answers it. */
export async function listenLocally(server: Server): Promise<number> {
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

export function announce(info: { port: number } & Record<string, unknown>): void {
  console.log(JSON.stringify(info));
}

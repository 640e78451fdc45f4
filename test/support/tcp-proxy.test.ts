import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

/** Connects, sends `message`, and resolves with what came back before the socket closed or 200 ms passed. */
function exchange(port: number, message: string): Promise<{ reply: string; closedByPeer: boolean }> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    let closedByPeer = false;
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
    socket.on('error', () => (closedByPeer = true));
    socket.on('close', () => {
      closedByPeer = true;
      resolve({ reply, closedByPeer });
    });
    socket.write(message);
    setTimeout(() => {
      socket.destroy();
      resolve({ reply, closedByPeer });
    }, 200);
  });
}

describe('startTcpProxy', () => {
  let echo: Server;
  let proxy: TcpProxy;

  beforeEach(async () => {
    echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
    proxy = await startTcpProxy((echo.address() as AddressInfo).port);
  });

  afterEach(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });

  it('relays bytes both ways to the target', async () => {
    const { reply, closedByPeer } = await exchange(proxy.port, 'ping');
    expect(reply).toBe('ping');
    expect(closedByPeer).toBe(false);
  });

  it('cut() destroys a live connection', async () => {
    const socket: Socket = createConnection({ port: proxy.port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('x');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    proxy.cut();
    await closed;
    expect(socket.destroyed).toBe(true);
  });

  it('refuses new connections while cut and relays again after restore()', async () => {
    proxy.cut();
    const whileCut = await exchange(proxy.port, 'lost');
    expect(whileCut).toEqual({ reply: '', closedByPeer: true });

    proxy.restore();
    const afterRestore = await exchange(proxy.port, 'back');
    expect(afterRestore.reply).toBe('back');
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { IMAGE_SECURITY_HEADERS, NON_HTML_CSP, registerSecurityHeaders } from './security-headers.ts';

const OPTIONS = { crossOriginResourcePolicy: { policy: 'cross-origin' as const }, contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } };
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'content-length', 'content-type', 'transfer-encoding']);

/** What helmet's own middleware sets on a real response, with the same options. */
async function helmetOnARealResponse(): Promise<Record<string, string>> {
  const middleware = helmet(OPTIONS);
  const server: Server = createServer((request, response) => middleware(request, response, () => response.end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return Object.fromEntries([...response.headers].filter(([name]) => !TRANSPORT.has(name)));
  } finally {
    server.close();
  }
}

describe('registerSecurityHeaders', () => {
  it("sets exactly helmet's headers, computed once; the strict CSP on everything but HTML", async () => {
    const app = Fastify();
    await registerSecurityHeaders(app);
    app.get('/page', (_request, reply) => reply.type('text/html').send('<p>hi</p>'));
    app.get('/image', (_request, reply) => reply.type('image/jpeg').send(Buffer.from('x')));
    const expected = await helmetOnARealResponse();
    const headersOf = async (url: string) => {
      const response = await app.inject({ url });
      return Object.fromEntries(Object.entries(response.headers).filter(([name]) => !TRANSPORT.has(name)));
    };
    expect(await headersOf('/page')).toEqual(expected);
    expect(await headersOf('/image')).toEqual({ ...expected, 'content-security-policy': NON_HTML_CSP });
    await app.close();
  });

  it('gives an image route only what applies to a resource that is not a document', async () => {
    const app = Fastify();
    await registerSecurityHeaders(app);
    const config = { securityHeaders: 'image' } as const;
    app.get('/img', { config }, (_request, reply) => reply.type('image/webp').send(Buffer.from('x')));
    app.get('/img-missing', { config }, (_request, reply) => reply.code(404).send({ error: 'not_found' }));
    const expected = await helmetOnARealResponse();
    for (const url of ['/img', '/img-missing']) {
      const response = await app.inject({ url });
      const security = Object.fromEntries(Object.entries(response.headers).filter(([name]) => name in expected));
      expect(security).toEqual(IMAGE_SECURITY_HEADERS);
    }
    expect(IMAGE_SECURITY_HEADERS).toEqual({
      'content-security-policy': NON_HTML_CSP,
      'cross-origin-resource-policy': 'cross-origin',
      'strict-transport-security': expected['strict-transport-security'],
      'x-content-type-options': 'nosniff',
    });
    await app.close();
  });
});

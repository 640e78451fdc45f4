/**
 * Security headers on every response (@fastify/helmet): nosniff, Referrer-Policy no-referrer,
 * frame and opener isolation, and a Content-Security-Policy. HTML pages (the demo page, Ruru, the
 * API reference) get helmet's self-only policy; every other response (JSON, images, metrics) the
 * strictest one, since nothing in it should ever run or load anything.
 * Cross-Origin-Resource-Policy stays `cross-origin`: image URLs exist to be embedded by other sites.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export const NON_HTML_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    contentSecurityPolicy: {
      // Plain-HTTP development (`npm start` on localhost) must not be upgraded to HTTPS.
      directives: { upgradeInsecureRequests: null },
    },
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? '');
    if (!type.startsWith('text/html')) reply.header('content-security-policy', NON_HTML_CSP);
    return payload;
  });
}

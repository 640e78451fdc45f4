/**
 * Security headers on every response (helmet): nosniff, Referrer-Policy no-referrer,
 * frame and opener isolation, and a Content-Security-Policy. HTML pages (the demo page, Ruru, the
 * API reference) get helmet's self-only policy; every other response (JSON, images, metrics) the
 * strictest one, since nothing in it should ever run or load anything.
 * Cross-Origin-Resource-Policy stays `cross-origin`: image URLs exist to be embedded by other sites.
 *
 * An image (every image answer is a raster format: JPEG, PNG, WebP, AVIF, GIF) keeps only what
 * applies to a resource that is not a document: the strict CSP, nosniff, CORP and HSTS. The rest
 * govern documents alone (framing, opener and agent-cluster isolation, the referrer of the requests
 * a page makes, DNS prefetching, IE8 downloads, Flash policy files, the retired XSS auditor), and
 * on the responses a site serves most they were a third of the header bytes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

export const NON_HTML_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The headers helmet sets with these options, computed once at startup: they depend on nothing
 * in the request, and building helmet's middleware chain per request (as @fastify/helmet's global
 * mode does) cost an eighth of a memory-cache hit's CPU.
 */
const HELMET_HEADERS = helmetHeaders({
  crossOriginResourcePolicy: { policy: 'cross-origin' },
  contentSecurityPolicy: {
    // Plain-HTTP development (`npm start` on localhost) must not be upgraded to HTTPS.
    directives: { upgradeInsecureRequests: null },
  },
});

const FOR_EVERY_RESOURCE = ['content-security-policy', 'cross-origin-resource-policy', 'strict-transport-security', 'x-content-type-options'];

/** What an image answer carries (the memory-hit path sends these itself). */
export const IMAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...Object.fromEntries(FOR_EVERY_RESOURCE.map((name) => [name, HELMET_HEADERS[name]!])),
  'content-security-policy': NON_HTML_CSP,
});

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', (request, reply, done) => {
    // An image route's answers (its errors are JSON, its 304s have no type) all carry the image set.
    reply.headers(request.routeOptions.config.securityHeaders === 'image' ? IMAGE_SECURITY_HEADERS : HELMET_HEADERS);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    const type = String(reply.getHeader('content-type') ?? '');
    if (!type.startsWith('text/html')) reply.header('content-security-policy', NON_HTML_CSP);
    done(null, payload);
  });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `'image'`: the route answers images, which carry IMAGE_SECURITY_HEADERS only. */
    securityHeaders?: 'image';
  }
}

/** Runs helmet's middleware once against a recorder instead of a response. */
function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

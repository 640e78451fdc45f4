import type { FastifyRequest } from 'fastify';

/** The configured public base URL (CDN), else the scheme and host this request was sent to. */
export function baseUrlFor(request: FastifyRequest, configured: string | undefined): string {
  return configured ?? `${request.protocol}://${request.host}`;
}

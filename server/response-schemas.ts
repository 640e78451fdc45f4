/**
 * JSON schemas of what the REST routes answer, shared by the routes (Fastify serialises answers
 * with them, so an answer cannot carry a field that is not documented) and by the OpenAPI document
 * (server/openapi.ts turns each `$id` into a named component). Request schemas (params, query,
 * body) live beside their routes.
 */
import type { ErrorCode } from '../core/errors.ts';

const ERROR_CODES = [
  'bad_request', 'invalid_ops', 'unauthorized', 'forbidden', 'not_found', 'payload_too_large', 'unsupported_media_type',
  'unprocessable_image', 'rate_limited', 'unavailable', 'timeout', 'internal',
] as const satisfies readonly ErrorCode[];

export const ERROR_BODY = {
  $id: 'ErrorBody',
  description: 'Every error: a stable code, a message for people, and details naming what was wrong.',
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', enum: ERROR_CODES },
    message: { type: 'string' },
    detail: { type: 'object', additionalProperties: true },
  },
} as const;

export const ASSET = {
  $id: 'Asset',
  description: 'An asset at its current version, with ready-made URLs.',
  type: 'object',
  required: ['id', 'spaceId', 'version', 'access', 'tags', 'folder', 'originalFilename', 'contentHash', 'sizeBytes', 'mimeType',
    'format', 'width', 'height', 'frames', 'hasAlpha', 'createdAt', 'updatedAt', 'urls'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    spaceId: { type: 'string', format: 'uuid' },
    version: { type: 'integer', minimum: 1 },
    access: { type: 'string', enum: ['public', 'private'] },
    tags: { type: 'array', items: { type: 'string' } },
    folder: { type: 'string', examples: ['/products/shoes/'] },
    originalFilename: { type: 'string' },
    contentHash: { type: 'string', description: 'SHA-256 of the original, hex.' },
    sizeBytes: { type: 'integer' },
    mimeType: { type: 'string' },
    format: { type: 'string' },
    width: { type: 'integer' },
    height: { type: 'integer' },
    frames: { type: 'integer' },
    hasAlpha: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    urls: {
      type: 'object',
      required: ['original', 'example'],
      properties: {
        original: { type: 'string', format: 'uri' },
        example: { type: 'string', format: 'uri', description: 'A 400 px wide, format-negotiated variant.' },
        expiresAt: { type: 'integer', description: 'Private assets, key with the sign scope: the URLs are signed until then (unix seconds).' },
        signing: { type: 'string', description: 'Private assets whose URLs could not be signed: why, and how to sign them.' },
      },
    },
  },
} as const;

export const SIGNED_URLS = {
  $id: 'SignedUrls',
  type: 'object',
  required: ['urls'],
  properties: {
    urls: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'url', 'expiresAt', 'ttlSeconds', 'clamped'],
        properties: {
          path: { type: 'string' },
          url: { type: 'string', format: 'uri' },
          expiresAt: { type: 'integer', description: 'unix seconds' },
          ttlSeconds: { type: 'integer' },
          clamped: { type: 'boolean', description: 'The TTL asked for was above the policy maximum and was cut to it.' },
        },
      },
    },
  },
} as const;

export const SIGNING_KEY = {
  $id: 'SigningKey',
  type: 'object',
  required: ['kid', 'organizationId', 'tenantId', 'createdAt'],
  properties: {
    kid: { type: 'string' },
    organizationId: { type: 'string', format: 'uuid' },
    tenantId: { type: ['string', 'null'], format: 'uuid' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const SHARED_SCHEMAS = [ERROR_BODY, ASSET, SIGNED_URLS, SIGNING_KEY] as const;

/** `{ $ref }` to a shared schema, by its `$id`. */
export function ref(schema: (typeof SHARED_SCHEMAS)[number]): { $ref: string } {
  return { $ref: `${schema.$id}#` };
}

/** The error answers a route can give, each as ErrorBody. */
export function errorResponses(...statuses: number[]): Record<number, { $ref: string; description: string }> {
  return Object.fromEntries(statuses.map((status) => [status, { ...ref(ERROR_BODY), description: ERROR_DESCRIPTIONS[status] ?? 'error' }]));
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request, named in `message`',
  401: 'Missing, unknown, revoked or expired API key, or a bad signature',
  403: 'The key lacks the scope, or the resource belongs to another tenant',
  404: 'Not found',
  413: 'Too large (bytes, pixels or frames)',
  415: 'Type not accepted',
  422: 'Undecodable image',
  429: 'Over a rate limit or quota (`Retry-After`)',
  503: 'Overloaded or a dependency is down (`Retry-After`)',
};

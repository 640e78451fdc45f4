/**
 * JSON schemas of what the REST routes accept (params, querystring, body). Fastify validates with
 * them before a handler runs, so a malformed id or body is a 400 naming the field (error-handler.ts)
 * rather than an exception deeper down; plain JSON Schema, so the OpenAPI document can read them.
 * Bodies that may be omitted are objects all the same: their routes run `optionalBody` first, so an
 * absent body validates as `{}` and a present one must match the properties.
 */
import type { FastifyRequest } from 'fastify';

const UUID = { type: 'string', format: 'uuid' } as const;

/** `{ [name]: uuid }` route params. */
export function uuidParams<Name extends string>(name: Name) {
  return { type: 'object', required: [name], properties: { [name]: UUID }, additionalProperties: false } as const;
}

export const SIGN_BODY = {
  type: 'object',
  properties: {
    path: { type: 'string', minLength: 1, maxLength: 1024 },
    paths: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 1024 } },
    ttlSeconds: { type: 'integer', minimum: 1, maximum: 31_536_000 },
  },
  oneOf: [{ required: ['path'] }, { required: ['paths'] }],
  additionalProperties: false,
} as const;

/** preValidation of a route whose JSON body may be omitted: none counts as `{}`. */
export async function optionalBody(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

export const ROTATE_BODY = {
  type: 'object',
  properties: {
    organizationId: UUID,
    tenantId: UUID,
  },
  additionalProperties: false,
} as const;

export const SIGNING_KEY_PARAMS = {
  type: 'object',
  required: ['kid'],
  properties: { kid: { type: 'string', pattern: '^sk_[A-Za-z0-9_-]{1,64}$' } },
  additionalProperties: false,
} as const;

export const PURGE_BODY = {
  type: 'object',
  properties: { storage: { type: 'boolean' } },
  additionalProperties: false,
} as const;

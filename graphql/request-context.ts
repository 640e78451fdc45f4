/**
 * Who is calling /graphql. The API key is checked before GraphQL runs, so a wrong key is a 401,
 * never silently anonymous; no key at all means ANONYMOUS claims. Grafast's context then carries
 * the claims (custom mutations act as the caller) and turns them into the transaction's
 * pgSettings, so row-level security decides what every query and mutation sees.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ImgplaneError } from '../core/errors.ts';
import type { ApiKeyAuthenticator } from '../platform/keys/api-key-authenticator.ts';
import { baseUrlFor } from '../platform/base-url.ts';
import type { Platform } from '../platform/platform.ts';
import { ANONYMOUS, pgSettingsFor, type Claims } from '../platform/request-context.ts';

/** The platform services custom mutations call. */
export type GraphqlServices = Pick<Platform, 'pool' | 'auth' | 'signing' | 'catalog' | 'assets' | 'limits' | 'webhooks' | 'purgeTargets' | 'cachePurge'>;

declare global {
  namespace Grafast {
    interface Context {
      /** The caller: an API key's claims, or ANONYMOUS when no X-Api-Key was sent. */
      claims: Claims;
      /** Scheme and host that URLs handed back (signUrl) start with. */
      baseUrl: string;
      services: GraphqlServices;
    }
  }
}

/** Marks the transaction as a GraphQL request (db/functions/700_graphql.sql: request_via_graphql). */
const GRAPHQL_CHANNEL_SETTING = { 'imgplane.channel': 'graphql' } as const;

const claimsByRequest = new WeakMap<FastifyRequest, Claims>();

/** Fastify preHandler of the GraphQL route: a key that is sent must be valid. */
export function authenticateGraphqlRequest(auth: ApiKeyAuthenticator) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const secret = request.headers['x-api-key'];
    if (secret === undefined) {
      claimsByRequest.set(request, ANONYMOUS);
      return;
    }
    try {
      claimsByRequest.set(request, await auth.authenticate(secret));
    } catch (error) {
      if (!(error instanceof ImgplaneError) || error.code !== 'unauthorized') throw error;
      // The GraphQL-over-HTTP error shape, so GraphQL clients show the message.
      await reply.code(401).send({ errors: [{ message: error.message, extensions: { code: error.code } }] });
    }
  };
}

export function graphqlContext(services: GraphqlServices, publicBaseUrl: string | undefined) {
  return (requestContext: Partial<Grafast.RequestContext>): Partial<Grafast.Context> => {
    const request = requestContext.fastifyv5?.request;
    const claims = request === undefined ? undefined : claimsByRequest.get(request);
    // Fail closed: a request that skipped authentication must not run as anybody.
    if (request === undefined || claims === undefined) {
      throw new ImgplaneError('internal', 'GraphQL request was not authenticated');
    }
    return {
      claims,
      baseUrl: baseUrlFor(request, publicBaseUrl),
      services,
      pgSettings: { ...pgSettingsFor(claims), ...GRAPHQL_CHANNEL_SETTING },
    };
  };
}

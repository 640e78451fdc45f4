/**
 * Managing an organisation's webhook endpoints, as the caller (organisation-wide admin keys):
 * create (the secret is answered this once, sealed at rest), update, rotate the secret, and
 * replay a delivery. URLs are checked for public addresses here and again at every delivery.
 */
import type pg from 'pg';
import { sealSecret } from '../../core/envelope.ts';
import { badRequest, notFound } from '../../core/errors.ts';
import { requireScope } from '../keys/api-key-authenticator.ts';
import { assertEndpointUrl, type OutboundPolicy } from '../outbound-http.ts';
import { withClaims, type Claims } from '../request-context.ts';
import { forbiddenOn42501, requireMasterKey } from './secrets.ts';
import { newWebhookSecret } from './webhook-signature.ts';

export interface WebhookEndpointInput {
  /** Default: the caller's organisation (platform keys must name one). */
  organizationId?: string | null;
  url: string;
  /** Empty or absent: every event. Entries are `asset.created`, `asset.*` or `*`. */
  eventTypes?: readonly string[] | null;
  enabled?: boolean | null;
  description?: string | null;
}

export interface WebhookEndpointChanges {
  url?: string | null;
  eventTypes?: readonly string[] | null;
  enabled?: boolean | null;
  description?: string | null;
}

export interface IssuedWebhookSecret {
  id: string;
  /** The HMAC key of X-Imgplane-Signature. Shown this once. */
  secret: string;
}

const EVENT_TYPE_FILTER = /^(\*|[a-z_]+\.(\*|[a-z_]+))$/;
const MAX_EVENT_TYPES = 64;

/** `*` alone means every event, like an empty list: stored as the empty list. */
export function normaliseEventTypes(eventTypes: readonly string[] | null | undefined): string[] {
  const types = [...new Set((eventTypes ?? []).map((type) => type.trim()))];
  const bad = types.find((type) => !EVENT_TYPE_FILTER.test(type));
  if (bad !== undefined) throw badRequest(`invalid event type filter "${bad}" (e.g. asset.created, asset.*, *)`);
  if (types.length > MAX_EVENT_TYPES) throw badRequest(`at most ${MAX_EVENT_TYPES} event types`);
  return types.includes('*') ? [] : types;
}

function validDescription(description: string | null | undefined): string | undefined {
  if (description == null) return undefined;
  if (description.length > 500) throw badRequest('description is longer than 500 characters');
  return description;
}

export class WebhookEndpointAdmin {
  constructor(
    private readonly pool: pg.Pool,
    private readonly masterKey: Buffer | undefined,
    private readonly outbound: OutboundPolicy,
  ) {}

  async create(claims: Claims, input: WebhookEndpointInput): Promise<IssuedWebhookSecret> {
    requireScope(claims, 'admin');
    const organizationId = input.organizationId ?? claims.organizationId;
    if (!organizationId) throw badRequest('organizationId is required for platform keys');
    const url = await assertEndpointUrl(input.url, this.outbound);
    const eventTypes = normaliseEventTypes(input.eventTypes);
    const secret = newWebhookSecret();
    const envelope = sealSecret(requireMasterKey(this.masterKey, 'a webhook secret'), Buffer.from(secret));
    const id = await withClaims(this.pool, claims, async (client) => {
      const result = await client.query<{ id: string }>(
        'select imgplane.create_webhook_endpoint($1, $2, $3, $4, $5, $6) as id',
        [organizationId, url.toString(), eventTypes, input.enabled ?? true, validDescription(input.description) ?? '', envelope],
      );
      return result.rows[0]!.id;
    }).catch(forbiddenOn42501('this API key may not manage webhooks of this organization'));
    return { id, secret };
  }

  async update(claims: Claims, id: string, changes: WebhookEndpointChanges): Promise<void> {
    requireScope(claims, 'admin');
    const url = changes.url == null ? undefined : (await assertEndpointUrl(changes.url, this.outbound)).toString();
    const eventTypes = changes.eventTypes == null ? undefined : normaliseEventTypes(changes.eventTypes);
    const updated = await withClaims(this.pool, claims, (client) =>
      client.query(
        `update imgplane.webhook_endpoints
            set url = coalesce($2, url), event_types = coalesce($3, event_types),
                enabled = coalesce($4, enabled), description = coalesce($5, description)
          where id = $1`,
        [id, url ?? null, eventTypes ?? null, changes.enabled ?? null, validDescription(changes.description) ?? null],
      ),
    );
    if ((updated.rowCount ?? 0) === 0) throw notFound(`no webhook endpoint ${id}`);
  }

  async rotateSecret(claims: Claims, id: string): Promise<IssuedWebhookSecret> {
    requireScope(claims, 'admin');
    const secret = newWebhookSecret();
    const envelope = sealSecret(requireMasterKey(this.masterKey, 'a webhook secret'), Buffer.from(secret));
    const rotated = await withClaims(this.pool, claims, async (client) => {
      const result = await client.query<{ rotated: boolean }>('select imgplane.rotate_webhook_secret($1, $2) as rotated', [id, envelope]);
      return result.rows[0]?.rotated === true;
    });
    if (!rotated) throw notFound(`no webhook endpoint ${id}`);
    return { id, secret };
  }

  /** Deletes an endpoint with its deliveries and their log (cascade); RLS makes another org's id unknown. */
  async delete(claims: Claims, id: string): Promise<void> {
    requireScope(claims, 'admin');
    const deleted = await withClaims(this.pool, claims, (client) => client.query('delete from imgplane.webhook_endpoints where id = $1', [id]));
    if ((deleted.rowCount ?? 0) === 0) throw notFound(`no webhook endpoint ${id}`);
  }

  /**
   * Sends a delivery again now (whatever its status): one more attempt with the same body and
   * idempotency key. Setting it pending wakes the worker (db trigger on webhook_deliveries).
   */
  async replay(claims: Claims, deliveryId: string): Promise<void> {
    requireScope(claims, 'admin');
    const replayed = await withClaims(this.pool, claims, (client) =>
      client.query(`update imgplane.webhook_deliveries set status = 'pending', next_attempt_at = now() where id = $1`, [deliveryId]),
    );
    if ((replayed.rowCount ?? 0) === 0) throw notFound(`no webhook delivery ${deliveryId}`);
  }
}

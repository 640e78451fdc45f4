/** Helpers of the worker tests: presets and outbox rows as SQL sees them, and a webhook receiver. */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { withClaims } from '../../platform/request-context.ts';
import type { OutboxEvent } from '../../worker/consumers/types.ts';
import { PLATFORM_ADMIN } from '../support/tenancy.ts';

export interface PresetFields {
  organizationId: string;
  /** Both set: a space-level preset; both absent: organisation-level. */
  tenantId?: string;
  spaceId?: string;
  name: string;
  operations: Record<string, unknown>;
  autoGenerate?: boolean;
  matchTags?: string[];
  matchFolders?: string[];
}

/** A preset name unique to this run (preset names are URL tokens: no hyphens). */
export function uniquePresetName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Inserts a preset as the platform admin; answers its id. */
export async function insertPreset(pool: pg.Pool, preset: PresetFields): Promise<string> {
  return withClaims(pool, PLATFORM_ADMIN, async (client) => {
    const result = await client.query<{ id: string }>(
      `insert into imgplane.presets (organization_id, tenant_id, space_id, name, operations, auto_generate, match_tags, match_folders)
       values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
      [
        preset.organizationId,
        preset.tenantId ?? null,
        preset.spaceId ?? null,
        preset.name,
        JSON.stringify(preset.operations),
        preset.autoGenerate ?? false,
        preset.matchTags ?? [],
        preset.matchFolders ?? [],
      ],
    );
    return result.rows[0]!.id;
  });
}

export interface EventRow {
  id: string;
  event_type: string;
  attempts: number;
  delivered_at: Date | null;
  dead_at: Date | null;
  available_at: Date;
  last_error: string | null;
}

/** The outbox rows about one aggregate, oldest first (read as the login role: no RLS). */
export async function eventsAbout(pool: pg.Pool, aggregateId: string): Promise<EventRow[]> {
  const { rows } = await pool.query<EventRow>(
    `select id::text, event_type, attempts, delivered_at, dead_at, available_at, last_error
       from imgplane.events where aggregate_id = $1 order by id`,
    [aggregateId],
  );
  return rows;
}

/** The outbox events about one aggregate as the dispatcher hands them to consumers, oldest first. */
export async function outboxEventsAbout(pool: pg.Pool, aggregateId: string): Promise<OutboxEvent[]> {
  const { rows } = await pool.query<OutboxEvent>(
    `select id::text, organization_id as "organizationId", tenant_id as "tenantId", event_type as type,
            aggregate_type as "aggregateType", aggregate_id as "aggregateId", payload, created_at as "createdAt", attempts
       from imgplane.events where aggregate_id = $1 order by id`,
    [aggregateId],
  );
  return rows;
}

export interface ReceivedWebhook {
  body: string;
  json: { id: string; type: string; aggregateId: string | null; payload: Record<string, unknown> };
  headers: Record<string, string | string[] | undefined>;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}

/** A local webhook endpoint answering each delivery with the status `answer` picks (200 by default). */
export async function startWebhookReceiver(answer: (hook: Omit<ReceivedWebhook, 'status'>) => number): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const hook = { body, json: JSON.parse(body) as ReceivedWebhook['json'], headers: request.headers };
      const status = answer(hook);
      received.push({ ...hook, status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The RabbitMQ sink against the real broker (127.0.0.1:5672, guest/guest): outbox events reach a
 * queue bound to the `imgplane.events` topic exchange; with the worker's connection cut (a TCP
 * proxy in between) they wait in the outbox and arrive once it is back, none lost, none reordered
 * per asset. The worker runs on a database of this file's own, so no other file's worker takes
 * its events; the test's own consumer talks to the broker directly.
 */
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENTS_EXCHANGE } from '../../platform/events/amqp-sink.ts';
import { startWorker, type WorkerHandle } from '../../worker/runner.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { upload } from '../support/http.ts';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/isolated-database.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';

const BROKER = { host: '127.0.0.1', port: 5672 };
const brokerUrl = (port: number) => `amqp://guest:guest@${BROKER.host}:${port}`;

/** Why the broker cannot be used here, or undefined when it answers. */
async function brokerUnavailable(): Promise<string | undefined> {
  try {
    const connection = await amqp.connect(brokerUrl(BROKER.port), { timeout: 2_000 });
    await connection.close();
    return undefined;
  } catch (error) {
    return `RabbitMQ at ${BROKER.host}:${BROKER.port} does not answer (${error instanceof Error ? error.message : String(error)})`;
  }
}

const unavailable = await brokerUnavailable();
if (unavailable) console.warn(`[amqp-broker.test] skipped: ${unavailable}`);

interface Received {
  messageId: string;
  routingKey: string;
  persistent: boolean;
  body: { id: string; type: string; organizationId: string; aggregateId: string };
}

let database: IsolatedDatabase;
let app: TestApp;
let worker: WorkerHandle;
let proxy: TcpProxy;
let org: TestOrganization;
let consumer: ChannelModel;
let channel: Channel;
const received: Received[] = [];

describe.skipIf(unavailable !== undefined)('outbox events on RabbitMQ', () => {
  beforeAll(async () => {
    database = await createIsolatedDatabase();
    proxy = await startTcpProxy(BROKER.port, BROKER.host);
    app = await startTestApp({ config: { databaseUrl: database.url } });
    org = await createOrganization(app.platform, 'amqp');
    // Our queue exists before any event is published: exclusive, gone when the test disconnects.
    consumer = await amqp.connect(brokerUrl(BROKER.port));
    channel = await consumer.createChannel();
    await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, EVENTS_EXCHANGE, 'asset.#');
    await channel.consume(queue, (message: ConsumeMessage | null) => {
      if (!message) return;
      const body = JSON.parse(message.content.toString('utf8')) as Received['body'];
      // other processes may publish to the same exchange: keep this file's organisation only
      if (body.organizationId === org.id) {
        received.push({ messageId: String(message.properties.messageId), routingKey: message.fields.routingKey, persistent: message.properties.deliveryMode === 2, body });
      }
    }, { noAck: true });
    worker = await startWorker({ platform: app.platform, config: { webhook: undefined, eventsAmqpUrl: brokerUrl(proxy.port) } });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await consumer?.close().catch(() => {});
    await app?.close();
    await proxy?.close();
    await database?.drop();
  });

  const png = (seed: number) => sharp({ create: { width: 16, height: 16, channels: 3, background: { r: seed % 256, g: (seed >> 8) % 256, b: 99 } } }).png().toBuffer();
  let seed = 1;

  async function store(assetId?: string): Promise<string> {
    const tenant = org.tenants[0];
    const response = await upload(app.baseUrl, tenant.key, tenant.spaceId, await png(seed++), { filename: 'a.png' }, assetId ? 'PUT' : 'POST', assetId);
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  }

  /** The outbox's asset events of these assets, oldest first (ground truth, as the superuser). */
  async function outboxEvents(assetIds: readonly string[]) {
    const { rows } = await app.db.query<{ id: string; event_type: string; aggregate_id: string; delivered_at: Date | null; last_error: string | null }>(
      `select id::text, event_type, aggregate_id::text, delivered_at, last_error from imgplane.events
        where aggregate_type = 'asset' and aggregate_id = any($1::uuid[]) order by id`,
      [assetIds],
    );
    return rows;
  }

  it('publishes an upload\'s asset.created: routing key = type, persistent, the event id as message id', async () => {
    const assetId = await store();
    await vi.waitFor(() => expect(received.some((message) => message.body.aggregateId === assetId)).toBe(true), { timeout: 15_000, interval: 50 });
    const [event] = await outboxEvents([assetId]);
    expect(event!.event_type).toBe('asset.created');
    const message = received.find((candidate) => candidate.body.aggregateId === assetId)!;
    expect(message).toMatchObject({ messageId: event!.id, routingKey: 'asset.created', persistent: true });
    expect(message.body).toMatchObject({ id: event!.id, type: 'asset.created', aggregateId: assetId });
  });

  it('keeps events in the outbox while the broker is unreachable and delivers them all, in order per asset, once it is back', async () => {
    proxy.cut();
    // two assets, each created and given a second version while the broker is away
    const first = await store();
    const second = await store();
    await store(first);
    await store(second);
    const assets = [first, second];
    // the dispatcher tried and failed: the events wait in the outbox, and none reached the queue
    await vi.waitFor(async () => {
      const events = await outboxEvents(assets);
      expect(events.length).toBeGreaterThanOrEqual(4);
      expect(events.some((event) => event.last_error?.includes('amqp'))).toBe(true);
    }, { timeout: 15_000, interval: 100 });
    expect((await outboxEvents(assets)).every((event) => event.delivered_at === null)).toBe(true);
    expect(received.filter((message) => assets.includes(message.body.aggregateId))).toEqual([]);

    proxy.restore();
    // backoff after the failed attempts: a few seconds until the next try
    await vi.waitFor(async () => expect((await outboxEvents(assets)).every((event) => event.delivered_at !== null)).toBe(true), { timeout: 45_000, interval: 200 });
    const events = await outboxEvents(assets);
    // confirmed by the broker; our consumer may still be receiving
    await vi.waitFor(() => {
      for (const assetId of assets) {
        const expected = events.filter((event) => event.aggregate_id === assetId).map((event) => event.id);
        // at least once: a repeat is allowed, so compare first arrivals
        const arrived = [...new Set(received.filter((message) => message.body.aggregateId === assetId).map((message) => message.messageId))];
        expect(arrived).toEqual(expected);
      }
    }, { timeout: 10_000, interval: 50 });
  }, 90_000);
});

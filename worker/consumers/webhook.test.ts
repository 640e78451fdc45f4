import { createHmac } from 'node:crypto';
import { verifyWebhookSignature } from '../../platform/events/webhook-signature.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/worker/support.ts';
import type { OutboxEvent } from './types.ts';
import { webhookConsumer } from './webhook.ts';

const SECRET = 'unit-test-secret';
let receiver: WebhookReceiver;
let status = 204;

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => status);
});
afterAll(() => receiver.close());

const event: OutboxEvent = {
  id: '9007199254740993',
  organizationId: '0b7c4a8e-0f55-4b7a-9d84-1c7c1f0a2b3c',
  tenantId: null,
  type: 'asset.deleted',
  aggregateType: 'asset',
  aggregateId: '5f0e2f9a-1c2b-4d3e-8f70-6a5b4c3d2e1f',
  payload: { folder: '/a/', tags: ['x'] },
  createdAt: new Date('2026-01-02T03:04:05.678Z'),
  attempts: 3,
};

describe('webhook consumer', () => {
  it('POSTs the event as JSON, signed with an HMAC-SHA256 of the timestamp and the exact body', async () => {
    status = 204;
    await webhookConsumer({ url: receiver.url, secret: SECRET }, () => 1_767_225_600).handle(event);
    const hook = receiver.received.at(-1)!;
    expect(JSON.parse(hook.body)).toEqual({
      id: event.id,
      type: 'asset.deleted',
      organizationId: event.organizationId,
      tenantId: null,
      aggregateType: 'asset',
      aggregateId: event.aggregateId,
      payload: event.payload,
      createdAt: '2026-01-02T03:04:05.678Z',
    });
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.headers['x-imgplane-event']).toBe('asset.deleted');
    expect(hook.headers['x-imgplane-delivery']).toBe(event.id);
    expect(hook.headers['x-imgplane-idempotency-key']).toBe(event.id);
    expect(hook.headers['x-imgplane-timestamp']).toBe('1767225600');
    const expected = `t=1767225600,v1=${createHmac('sha256', SECRET).update(`1767225600.${hook.body}`).digest('hex')}`;
    expect(hook.headers['x-imgplane-signature']).toBe(expected);
    expect(verifyWebhookSignature(SECRET, expected, hook.body, 1_767_225_600)).toBe(true);
  });

  it('fails on a non-2xx answer so the event is retried', async () => {
    status = 503;
    await expect(webhookConsumer({ url: receiver.url, secret: SECRET }).handle(event)).rejects.toThrow('answered HTTP 503');
  });

  it('fails when nothing answers', async () => {
    const closed = await startWebhookReceiver(() => 200);
    await closed.close();
    await expect(webhookConsumer({ url: closed.url, secret: SECRET }).handle(event)).rejects.toThrow();
  });
});

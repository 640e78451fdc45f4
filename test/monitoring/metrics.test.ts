/**
 * The operational metrics move with the events they count: storage latency per backend and
 * operation, cache sizes per layer, database pools, the outbox, 503s and request ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flatPicture, imageUrl, uploadAsset } from '../http/delivery-fixtures.ts';
import { METRICS_AUTH, startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';

let app: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  // One transform at a time and no queue: a second concurrent miss is refused with 503.
  app = await startTestApp({ config: { maxConcurrentTransforms: 1, maxQueuedTransforms: 0 } });
  org = await createOrganization(app.platform, 'metrics');
});

afterAll(async () => {
  await app?.close();
});

/** The value of one sample of /metrics, e.g. `imgplane_cache_entries{layer="memory"}`; undefined when absent. */
async function sample(selector: string): Promise<number | undefined> {
  const text = await (await fetch(`${app.baseUrl}/metrics`, { headers: METRICS_AUTH })).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${selector} `));
  return line === undefined ? undefined : Number(line.slice(selector.length + 1));
}

describe('operational metrics', () => {
  it('count storage calls by backend and operation, cache entries and bytes, pools and the outbox', async () => {
    const tenant = org.tenants[0];
    const putsBefore = (await sample('imgplane_storage_operation_duration_seconds_count{backend="local",operation="put",outcome="ok"}')) ?? 0;
    const asset = await uploadAsset(app.baseUrl, tenant, await flatPicture(64, 48, '#336699'));
    expect(await sample('imgplane_storage_operation_duration_seconds_count{backend="local",operation="put",outcome="ok"}')).toBeGreaterThan(putsBefore);

    // Twice: the memory cache keeps a variant from its second request on.
    for (let i = 0; i < 2; i += 1) {
      const response = await fetch(imageUrl({ baseUrl: app.baseUrl, org, tenant, asset }, 'w_32.webp'));
      expect(response.status).toBe(200);
      await app.platform.variants.settled();
    }
    expect(await sample('imgplane_cache_entries{layer="memory"}')).toBeGreaterThanOrEqual(1);
    expect(await sample('imgplane_cache_bytes{layer="memory"}')).toBeGreaterThan(0);
    expect(await sample('imgplane_cache_entries{layer="originals"}')).toBeGreaterThanOrEqual(1);
    expect(await sample('imgplane_transforms_in_flight')).toBe(0);
    expect(await sample('imgplane_db_pool_clients{pool="main",state="total"}')).toBeGreaterThanOrEqual(1);
    expect(await sample('imgplane_db_pool_clients{pool="main",state="waiting"}')).toBe(0);
    // no in-process worker in a test app: the migrating login's queue pool stays closed
    expect(await sample('imgplane_db_pool_clients{pool="queue",state="total"}')).toBe(0);

    // No worker runs in the test app: the upload's asset.created event waits in the outbox.
    expect(await sample('imgplane_outbox_pending_events')).toBeGreaterThanOrEqual(1);
    expect(await sample('imgplane_outbox_lag_seconds')).toBeGreaterThan(0);
  });

  it('counts 503 answers of a full transform queue', async () => {
    const tenant = org.tenants[1];
    const asset = await uploadAsset(app.baseUrl, tenant, await flatPicture(400, 300, '#aa3300'));
    const before = (await sample('imgplane_http_throttled_total{status="503",route="/v1/pub/*"}')) ?? 0;
    const statuses = await Promise.all(
      [101, 102, 103, 104, 105, 106].map(async (width) => (await fetch(imageUrl({ baseUrl: app.baseUrl, org, tenant, asset }, `w_${width}-blur_3.avif`))).status),
    );
    const refused = statuses.filter((status) => status === 503).length;
    expect(refused).toBeGreaterThan(0);
    expect(await sample('imgplane_http_throttled_total{status="503",route="/v1/pub/*"}')).toBe(before + refused);
  });

  it('answers with the request id it logs: the caller\'s X-Request-Id, or a new one', async () => {
    const given = await fetch(`${app.baseUrl}/health/live`, { headers: { 'x-request-id': 'lb-1234.abc' } });
    expect(given.headers.get('x-request-id')).toBe('lb-1234.abc');
    const made = await fetch(`${app.baseUrl}/health/live`, { headers: { 'x-request-id': 'has spaces; and more' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

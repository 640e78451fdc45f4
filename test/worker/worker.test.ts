/**
 * The worker against the real database, storage and HTTP apps. A database of this file's own: a
 * running worker takes every job, and the dispatcher claims every due event, in its database, so
 * in the shared one it would take other files' events (test/db/outbox.test.ts asserts that its
 * events stay undelivered) and they could take this file's. The dispatcher tests run first, in the
 * first describe block, before the second block's worker starts, so nothing else claims their events.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listenForInvalidations, type InvalidationListener } from '../../platform/invalidation.ts';
import { withClaims } from '../../platform/request-context.ts';
import { verifyWebhookSignature } from '../../platform/events/webhook-signature.ts';
import type { EventConsumer } from '../../worker/consumers/types.ts';
import { startWorker, type WorkerHandle } from '../../worker/runner.ts';
import { dispatchOutbox } from '../../worker/tasks/outbox-dispatch.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createIsolatedDatabase, type IsolatedDatabase } from '../db/database.ts';
import { upload } from '../support/http.ts';
import { createOrganization, PLATFORM_ADMIN } from '../support/tenancy.ts';
import { eventsAbout, insertPreset, startWebhookReceiver, uniquePresetName, type WebhookReceiver } from './support.ts';

const WEBHOOK_SECRET = 'test-webhook-secret';
/** Caches that would hide any change for ten minutes without cross-instance invalidation. */
const LONG_CACHES = { metadataCacheTtlMs: 600_000, authCacheTtlMs: 600_000 };

let database: IsolatedDatabase;
let appA: TestApp;
let appB: TestApp;
let storageDir: string;
let receiver: WebhookReceiver;
/** Events about presets with these names fail their first webhook delivery. */
const flakyPresetNames = new Set<string>();

beforeAll(async () => {
  const answered = new Set<string>();
  receiver = await startWebhookReceiver((hook) => {
    const flaky = flakyPresetNames.has(String(hook.json.payload.name)) && !answered.has(hook.json.id);
    answered.add(hook.json.id);
    return flaky ? 500 : 200;
  });
  // Two instances of one deployment: same database, same storage.
  database = await createIsolatedDatabase();
  storageDir = await mkdtemp(path.join(tmpdir(), 'imgplane-worker-test-'));
  const storage = { kind: 'local' as const, dir: storageDir };
  const config = { ...LONG_CACHES, databaseUrl: database.url };
  appA = await startTestApp({ storage, config });
  appB = await startTestApp({ storage, config });
});

afterAll(async () => {
  await appB?.close();
  await appA?.close();
  await receiver?.close();
  // Only once every pool on it has ended.
  await database?.drop();
  if (storageDir) await rm(storageDir, { recursive: true, force: true });
});

async function pictureBytes(background: string): Promise<Buffer> {
  return sharp({ create: { width: 400, height: 300, channels: 3, background } }).jpeg().toBuffer();
}

describe('dispatchOutbox', () => {
  it('goes on with the batch when a consumer fails, and retries that event after a backoff', async () => {
    const pool = appA.db;
    const org = await createOrganization(appA.platform, 'wdisp');
    const ids: string[] = [];
    for (const prefix of ['ok', 'bad', 'ok']) {
      ids.push(await insertPreset(pool, { organizationId: org.id, name: uniquePresetName(prefix), operations: { w: 10 } }));
    }
    const [first, failing, last] = ids as [string, string, string];
    const handled: string[] = [];
    let receiverDown = true;
    const recorder: EventConsumer = {
      name: 'recorder',
      handle: async (event) => {
        if (event.aggregateId !== null && ids.includes(event.aggregateId)) handled.push(event.aggregateId);
      },
    };
    const flaky: EventConsumer = {
      name: 'flaky',
      handle: async (event) => {
        if (receiverDown && event.aggregateId === failing) throw new Error('receiver down');
      },
    };
    const limits = { batchSize: 100, maxBatches: 1_000 };

    const run = await dispatchOutbox(pool, [recorder, flaky], limits);
    const ended = Date.now();

    // Every consumer saw every event, in commit order (a slow run may have retried the failing one already).
    expect([...new Set(handled)]).toEqual([first, failing, last]);
    for (const id of [first, last]) {
      expect(await eventsAbout(pool, id)).toMatchObject([{ attempts: 1, delivered_at: expect.any(Date), last_error: null }]);
    }
    const [retry] = await eventsAbout(pool, failing);
    expect(retry).toMatchObject({ delivered_at: null, last_error: 'flaky: receiver down' });
    expect(retry!.attempts).toBeGreaterThanOrEqual(1);
    // backing off: not due again at once (a little clock skew between Node and Postgres allowed)
    expect(retry!.available_at.getTime()).toBeGreaterThan(ended - 100);
    expect(run.failed).toBeGreaterThanOrEqual(1);
    expect(run.nextRunAt!.getTime()).toBeLessThanOrEqual(retry!.available_at.getTime());

    receiverDown = false;
    await vi.waitFor(
      async () => {
        await dispatchOutbox(pool, [recorder, flaky], limits);
        expect(await eventsAbout(pool, failing)).toMatchObject([{ attempts: retry!.attempts + 1, delivered_at: expect.any(Date) }]);
      },
      { timeout: 10_000, interval: 200 },
    );
  });

  it('delivers the next event of an aggregate in the same run as the earlier one it waited for', async () => {
    const pool = appA.db;
    const org = await createOrganization(appA.platform, 'worder');
    const preset = await insertPreset(pool, { organizationId: org.id, name: uniquePresetName('order'), operations: { w: 10 } });
    await pool.query(`update imgplane.presets set operations = '{"w":20}' where id = $1`, [preset]);
    const [created, updated] = await eventsAbout(pool, preset);
    expect(updated).toBeDefined();
    const failedOnce = new Set<string>();
    const failsFirstTry: EventConsumer = {
      name: 'fails-first-try',
      handle: async (event) => {
        if (event.id === created!.id && !failedOnce.has(event.id)) {
          failedOnce.add(event.id);
          throw new Error('not yet');
        }
      },
    };
    const limits = { batchSize: 100, maxBatches: 1_000 };

    // The update waits behind the failed create; the run asks to come back when the create is due.
    const first = await dispatchOutbox(pool, [failsFirstTry], limits);
    expect((await eventsAbout(pool, preset)).map((event) => event.delivered_at)).toEqual([null, null]);
    const retryAt = (await eventsAbout(pool, preset))[0]!.available_at;
    expect(first.nextRunAt!.getTime()).toBeLessThanOrEqual(retryAt.getTime());

    await new Promise((resolve) => setTimeout(resolve, Math.max(retryAt.getTime() - Date.now() + 50, 0)));
    await dispatchOutbox(pool, [failsFirstTry], limits);
    // one run: the create, then the update it had held back (not left for the next sweep)
    expect(await eventsAbout(pool, preset)).toMatchObject([
      { id: created!.id, delivered_at: expect.any(Date) },
      { id: updated!.id, delivered_at: expect.any(Date), attempts: 1 },
    ]);
  });

  it('works through several batches, then stops at its bound and asks to run again at once', async () => {
    const pool = appA.db;
    const org = await createOrganization(appA.platform, 'wbound');
    for (const prefix of ['one', 'two', 'three']) {
      await insertPreset(pool, { organizationId: org.id, name: uniquePresetName(prefix), operations: { w: 10 } });
    }
    const run = await dispatchOutbox(pool, [], { batchSize: 1, maxBatches: 2 });
    expect(run.delivered).toBe(2);
    expect(run.nextRunAt!.getTime()).toBeLessThanOrEqual(Date.now());
  });
  it('dead-letters an event after its last attempt and claims it no more', async () => {
    const pool = appA.db;
    const org = await createOrganization(appA.platform, 'wdead');
    const presetId = await insertPreset(pool, { organizationId: org.id, name: uniquePresetName('dead'), operations: { w: 10 } });
    let handled = 0;
    const down: EventConsumer = {
      name: 'down',
      handle: async (event) => {
        if (event.aggregateId !== presetId) return;
        handled += 1;
        throw new Error('gone for good');
      },
    };
    const limits = { batchSize: 100, maxBatches: 1_000, maxAttempts: 3 };
    for (let attempt = 1; attempt <= 4; attempt++) {
      await dispatchOutbox(pool, [down], limits);
      // skip the backoff: make a retry due at once
      await pool.query('update imgplane.events set available_at = now() where aggregate_id = $1 and dead_at is null', [presetId]);
    }
    expect(handled).toBe(3);
    expect(await eventsAbout(pool, presetId)).toMatchObject([
      { attempts: 3, delivered_at: null, dead_at: expect.any(Date), last_error: 'down: gone for good' },
    ]);
  });

  it('keeps no transaction open while consumers run, and a parallel run never gets an event being delivered', async () => {
    const applicationName = `imgplane-dispatch-test-${randomBytes(4).toString('hex')}`;
    const dispatcherPool = new pg.Pool({ ...appA.platform.pool.options, application_name: applicationName, max: 2 });
    try {
      const org = await createOrganization(appA.platform, 'wshort');
      const presetId = await insertPreset(appA.platform.pool, { organizationId: org.id, name: uniquePresetName('short'), operations: { w: 10 } });
      const seen: { openTransactions: number; parallelRunGot: string[] }[] = [];
      const probe: EventConsumer = {
        name: 'probe',
        handle: async (event) => {
          if (event.aggregateId !== presetId) return;
          const { rows } = await appA.db.query<{ open: number }>(
            'select count(*)::int as open from pg_stat_activity where application_name = $1 and xact_start is not null',
            [applicationName],
          );
          const parallelRunGot: string[] = [];
          const recorder: EventConsumer = { name: 'parallel', handle: async (other) => void parallelRunGot.push(other.aggregateId ?? '') };
          await dispatchOutbox(appA.platform.pool, [recorder], { batchSize: 100, maxBatches: 1_000 });
          seen.push({ openTransactions: rows[0]!.open, parallelRunGot });
        },
      };
      await dispatchOutbox(dispatcherPool, [probe], { batchSize: 100, maxBatches: 1_000 });
      expect(seen).toHaveLength(1);
      expect(seen[0]!.openTransactions).toBe(0);
      expect(seen[0]!.parallelRunGot).not.toContain(presetId);
      expect(await eventsAbout(appA.db, presetId)).toMatchObject([{ attempts: 1, delivered_at: expect.any(Date) }]);
    } finally {
      await dispatcherPool.end();
    }
  });
});

describe('a running worker', () => {
  let worker: WorkerHandle;
  let listenerB: InvalidationListener;

  beforeAll(async () => {
    worker = await startWorker({ platform: appA.platform, config: { webhook: { url: receiver.url, secret: WEBHOOK_SECRET } } });
    listenerB = await listenForInvalidations(appB.platform);
  });

  afterAll(async () => {
    await listenerB?.close();
    await worker?.stop();
  });

  it('delivers a committed event within a few seconds, with a signed webhook', async () => {
    const pool = appA.db;
    const org = await createOrganization(appA.platform, 'wlive');
    const presetId = await insertPreset(pool, { organizationId: org.id, name: uniquePresetName('live'), operations: { w: 10 } });

    await vi.waitFor(async () => expect((await eventsAbout(pool, presetId))[0]?.delivered_at).toBeInstanceOf(Date), {
      timeout: 5_000,
      interval: 50,
    });
    const [event] = await eventsAbout(pool, presetId);
    expect(event).toMatchObject({ event_type: 'preset.created', attempts: 1, last_error: null });
    const hook = receiver.received.find((candidate) => candidate.json.id === event!.id);
    expect(hook?.json).toMatchObject({ type: 'preset.created', aggregateId: presetId });
    expect(hook?.headers['x-imgplane-delivery']).toBe(event!.id);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, String(hook?.headers['x-imgplane-signature']), hook!.body, Math.floor(Date.now() / 1000))).toBe(true);
  });

  it('wakes the dispatcher by NOTIFY at commit only: a rolled-back change leaves no event and wakes nobody', async () => {
    const org = await createOrganization(appA.platform, 'wrollback');
    const listener = new pg.Client(appA.platform.pool.options);
    const woken: number[] = [];
    listener.on('notification', (notification) => {
      if (notification.channel === 'imgplane_outbox') woken.push(notification.processId);
    });
    await listener.connect();
    const client = await appA.db.connect();
    try {
      await listener.query('listen imgplane_outbox');
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      const pid = rows[0]!.pid;
      const insertPresetSql = `insert into imgplane.presets (organization_id, name, operations) values ($1, $2, '{"w":10}') returning id`;
      await client.query('begin');
      const gone = await client.query<{ id: string }>(insertPresetSql, [org.id, uniquePresetName('gone')]);
      await client.query('rollback');
      // two events in one transaction: one wake-up
      await client.query('begin');
      const kept = await client.query<{ id: string }>(insertPresetSql, [org.id, uniquePresetName('kept')]);
      await client.query(insertPresetSql, [org.id, uniquePresetName('kept')]);
      await client.query('commit');
      // notifications arrive in commit order: once the committed one is here, a rolled-back one would be too
      await vi.waitFor(() => expect(woken).toContain(pid), { timeout: 5_000, interval: 20 });
      expect(woken.filter((sender) => sender === pid)).toHaveLength(1);
      expect(await eventsAbout(appA.db, gone.rows[0]!.id)).toEqual([]);
      await vi.waitFor(async () => expect((await eventsAbout(appA.db, kept.rows[0]!.id))[0]?.delivered_at).toBeInstanceOf(Date), {
        timeout: 5_000,
        interval: 50,
      });
    } finally {
      client.release();
      await listener.end();
    }
  });

  it('retries a failing webhook, counting attempts, until it is delivered', async () => {
    const pool = appA.db;
    const org = await createOrganization(appA.platform, 'whook');
    const name = uniquePresetName('flaky');
    flakyPresetNames.add(name);
    const presetId = await insertPreset(pool, { organizationId: org.id, name, operations: { w: 10 } });

    await vi.waitFor(async () => expect((await eventsAbout(pool, presetId))[0]?.delivered_at).toBeInstanceOf(Date), {
      timeout: 15_000,
      interval: 100,
    });
    const [event] = await eventsAbout(pool, presetId);
    expect(event).toMatchObject({ attempts: 2, last_error: 'webhook: answered HTTP 500' });
    const deliveries = receiver.received.filter((hook) => hook.json.id === event!.id);
    expect(deliveries.map((hook) => hook.status)).toEqual([500, 200]);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, String(deliveries[1]!.headers['x-imgplane-signature']), deliveries[1]!.body, Math.floor(Date.now() / 1000))).toBe(true);
  });

  it('pregenerates matching auto_generate presets after an upload and a new version, so GETs are not misses', async () => {
    const pool = appA.db;
    const org = await createOrganization(appA.platform, 'wpregen');
    const tenant = org.tenants[0];
    const presets = [
      { name: 'card', operations: { w: 120, h: 90, f: 'cover' }, autoGenerate: true, matchTags: ['product'] },
      { name: 'hero', operations: { w: 200, fmt: 'webp' }, autoGenerate: true, matchFolders: ['/banners'] },
      { name: 'other', operations: { w: 50 }, autoGenerate: true, matchTags: ['other'] },
      { name: 'elsewhere', operations: { w: 60 }, autoGenerate: true, matchFolders: ['/ban'] },
      { name: 'manual', operations: { w: 70 } },
    ];
    for (const preset of presets) await insertPreset(pool, { organizationId: org.id, ...preset });

    const created = await upload(appA.baseUrl, tenant.key, tenant.spaceId, await pictureBytes('#336699'), {
      tags: 'product,sale',
      folder: '/banners/summer',
      access: 'public',
      filename: 'banner.jpg',
    });
    expect(created.status).toBe(201);
    const asset = (await created.json()) as { id: string; urls: { original: string } };
    // card: jpeg and webp (no fmt of its own); hero: webp; other, elsewhere and manual: none
    const expected = 3;
    const variantsOf = async (version: number) => {
      const { rows } = await pool.query<{ count: number }>(
        'select count(*)::int as count from imgplane.derived_assets where asset_id = $1 and version = $2',
        [asset.id, version],
      );
      return rows[0]!.count;
    };
    const settled = async (version: number) => {
      const pending = await pool.query<{ count: number }>(
        `select count(*)::int as count from graphile_worker.jobs where key like '%' || $1 || '%'`,
        [asset.id],
      );
      const events = await eventsAbout(pool, asset.id);
      expect(events.every((event) => event.delivered_at !== null)).toBe(true);
      expect(pending.rows[0]!.count).toBe(0);
      expect(await variantsOf(version)).toBe(expected);
    };
    await vi.waitFor(() => settled(1), { timeout: 10_000, interval: 100 });

    for (const file of ['preset_card.webp', 'preset_card.jpg', 'preset_hero.webp']) {
      const response = await fetch(asset.urls.original.replace(/original\.[a-z]+$/, file));
      expect(response.status).toBe(200);
      expect(['hit-memory', 'hit-storage']).toContain(response.headers.get('x-cache'));
    }

    const replaced = await upload(appA.baseUrl, tenant.key, tenant.spaceId, await pictureBytes('#993366'), {}, 'PUT', asset.id);
    expect(replaced.status).toBe(201);
    await vi.waitFor(() => settled(2), { timeout: 10_000, interval: 100 });
  });

  it('makes a second instance answer 404 for a deleted asset at once, despite its long catalog cache', async () => {
    const org = await createOrganization(appA.platform, 'wdelete');
    const tenant = org.tenants[0];
    const created = await upload(appA.baseUrl, tenant.key, tenant.spaceId, await pictureBytes('#669933'), { access: 'public' });
    const asset = (await created.json()) as { id: string; urls: { original: string } };
    const onB = new URL(new URL(asset.urls.original).pathname.replace(/original\.[a-z]+$/, 'w_100.jpg'), appB.baseUrl);
    expect((await fetch(onB)).status).toBe(200);

    const deleted = await fetch(`${appA.baseUrl}/v1/assets/${asset.id}`, { method: 'DELETE', headers: { 'x-api-key': tenant.key } });
    expect(deleted.status).toBe(204);
    await vi.waitFor(async () => expect((await fetch(onB)).status).toBe(404), { timeout: 5_000, interval: 50 });
  });

  it('makes a second instance refuse a revoked API key at once, despite its long authentication cache', async () => {
    const org = await createOrganization(appA.platform, 'wrevoke');
    const tenant = org.tenants[0];
    const created = await upload(appA.baseUrl, tenant.key, tenant.spaceId, await pictureBytes('#996633'));
    const asset = (await created.json()) as { id: string };
    const readOnB = () => fetch(`${appB.baseUrl}/v1/assets/${asset.id}`, { headers: { 'x-api-key': tenant.key } });
    expect((await readOnB()).status).toBe(200);

    await withClaims(appA.platform.pool, PLATFORM_ADMIN, (client) =>
      client.query(`update imgplane.api_keys set status = 'revoked', revoked_at = now() where tenant_id = $1`, [tenant.id]),
    );
    await vi.waitFor(async () => expect((await readOnB()).status).toBe(401), { timeout: 5_000, interval: 50 });
  });
});

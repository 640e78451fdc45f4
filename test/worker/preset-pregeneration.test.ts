/**
 * The preset-pregeneration consumer against the real database: which presets match an asset and
 * which events ask for pregeneration at all. Jobs are recorded instead of enqueued, so no worker
 * is needed here.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withClaims } from '../../platform/request-context.ts';
import { presetPregenerationConsumer } from '../../worker/consumers/preset-pregeneration.ts';
import type { OutboxEvent } from '../../worker/consumers/types.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { upload } from '../support/http.ts';
import { createOrganization, PLATFORM_ADMIN, type TestOrganization } from '../support/tenancy.ts';
import { insertPreset, outboxEventsAbout } from './support.ts';

let app: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  app = await startTestApp();
  org = await createOrganization(app.platform, 'wmatch');
  const { pool } = app.platform;
  const tenant = org.tenants[0];
  const orgPresets = [
    { name: 'thumb', operations: { w: 100 }, autoGenerate: true },
    { name: 'square', operations: { w: 80, h: 80, fmt: 'avif' }, autoGenerate: true, matchFolders: ['/shop'] },
    { name: 'tagged', operations: { w: 90 }, autoGenerate: true, matchTags: ['sale', 'new'] },
    { name: 'untagged', operations: { w: 91 }, autoGenerate: true, matchTags: ['archive'] },
    { name: 'prefix', operations: { w: 92 }, autoGenerate: true, matchFolders: ['/sh'] },
    { name: 'banner', operations: { w: 300 }, autoGenerate: true },
    { name: 'manual', operations: { w: 93 } },
  ];
  for (const preset of orgPresets) await insertPreset(pool, { organizationId: org.id, ...preset });
  // The space's own "banner" switches the organisation's off: the nearest scope wins.
  await insertPreset(pool, {
    organizationId: org.id,
    tenantId: tenant.id,
    spaceId: tenant.spaceId,
    name: 'banner',
    operations: { w: 300 },
  });
});

afterAll(() => app?.close());

interface RecordedJob {
  identifier: string;
  payload: unknown;
  jobKey: string | undefined;
}

function recordingConsumer() {
  const jobs: RecordedJob[] = [];
  const consumer = presetPregenerationConsumer(app.platform.pool, async (identifier, payload, spec) => {
    jobs.push({ identifier, payload, jobKey: spec.jobKey });
  });
  return { consumer, jobs };
}

const jobNames = (jobs: RecordedJob[]) =>
  jobs.map(({ payload }) => {
    const job = payload as { version: number; preset: string; format: string };
    return `v${job.version}:${job.preset}:${job.format}`;
  }).sort();

async function uploadPicture(background: string, fields: { tags?: string; folder?: string }): Promise<string> {
  const tenant = org.tenants[0];
  const bytes = await sharp({ create: { width: 64, height: 48, channels: 3, background } }).png().toBuffer();
  const response = await upload(app.baseUrl, tenant.key, tenant.spaceId, bytes, fields);
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

async function eventOf(assetId: string, type: string, nth = 0): Promise<OutboxEvent> {
  const events = (await outboxEventsAbout(app.db, assetId)).filter((event) => event.type === type);
  expect(events.length).toBeGreaterThan(nth);
  return events[nth]!;
}

describe('preset pregeneration consumer', () => {
  it('enqueues one job per matching preset and format, keyed so repeats collapse', async () => {
    const assetId = await uploadPicture('#123456', { tags: 'new', folder: '/shop/shoes' });
    const { consumer, jobs } = recordingConsumer();
    await consumer.handle(await eventOf(assetId, 'asset.created'));

    expect(jobNames(jobs)).toEqual(['v1:square:avif', 'v1:tagged:jpeg', 'v1:tagged:webp', 'v1:thumb:jpeg', 'v1:thumb:webp']);
    expect(jobs.every((job) => job.identifier === 'pregenerate_variant')).toBe(true);
    expect(new Set(jobs.map((job) => job.jobKey)).size).toBe(jobs.length);

    const again = recordingConsumer();
    await again.consumer.handle(await eventOf(assetId, 'asset.created'));
    expect(again.jobs.map((job) => job.jobKey)).toEqual(jobs.map((job) => job.jobKey));
  });

  it('pregenerates a new version but not a tag edit of the same version', async () => {
    const assetId = await uploadPicture('#654321', { folder: '/blog' });
    const tenant = org.tenants[0];
    const replacement = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#abcdef' } }).png().toBuffer();
    const replaced = await upload(app.baseUrl, tenant.key, tenant.spaceId, replacement, {}, 'PUT', assetId);
    expect(replaced.status).toBe(201);
    const newVersion = recordingConsumer();
    await newVersion.consumer.handle(await eventOf(assetId, 'asset.updated', 0));
    expect(jobNames(newVersion.jobs)).toEqual(['v2:thumb:jpeg', 'v2:thumb:webp']);

    // The new tag matches the "tagged" preset, yet an edit brings no new bytes to render.
    await withClaims(app.platform.pool, PLATFORM_ADMIN, (client) =>
      client.query(`update imgplane.assets set tags = array['sale'] where id = $1`, [assetId]),
    );
    const tagEdit = recordingConsumer();
    await tagEdit.consumer.handle(await eventOf(assetId, 'asset.updated', 1));
    expect(tagEdit.jobs).toEqual([]);
  });

  it('enqueues nothing for a deleted asset or for events about other things', async () => {
    const assetId = await uploadPicture('#0f0f0f', {});
    const tenant = org.tenants[0];
    const deleted = await fetch(`${app.baseUrl}/v1/assets/${assetId}`, { method: 'DELETE', headers: { 'x-api-key': tenant.key } });
    expect(deleted.status).toBe(204);
    const { consumer, jobs } = recordingConsumer();
    await consumer.handle(await eventOf(assetId, 'asset.created'));
    await consumer.handle(await eventOf(assetId, 'asset.deleted'));
    const created = await eventOf(assetId, 'asset.created');
    await consumer.handle({ ...created, type: 'preset.created', aggregateType: 'preset' });
    expect(jobs).toEqual([]);
  });
});

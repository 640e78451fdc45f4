import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { upload } from '../support/http.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';

let server: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform);
});
afterAll(() => server?.close());

describe('smoke', () => {
  it('uploads and delivers', async () => {
    const picture = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    const tenant = org.tenants[0];
    const response = await upload(server.baseUrl, tenant.key, tenant.spaceId, picture, { filename: 'a.jpg' });
    const body = await response.json();
    console.log(response.status, body);
    expect(response.status).toBe(201);
    const url = body.urls.original.replace(/original\.jpg$/, 'w_200.webp');
    const first = await fetch(url);
    console.log(first.status, Object.fromEntries(first.headers), first.status >= 400 ? await first.text() : '');
    expect(first.status).toBe(200);
    const second = await fetch(url);
    expect(second.headers.get('x-cache')).toBe('hit-memory');
  });
});

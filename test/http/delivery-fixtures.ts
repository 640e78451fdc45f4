/**
 * Shared fixtures of the upload and delivery integration tests: image URLs for a test tenant,
 * uploads that must succeed, decoding responses, reading counters, and the storage backends the
 * delivery suite runs against (local disk in a temp folder, or s3rver).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { expect } from 'vitest';
import type { StorageConfig } from '../../core/storage/config.ts';
import type { AssetView } from '../../platform/assets/asset-service.ts';
import type { Platform } from '../../platform/platform.ts';
import { responseBytes, upload, type UploadFields } from '../support/http.ts';
import { s3ConfigFor, type S3TestServer } from '../support/s3-server.ts';
import type { TestOrganization, TestTenant } from '../support/tenancy.ts';

export interface ImageAddress {
  baseUrl: string;
  org: TestOrganization;
  tenant: TestTenant;
  asset: Pick<AssetView, 'id' | 'version'>;
  access?: 'pub' | 'priv';
}

/** `/v1/{pub|priv}/{org}/{tenant}/{space}/img/{id}/v{n}/{ops}.{ext}` for a test tenant's asset. */
export function imagePath(address: Omit<ImageAddress, 'baseUrl'>, file: string): string {
  const { org, tenant, asset } = address;
  return `/v1/${address.access ?? 'pub'}/${org.slug}/${tenant.slug}/${tenant.spaceSlug}/img/${asset.id}/v${asset.version}/${file}`;
}

export function imageUrl(address: ImageAddress, file: string): string {
  return `${address.baseUrl}${imagePath(address, file)}`;
}

/** Uploads `bytes` into the tenant's space and returns the asset; fails the test on any other status. */
export async function uploadAsset(
  baseUrl: string,
  tenant: TestTenant,
  bytes: Buffer,
  fields: UploadFields = {},
): Promise<AssetView> {
  const response = await upload(baseUrl, tenant.key, tenant.spaceId, bytes, fields);
  const body = (await response.json()) as AssetView & { message?: string };
  expect([200, 201], `upload answered ${response.status}: ${body.message ?? ''}`).toContain(response.status);
  return body;
}

export interface DecodedImage {
  response: Response;
  bytes: Buffer;
  metadata: Metadata;
}

/** GETs an image URL, asserts 200, and decodes the body with sharp. */
export async function fetchImage(url: string, init: RequestInit = {}): Promise<DecodedImage> {
  const response = await fetch(url, init);
  const bytes = await responseBytes(response);
  expect(response.status, `${url} answered ${response.status}: ${bytes.toString('utf8', 0, 300)}`).toBe(200);
  return { response, bytes, metadata: await sharp(bytes, { animated: true }).metadata() };
}

/** A non-square opaque test picture whose top-left quadrant is red and the rest blue. */
export async function quadrantPicture(width: number, height: number, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const quadrant = await sharp({
    create: { width: width / 2, height: height / 2, channels: 3, background: '#ff0000' },
  }).png().toBuffer();
  const composed = await sharp({ create: { width, height, channels: 3, background: '#0000ff' } })
    .composite([{ input: quadrant, left: 0, top: 0 }])
    .png()
    .toBuffer();
  // Compositing adds an alpha channel; the picture is meant to be opaque.
  return sharp(composed).removeAlpha().toFormat(format).toBuffer();
}

/** A 1x50000 grey strip: tiny on disk, accepted by the default policy, huge once enlarged (`up`). */
export async function tallStrip(): Promise<Buffer> {
  return sharp({ create: { width: 1, height: 50_000, channels: 3, background: '#808080' } }).png().toBuffer();
}

/** A flat picture with an optional alpha channel (distinct colours give distinct bytes). */
export async function flatPicture(
  width: number,
  height: number,
  colour: string,
  format: 'png' | 'jpeg' = 'jpeg',
): Promise<Buffer> {
  const channels = format === 'png' ? 4 : 3;
  return sharp({ create: { width, height, channels, background: colour } }).toFormat(format).toBuffer();
}

/** RGB of one pixel of decoded image bytes. */
export async function pixelAt(bytes: Buffer, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return [data[offset]!, data[offset + 1]!, data[offset + 2]!];
}

/** How many transforms this process has run (the `imgplane_transforms_total` counter, all formats). */
export async function transformCount(platform: Platform): Promise<number> {
  const metric = await platform.metrics.transforms.get();
  return metric.values.reduce((sum, sample) => sum + sample.value, 0);
}

/** Every file below `dir` (relative paths); an absent folder has none. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/** The app configuration of an S3 store served by the test S3 server. */
export function s3StorageConfig(server: S3TestServer): StorageConfig {
  // Short bounds so a stopped server turns into a quick 503 instead of a slow one.
  return { ...s3ConfigFor(server), timeouts: { connectMs: 500, idleMs: 2_000, maxAttempts: 1 } };
}

/** Asserts a JSON error body with a readable message; returns it for further checks. */
export async function expectError(
  response: Response,
  status: number,
): Promise<{ error: string; message: string; detail?: Record<string, unknown> }> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  const body = JSON.parse(text) as { error: string; message: string; detail?: Record<string, unknown> };
  expect(body.message.length).toBeGreaterThan(5);
  return body;
}

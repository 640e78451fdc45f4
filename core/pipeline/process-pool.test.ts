import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { readImageHeader } from './header.ts';
import { createProcessPool } from './process-pool.ts';
import { corpusFile, makeRequest } from './testing.ts';
import { transformImage } from './transform.ts';

const pool = createProcessPool();
afterAll(() => pool.close());

const PHOTO = corpusFile('2569067123_aca715a2ee_o.jpg');
const soon = (ms: number) => ({ deadlineAt: performance.now() + ms, timeoutMs: ms });

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('createProcessPool', () => {
  it('renders in a child exactly what the pipeline renders in-process, from a path or from bytes', async () => {
    const request = makeRequest(PHOTO, { width: 120, format: 'webp' });
    const inProcess = await transformImage(request);
    const fromPath = await pool.transform(request, soon(15_000));
    const fromBytes = await pool.transform({ ...request, input: await readFile(PHOTO) }, soon(15_000));
    expect(Buffer.isBuffer(fromPath.data)).toBe(true);
    expect(fromPath.data.equals(inProcess.data)).toBe(true);
    expect(fromBytes.data.equals(inProcess.data)).toBe(true);
    expect([fromPath.width, fromPath.height, fromPath.contentType]).toEqual([inProcess.width, inProcess.height, 'image/webp']);
  });

  it('keeps client-facing errors from the child as they are (code, status, detail)', async () => {
    const refused = pool.transform(makeRequest(PHOTO, { width: 100 }, { maxInputPixels: 1000 }), soon(15_000));
    await expect(refused).rejects.toMatchObject({ code: 'unprocessable_image', status: 422, detail: { limit: 'max_input_pixels' } });
    const truncated = pool.transform(makeRequest(corpusFile('truncated.jpg'), { width: 100 }), soon(15_000));
    await expect(truncated).rejects.toMatchObject({ code: 'unprocessable_image', status: 422 });
  });

  it('kills the child at the deadline, so the work stops with the 503, and serves the next job from a fresh child', async () => {
    // Warm a child first, so the deadline is spent on pixels rather than on starting a process.
    await pool.transform(makeRequest(PHOTO, { width: 50 }), soon(15_000));
    const [busyPid] = pool.stats().pids;
    expect(busyPid).toBeDefined();
    const killedBefore = pool.stats().killed;
    const slow = pool.transform(makeRequest(PHOTO, { blur: 500, format: 'png' }, { maxCost: 1e9 }), soon(400));
    await expect(slow).rejects.toMatchObject({ code: 'timeout', status: 503, message: expect.stringContaining('400 ms') });
    expect(pool.stats().killed).toBe(killedBefore + 1);
    expect(pool.stats().pids).not.toContain(busyPid);
    // SIGKILL is delivered asynchronously; the process is gone within moments, not after the blur.
    for (let attempt = 0; attempt < 50 && isAlive(busyPid as number); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(isAlive(busyPid as number)).toBe(false);
    const next = await pool.transform(makeRequest(PHOTO, { width: 80, format: 'jpeg' }), soon(15_000));
    expect(next.width).toBe(80);
  });
});

describe('the transform processes', () => {
  it("run with two malloc arenas and glibc's own mmap threshold, unless the environment says otherwise", async () => {
    const environmentOf = async (pid: number) => (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
    await pool.transform(makeRequest(PHOTO, { width: 40 }), soon(15_000));
    const environment = await environmentOf(pool.stats().pids[0]!);
    expect(environment).toContain('MALLOC_ARENA_MAX=2');
    expect(environment.filter((entry) => entry.startsWith('MALLOC_MMAP_THRESHOLD_='))).toEqual([]);

    process.env.MALLOC_ARENA_MAX = '4';
    const own = createProcessPool();
    try {
      await own.transform(makeRequest(PHOTO, { width: 40 }), soon(15_000));
      expect(await environmentOf(own.stats().pids[0]!)).toContain('MALLOC_ARENA_MAX=4');
    } finally {
      delete process.env.MALLOC_ARENA_MAX;
      await own.close();
    }
  });
});

describe('checkDecodes in a child', () => {
  it('passes an original that decodes and refuses a damaged one with its 422 reason', async () => {
    await expect(pool.checkDecodes(PHOTO, await readImageHeader(PHOTO), 100_000_000, soon(15_000))).resolves.toBeUndefined();
    const truncated = corpusFile('truncated.png');
    const refused = pool.checkDecodes(truncated, await readImageHeader(truncated), 100_000_000, soon(15_000));
    await expect(refused).rejects.toMatchObject({ code: 'unprocessable_image', status: 422, message: expect.stringMatching(/^image could not be decoded: /) });
  });

  it('kills the child at the deadline and answers the 422 naming transform_timeout_ms', async () => {
    // 49 megapixels in about 1.5 KB: a second of decoding, far past a 150 ms deadline.
    const bomb = await sharp({ create: { width: 7_000, height: 7_000, channels: 3, background: '#336699' } }).avif({ effort: 0 }).toBuffer();
    await pool.checkDecodes(PHOTO, await readImageHeader(PHOTO), 100_000_000, soon(15_000)); // a warm child
    const killedBefore = pool.stats().killed;
    const started = performance.now();
    const refused = pool.checkDecodes(bomb, await readImageHeader(bomb), 100_000_000, soon(150));
    await expect(refused).rejects.toMatchObject({
      code: 'unprocessable_image',
      status: 422,
      detail: { limit: 'transform_timeout_ms', timeoutMs: 150 },
      message: expect.stringContaining('within 150 ms'),
    });
    expect(performance.now() - started).toBeLessThan(600);
    expect(pool.stats().killed).toBe(killedBefore + 1);
  });
});

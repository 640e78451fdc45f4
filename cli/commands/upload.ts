/**
 * `imgplane upload FILE|DIR...`: uploads images into a space, several at a time, behind a
 * progress bar. What the space already holds (same SHA-256) and repeats within the run are
 * skipped without sending their bytes; a summary ends the run, and any failure makes it exit 1.
 */
import { openAsBlob } from 'node:fs';
import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { PAGE_INFO, type ApiClient } from '../client.ts';
import { action } from '../context.ts';
import { CliError } from '../errors.ts';
import { spaceId } from '../refs.ts';
import { collectFiles, hashFile, type LocalFile } from '../upload-files.ts';

type Outcome = 'uploaded' | 'already-there' | 'duplicate' | 'failed';

interface FileResult {
  path: string;
  outcome: Outcome;
  assetId?: string;
  message?: string;
}

interface UploadOptions {
  space: string;
  concurrency: string;
  tags?: string;
  folder?: string;
  access?: string;
}

export function registerUploadCommand(program: Command): void {
  program
    .command('upload')
    .description('upload image files or folders into a space (skips what the space already has)')
    .argument('<paths...>', 'files and folders (folders recursively; hidden files are skipped)')
    .requiredOption('--space <space>', 'org/tenant/space, or a space id')
    .option('--concurrency <n>', 'uploads in flight at once', '4')
    .option('--tags <list>', 'comma-separated tags for every file')
    .option('--folder <folder>', 'folder for every file, e.g. /products/shoes/')
    .option('--access <access>', 'public or private (default: the space policy)')
    .action(
      action(async ({ client, output }, paths: string[], options: UploadOptions) => {
        const concurrency = Number(options.concurrency);
        if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
          throw new CliError(`--concurrency must be an integer from 1 to 64, got "${options.concurrency}"`);
        }
        const api = client();
        const space = await spaceId(api, options.space);
        const { files, ignored } = await collectFiles(paths);
        if (files.length === 0) throw new CliError(`no image files under ${paths.join(', ')}`, 'images are .jpg .png .webp .avif .gif .tif .svg');
        const local = await Promise.all(files.map(hashFile));
        const existing = await hashesInSpace(api, space, local.map((file) => file.sha256));

        const results: FileResult[] = [];
        const toSend: LocalFile[] = [];
        const seen = new Map<string, string>();
        for (const file of local) {
          const earlier = seen.get(file.sha256);
          if (earlier) results.push({ path: file.path, outcome: 'duplicate', message: `same bytes as ${earlier}` });
          else if (existing.has(file.sha256)) results.push({ path: file.path, outcome: 'already-there', assetId: existing.get(file.sha256) });
          else toSend.push(file);
          if (!earlier) seen.set(file.sha256, file.path);
        }

        const bar = new SingleBar(
          { format: 'uploading [{bar}] {value}/{total} files | {file}', hideCursor: true, stream: process.stderr },
          Presets.shades_classic,
        );
        bar.start(toSend.length, 0, { file: '' });
        await inParallel(toSend, concurrency, async (file) => {
          results.push(await uploadOne(api, space, file, options));
          bar.increment({ file: path.basename(file.path) });
        });
        bar.stop();

        const count = (outcome: Outcome) => results.filter((result) => result.outcome === outcome).length;
        const summary = {
          spaceId: space,
          uploaded: count('uploaded'),
          alreadyThere: count('already-there'),
          duplicates: count('duplicate'),
          failed: count('failed'),
          ignored: ignored.length,
          files: results.sort((a, b) => a.path.localeCompare(b.path)),
        };
        output.result(summary, () =>
          [
            `uploaded ${summary.uploaded}, skipped ${summary.alreadyThere + summary.duplicates} ` +
              `(${summary.alreadyThere} already in the space, ${summary.duplicates} duplicates in this run), failed ${summary.failed}` +
              (ignored.length > 0 ? `, ${ignored.length} non-image files ignored` : ''),
            ...results.filter((result) => result.outcome === 'failed').map((result) => `  failed: ${result.path}: ${result.message}`),
          ].join('\n'),
        );
        if (summary.failed > 0) process.exitCode = 1;
      }),
    );
}

/** Content hash → asset id of the live assets of the space that have one of these hashes. */
async function hashesInSpace(api: ApiClient, space: string, hashes: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const unique = [...new Set(hashes)];
  for (let start = 0; start < unique.length; start += 100) {
    const versions = await api.listAll<{ contentHash: string; assetId: string }>(
      'allAssetVersions',
      `query($space: UUID!, $hashes: [String!]!, $first: Int!, $after: Cursor) {
         allAssetVersions(filter: { spaceId: { equalTo: $space }, contentHash: { in: $hashes }, asset: { deletedAt: { isNull: true } } }, first: $first, after: $after) {
           nodes { contentHash assetId }
           ${PAGE_INFO}
         }
       }`,
      { space, hashes: unique.slice(start, start + 100) },
    );
    for (const node of versions) found.set(node.contentHash.trim(), node.assetId);
  }
  return found;
}

async function uploadOne(api: ApiClient, space: string, file: LocalFile, options: UploadOptions): Promise<FileResult> {
  const form = new FormData();
  if (options.tags) form.append('tags', options.tags);
  if (options.folder) form.append('folder', options.folder);
  if (options.access) form.append('access', options.access);
  form.append('file', await openAsBlob(file.path), path.basename(file.path));
  try {
    const response = await api.rest(`/v1/spaces/${space}/assets`, { method: 'POST', body: form });
    const asset = (await response.json()) as { id: string };
    // 200: another upload of the same bytes got there first.
    return { path: file.path, outcome: response.status === 201 ? 'uploaded' : 'already-there', assetId: asset.id };
  } catch (error) {
    if (error instanceof CliError && /API key/.test(error.message)) throw error;
    return { path: file.path, outcome: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

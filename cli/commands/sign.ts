/** `imgplane sign PATH`: a signed URL for a private image path (POST /v1/sign, needs the sign scope). */
import type { Command } from 'commander';
import { action } from '../context.ts';
import { CliError } from '../errors.ts';

interface SignedPath {
  url: string;
  expiresAt: number;
  ttlSeconds: number;
  clamped: boolean;
}

export function registerSignCommand(program: Command): void {
  program
    .command('sign')
    .description('sign a private image path, e.g. /v1/priv/acme/shop/media/img/<asset id>/v1/w_400.webp')
    .argument('<path>', 'the /v1/priv/... path to sign')
    .option('--ttl <seconds>', 'lifetime (default and maximum: the space policy)')
    .action(
      action(async ({ client, output }, imagePath: string, options: { ttl?: string }) => {
        const ttlSeconds = options.ttl === undefined ? undefined : Number(options.ttl);
        if (ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && ttlSeconds > 0)) {
          throw new CliError(`--ttl must be a positive number of seconds, got "${options.ttl}"`);
        }
        const response = await client().rest('/v1/sign', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ path: imagePath, ttlSeconds }),
        });
        const [signed] = ((await response.json()) as { urls: SignedPath[] }).urls;
        if (!signed) throw new CliError('the server signed nothing');
        output.result(signed, () => signed.url);
        if (signed.clamped) output.note(`note: the TTL was cut to the policy maximum, ${signed.ttlSeconds} s`);
      }),
    );
}

/**
 * The worker's own settings, read once from the environment and validated. Everything else it
 * needs comes from core/config.ts (database, storage, cache), exactly as the server reads it.
 */
import { ConfigError } from '../core/config.ts';

export interface WebhookTarget {
  /** Where every outbox event is POSTed. */
  url: string;
  /** HMAC-SHA256 key of the `X-Imgplane-Signature` header. */
  secret: string;
}

export interface WorkerConfig {
  /** WEBHOOK_URL and WEBHOOK_SECRET; absent: no webhook consumer. */
  webhook: WebhookTarget | undefined;
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const url = env.WEBHOOK_URL?.trim() || undefined;
  const secret = env.WEBHOOK_SECRET?.trim() || undefined;
  if (url === undefined) return { webhook: undefined };
  if (!isHttpUrl(url)) throw new ConfigError(`WEBHOOK_URL must be an absolute http(s) URL, got "${url}"`);
  // Unsigned webhooks could be forged by anyone who learns the receiver's address.
  if (secret === undefined) throw new ConfigError('WEBHOOK_SECRET is required when WEBHOOK_URL is set');
  return { webhook: { url, secret } };
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Puts an imgplane variant where a scenario wants it before the load starts: requests it until
 * imgplane answers from the expected cache layer (the first request renders it; a storage hit
 * also waits for the write-behind store).
 */
import type { RunningServer } from './servers.ts';

export async function expectLayer(server: RunningServer, path: string, layer: string, attempts = 50): Promise<void> {
  let seen: string | null = null;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${server.label} answered ${response.status} for ${path}`);
    seen = response.headers.get('x-cache');
    if (seen === layer) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${server.label} never answered ${path} from ${layer} (last: ${seen})`);
}

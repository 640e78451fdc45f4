/**
 * lru-cache options for a cache whose entries are loaded through its `fetch` (a `fetchMethod`):
 * `fetch` runs one load per key however many callers want it at once, so when a busy entry
 * expires the requests in flight for it share one query instead of each starting its own (and a
 * pool opening a connection for each). A load still running when its entry is deleted is stored
 * all the same, as a load followed by a `set` would be, rather than failing its callers.
 * Used by the delivery catalog, the signing keys, the API-key checks and the API's CORS lists.
 */
export const ONE_LOAD_PER_KEY = { ignoreFetchAbort: true } as const;

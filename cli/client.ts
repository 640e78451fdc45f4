/**
 * Talks to a running imgplane server: GraphQL at /graphql for the control plane, REST for
 * uploads and signing. Turns every failure into a CliError that says what to check.
 */
import { CliError } from './errors.ts';

export interface Connection {
  /** Base URL of the server, e.g. http://127.0.0.1:3000. */
  url: string;
  apiKey: string;
}

interface GraphqlError {
  message: string;
  extensions?: { code?: string; detail?: unknown };
}

interface Page<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Rows per page when listing: the API's largest page for a key. */
const LIST_PAGE_SIZE = 1_000;

/** The selection `listAll` pages by. */
export const PAGE_INFO = 'pageInfo { hasNextPage endCursor }';

const KEY_HINT = 'pass --key or set IMGPLANE_API_KEY (the first key comes from `imgplane bootstrap`)';

export class ApiClient {
  constructor(
    readonly connection: Connection,
    /** Rows asked for per page by listAll. */
    private readonly pageSize = LIST_PAGE_SIZE,
  ) {}

  /** Runs one GraphQL operation; the first error fails it. */
  async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await this.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json().catch(() => undefined)) as { data?: T; errors?: GraphqlError[] } | undefined;
    if (body === undefined) throw new CliError(`${this.connection.url}/graphql answered ${response.status} without JSON`, 'is --url the imgplane server?');
    const [first] = body.errors ?? [];
    if (first) throw graphqlFailure(first, response.status);
    if (body.data === undefined) throw new CliError('the server answered without data');
    return body.data;
  }

  /**
   * Every row of the connection `field`, a page at a time (the API refuses connections that read
   * rows without a page). `query` declares `$first: Int!` and `$after: Cursor` and selects
   * `field(first: $first, after: $after, ...) { nodes { ... } pageInfo { hasNextPage endCursor } }`.
   */
  async listAll<T>(field: string, query: string, variables: Record<string, unknown> = {}): Promise<T[]> {
    const rows: T[] = [];
    let after: string | null = null;
    do {
      const page: Page<T> | undefined = (await this.graphql<Record<string, Page<T>>>(query, { ...variables, first: this.pageSize, after }))[field];
      if (!page) throw new CliError(`the server answered without ${field}`);
      rows.push(...page.nodes);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after !== null);
    return rows;
  }

  /** A REST call; answers the response when its status is 2xx, throws a CliError otherwise. */
  async rest(path: string, init: RequestInit): Promise<Response> {
    const response = await this.request(path, init);
    if (response.ok) return response;
    const body = (await response.json().catch(() => undefined)) as { error?: string; message?: string } | undefined;
    throw httpFailure(response.status, body?.message ?? response.statusText, body?.error);
  }

  private async request(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('x-api-key', this.connection.apiKey);
    try {
      return await fetch(new URL(path, this.connection.url), { ...init, headers });
    } catch (error) {
      const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new CliError(
        `cannot reach imgplane at ${this.connection.url} (${reason})`,
        'is the server running? Pass --url or set IMGPLANE_URL to where it listens',
      );
    }
  }
}

function graphqlFailure(error: GraphqlError, status: number): CliError {
  const code = error.extensions?.code;
  if (status === 401 || code === 'unauthorized') return new CliError(`the API key was refused: ${error.message}`, KEY_HINT);
  return httpFailure(status, error.message, code);
}

function httpFailure(status: number, message: string, code: string | undefined): CliError {
  if (status === 401 || code === 'unauthorized') return new CliError(`the API key was refused: ${message}`, KEY_HINT);
  if (code === 'forbidden' || status === 403) {
    return new CliError(message, 'use a key with the needed scope (admin for the control plane; organisations need the platform operator key)');
  }
  if (code === 'not_found' || status === 404) return new CliError(message, 'check the id or slug; keys only see their own organisation');
  if (status === 429 || status === 503) return new CliError(`${message} (HTTP ${status})`, 'the server is busy or limiting this key: retry later');
  return new CliError(code ? `${message} (${code})` : message);
}

/** Connection settings from options and environment, or a CliError naming what is missing. */
export function connectionFrom(options: { url?: string; key?: string }): Connection {
  const url = options.url ?? 'http://127.0.0.1:3000';
  try {
    new URL(url);
  } catch {
    throw new CliError(`--url / IMGPLANE_URL is not a URL: "${url}"`, 'e.g. --url http://127.0.0.1:3000');
  }
  if (!options.key) throw new CliError('no API key', KEY_HINT);
  return { url: url.replace(/\/$/, ''), apiKey: options.key };
}

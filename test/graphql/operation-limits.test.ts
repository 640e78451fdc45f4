/**
 * GraphQL requests are bounded before Grafast plans them (graphql/operation-limits.ts): aliases,
 * tokens, depth, fields, page sizes and total cost, with a small anonymous budget that still
 * allows introspection. Refusals are 400s naming the limit, answered in milliseconds, and hostile
 * queries arriving do not stall the event loop that serves images and health checks.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getIntrospectionQuery } from 'postgraphile/graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';
import { graphql, type GraphqlResponse } from './client.ts';

let server: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'gqlimits');
  // The schema is built in the background: wait for it, so timings measure the guard only.
  await graphql(server.baseUrl, '{ __typename }');
});
afterAll(() => server?.close());

/** The query of the finding: N aliases of a connection with a nested connection. */
function aliasedQuery(count: number): string {
  const fields = Array.from({ length: count }, (_, index) => `a${index}: allAssets { totalCount nodes { rowId versions { nodes { version } } } }`);
  return `{ ${fields.join(' ')} }`;
}

async function timedGraphql(query: string, apiKey?: string, variables: Record<string, unknown> = {}): Promise<{ response: GraphqlResponse<unknown>; ms: number }> {
  const started = performance.now();
  const response = await graphql(server.baseUrl, query, variables, apiKey);
  return { response, ms: performance.now() - started };
}

function expectRefused(response: GraphqlResponse<unknown>, limit: string): string {
  expect(response.status, JSON.stringify(response.errors)).toBe(400);
  expect(response.data).toBeUndefined();
  expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'bad_request', limit });
  return response.errors?.[0]?.message ?? '';
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

describe('GraphQL operation limits', () => {
  // The bound is 50 ms on an idle machine (measured 10-20 ms); the thresholds below leave room for
  // a loaded 2-core CI box and still fail by orders of magnitude without the limits (1000 aliases
  // took 115 s, 200 took 8.7 s of blocked event loop).
  it('refuses a 1000-alias query, anonymous or not, with a 400 naming the limit in milliseconds', async () => {
    const query = aliasedQuery(1000);
    const times: number[] = [];
    for (const apiKey of [undefined, org.adminKey, undefined, org.adminKey, undefined]) {
      const { response, ms } = await timedGraphql(query, apiKey);
      expectRefused(response, 'max_tokens');
      times.push(ms);
    }
    console.log(`[operation-limits] 1000-alias refusals took ${times.map((ms) => ms.toFixed(1)).join(', ')} ms`);
    expect(median(times)).toBeLessThan(250);
    expect(Math.max(...times)).toBeLessThan(1_000);
  });

  it('refuses 200 aliases by max_aliases, and says how many it found', async () => {
    const { response } = await timedGraphql(aliasedQuery(200), org.adminKey);
    expect(expectRefused(response, 'max_aliases')).toMatch(/Aliases limit of 30 exceeded, found 200/);
    expect(response.errors?.[0]?.extensions).toMatchObject({ maximum: 30 });
  });

  it('keeps the event loop responsive while hostile queries arrive', async () => {
    // Bodies made up front: the test's own client shares this event loop with the server.
    const bodies = [aliasedQuery(1000), aliasedQuery(200)].map((query) => JSON.stringify({ query }));
    const headers = { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': org.adminKey };
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    const liveness: number[] = [];
    const probing = (async () => {
      for (let probe = 0; probe < 10; probe += 1) {
        const started = performance.now();
        expect((await fetch(`${server.baseUrl}/health/live`)).status).toBe(200);
        liveness.push(performance.now() - started);
      }
    })();
    const hostile = Array.from({ length: 20 }, (_, index) =>
      fetch(`${server.baseUrl}/graphql`, { method: 'POST', headers, body: bodies[index % 2] }).then(async (response) => {
        await response.arrayBuffer();
        return response.status;
      }),
    );
    expect(new Set(await Promise.all(hostile))).toEqual(new Set([400]));
    await probing;
    histogram.disable();
    const delayMs = { p50: histogram.percentile(50) / 1e6, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
    console.log(`[operation-limits] event-loop delay ms ${JSON.stringify(delayMs)}, /health/live ms ${liveness.map((ms) => ms.toFixed(1)).join(', ')}`);
    expect(delayMs.p50).toBeLessThan(50);
    expect(delayMs.max).toBeLessThan(1_000);
    expect(median(liveness)).toBeLessThan(250);
  });

  it('refuses a deep query by max_depth and says what was exceeded', async () => {
    // asset → space → assets → space ...: a cycle through the schema, as an attacker would write it.
    let selection = 'rowId';
    for (let level = 0; level < 5; level += 1) selection = `space { assets(first: 1) { nodes { ${selection} } } }`;
    const deep = `{ allAssets(first: 1) { nodes { ${selection} } } }`;
    const { response } = await timedGraphql(deep, org.adminKey);
    expect(response.status, JSON.stringify(response.errors)).toBe(400);
    const limit = response.errors?.[0]?.extensions?.limit;
    // Whichever bound it meets first (depth or list nesting), the message names it, never "internal error".
    expect(limit).toBe('max_depth');
    expect(response.errors?.[0]?.message).toMatch(/depth|list/i);
    expect(response.errors?.[0]?.message).not.toMatch(/internal error/);
  });

  it('caps page sizes, given inline or through variables', async () => {
    expectRefused((await timedGraphql('{ allAssets(first: 5000) { totalCount } }', org.adminKey)).response, 'max_page_size');
    const viaVariable = await timedGraphql('query($n: Int) { allAssets(first: $n) { totalCount } }', org.adminKey, { n: 5000 });
    expect(expectRefused(viaVariable.response, 'max_page_size')).toContain('5000');
    expect((await timedGraphql('{ allAssets(first: 1000) { totalCount } }', org.adminKey)).response.status).toBe(200);
  });

  it('refuses a query whose pages multiply past max_cost', async () => {
    const query = '{ allAssets(first: 1000) { nodes { rowId versions(first: 1000) { nodes { version } } } } }';
    expect(expectRefused((await timedGraphql(query, org.adminKey)).response, 'max_cost')).toMatch(/over the limit of 50000/);
  });

  it('gives anonymous callers introspection and little else', async () => {
    const introspection = await timedGraphql(getIntrospectionQuery());
    expect(introspection.response.status).toBe(200);
    expect(introspection.response.errors).toBeUndefined();
    expect((introspection.response.data as { __schema: { types: unknown[] } }).__schema.types.length).toBeGreaterThan(50);
    expect((await timedGraphql('{ allAssets(first: 10) { nodes { rowId } } }')).response.status).toBe(200);
    const nested = '{ allAssets(first: 20) { totalCount nodes { rowId versions(first: 20) { nodes { version } } } } }';
    expectRefused((await timedGraphql(nested)).response, 'max_cost');
    expect((await timedGraphql(nested, org.adminKey)).response.status).toBe(200);
  });

  it('refuses a connection that reads rows without first or last, naming it; counting needs no page', async () => {
    for (const [query, field] of [
      ['{ allAssets { nodes { rowId } } }', 'allAssets'],
      ['{ allAssets { edges { cursor } } }', 'allAssets'],
      ['{ allAssets(first: 1) { nodes { versions { nodes { version } } } } }', 'versions'],
      ['query($n: Int) { allAssets(first: $n) { nodes { rowId } } }', 'allAssets'],
    ] as const) {
      const message = expectRefused((await timedGraphql(query, org.adminKey)).response, 'max_page_size');
      expect(message).toBe(`${field} reads rows without first or last: ask for a page, e.g. ${field}(first: 100), at most 1000`);
    }
    for (const query of ['{ allAssets { totalCount } }', '{ allAssets(last: 2) { nodes { rowId } } }', '{ allAssets(first: 0) { pageInfo { hasNextPage } } }']) {
      const { response } = await timedGraphql(query, org.adminKey);
      expect(response.errors, query).toBeUndefined();
      expect(response.status).toBe(200);
    }
  });

  it('limits the request body to 256 KiB', async () => {
    const padded = `{ __typename } # ${'x'.repeat(300 * 1024)}`;
    const response = await fetch(`${server.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: padded }),
    });
    expect(response.status).toBe(413);
  });
});

/** A minimal GraphQL-over-HTTP client for tests: POST /graphql with fetch, as any client would. */
export interface GraphqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; detail?: Record<string, unknown>; [key: string]: unknown };
}

export interface GraphqlResponse<TData> {
  status: number;
  data: TData | null | undefined;
  errors: GraphqlError[] | undefined;
}

export async function graphql<TData = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  apiKey?: string,
): Promise<GraphqlResponse<TData>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey !== undefined) headers['x-api-key'] = apiKey;
  const response = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: TData | null; errors?: GraphqlError[] };
  return { status: response.status, data: body.data, errors: body.errors };
}

/** The data of a response that must have succeeded; fails the test with the errors otherwise. */
export async function graphqlData<TData = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  apiKey?: string,
): Promise<TData> {
  const response = await graphql<TData>(baseUrl, query, variables, apiKey);
  if (response.errors !== undefined || response.data == null) {
    throw new Error(`GraphQL request failed (${response.status}): ${JSON.stringify(response.errors)}`);
  }
  return response.data;
}

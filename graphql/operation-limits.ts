/**
 * Bounds on what one GraphQL request may ask for, checked before Grafast plans it (planning grows
 * faster than linearly with aliases: 200 aliased connections took seconds of event loop). Every
 * check is linear in a document whose size the body limit bounds:
 *   tokens (graphql's parser stops counting early), aliases (graphql-armor), depth and list
 *   nesting (@graphile/depth-limit), fields evaluated, page sizes and total cost
 *   (graphql-query-complexity: every field costs 1, a connection multiplies its selection by the
 *   page it asks for).
 * A connection that reads rows (`nodes`, `edges`) must ask for a page with `first` or `last`:
 * PostGraphile would otherwise return every row, and silently capping the page would hide rows
 * from a client that did not ask for pages (the approach PostGraphile's maintainer recommends).
 * Counting (`totalCount`) needs no page.
 * Anonymous callers get a budget that fits introspection (free of cost) and little else.
 * A refusal is a 400 whose error carries `extensions.limit`, the limit it was over.
 */
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { depthLimit } from '@graphile/depth-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { GraphQLError, Kind, parse, validate, type DocumentNode, type FieldNode, type GraphQLSchema, type ValidationRule } from 'postgraphile/graphql';

export interface OperationLimits {
  maxTokens: number;
  maxAliases: number;
  maxDepth: number;
  /** Lists nested in lists (assets → versions → ...). */
  maxListDepth: number;
  /** Largest `first` / `last` a connection may ask for. */
  maxPageSize: number;
  /** Fields evaluated, fragments expanded where they are spread. */
  maxFields: number;
  maxCost: number;
}

export type LimitName = 'max_tokens' | 'max_aliases' | 'max_depth' | 'max_fields' | 'max_page_size' | 'max_cost';

/** Largest GraphQL request body, in bytes (a Fastify route limit: 413 beyond it). */
export const GRAPHQL_BODY_LIMIT_BYTES = 256 * 1024;
export const API_KEY_LIMITS: Readonly<OperationLimits> = Object.freeze({
  maxTokens: 5_000,
  maxAliases: 30,
  maxDepth: 12,
  maxListDepth: 4,
  maxPageSize: 1_000,
  maxFields: 2_000,
  maxCost: 50_000,
});

export const ANONYMOUS_LIMITS: Readonly<OperationLimits> = Object.freeze({
  ...API_KEY_LIMITS,
  maxAliases: 5,
  maxPageSize: 20,
  maxCost: 50,
});

export interface Refusal {
  limit: LimitName;
  maximum: number;
  message: string;
}

export interface OperationRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/**
 * The first limit `request` is over, or undefined. A document that does not parse or validate for
 * other reasons is not refused here: GraphQL's own errors answer it.
 */
export function checkOperation(schema: GraphQLSchema, request: OperationRequest, limits: OperationLimits): Refusal | undefined {
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens: limits.maxTokens });
  } catch (error) {
    // graphql-js words it "Document contains more that N tokens. Parsing aborted."
    const tooLong = error instanceof GraphQLError && /\d+ tokens\. Parsing aborted/.test(error.message);
    return tooLong ? { limit: 'max_tokens', maximum: limits.maxTokens, message: `the query has more than ${limits.maxTokens} tokens` } : undefined;
  }
  return (
    firstRuleError(schema, document, maxAliasesRule({ n: limits.maxAliases, exposeLimits: true, allowList: [] }), 'max_aliases', limits.maxAliases) ??
    firstRuleError(
      schema,
      document,
      depthLimit({
        maxDepth: limits.maxDepth,
        maxListDepth: limits.maxListDepth,
        revealDetails: true,
        // graphql-js's own getIntrospectionQuery() (what GraphiQL and codegen send) nests this deep.
        maxIntrospectionDepth: 16,
        maxDepthByFieldCoordinates: { '__Type.ofType': 10 },
      }),
      'max_depth',
      limits.maxDepth,
    ) ??
    costRefusal(schema, document, request, limits)
  );
}

function firstRuleError(schema: GraphQLSchema, document: DocumentNode, rule: ValidationRule, limit: LimitName, maximum: number): Refusal | undefined {
  let error: GraphQLError | undefined;
  try {
    [error] = validate(schema, document, [rule], { maxErrors: 1 });
  } catch (thrown) {
    // graphql-armor's rules throw their refusal rather than report it.
    if (!(thrown instanceof GraphQLError)) throw thrown;
    error = thrown;
  }
  if (!error) return undefined;
  return { limit, maximum, message: error.message.replace(/^Syntax Error: /, '') };
}

function costRefusal(schema: GraphQLSchema, document: DocumentNode, request: OperationRequest, limits: OperationLimits): Refusal | undefined {
  let largestPage = 0;
  let unpaged: string | undefined;
  const estimator: ComplexityEstimator = ({ type, field, node, args, childComplexity }) => {
    // Introspection is free: it reads the schema, not the database.
    if (field.name.startsWith('__') || type.name.startsWith('__')) return 0;
    if (!field.args.some((argument) => argument.name === 'first')) return 1 + childComplexity;
    const asked = [args.first, args.last].filter((value): value is number => typeof value === 'number');
    largestPage = Math.max(largestPage, ...asked);
    if (!readsRows(node)) return 1 + childComplexity; // totalCount, pageInfo: one query, not one per row
    if (asked.length === 0) unpaged ??= field.name;
    return 1 + childComplexity * Math.max(1, ...asked);
  };
  let cost: number;
  try {
    cost = getComplexity({
      schema,
      query: document,
      variables: request.variables ?? undefined,
      operationName: request.operationName ?? undefined,
      estimators: [estimator],
      maxQueryNodes: limits.maxFields,
    });
  } catch (error) {
    if (error instanceof GraphQLError && /maximum allowed number of nodes/.test(error.message)) {
      return { limit: 'max_fields', maximum: limits.maxFields, message: `the query selects more than ${limits.maxFields} fields` };
    }
    return undefined; // unknown operation, bad variables: GraphQL's own validation answers them
  }
  if (unpaged !== undefined) {
    return { limit: 'max_page_size', maximum: limits.maxPageSize, message: `${unpaged} reads rows without first or last: ask for a page, e.g. ${unpaged}(first: ${Math.min(100, limits.maxPageSize)}), at most ${limits.maxPageSize}` };
  }
  if (largestPage > limits.maxPageSize) {
    return { limit: 'max_page_size', maximum: limits.maxPageSize, message: `a connection asks for ${largestPage} rows; at most ${limits.maxPageSize} per page` };
  }
  if (cost > limits.maxCost) {
    return { limit: 'max_cost', maximum: limits.maxCost, message: `the query's cost is ${cost}, over the limit of ${limits.maxCost} (each field costs 1, a connection multiplies its selection by its page size)` };
  }
  return undefined;
}

/**
 * Fastify preHandler of the GraphQL route (after authentication): refuses an operation over its
 * caller's limits with a 400 in the GraphQL-over-HTTP error shape, before Grafast sees it.
 */
export function limitGraphqlOperations(schema: () => Promise<GraphQLSchema>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (reply.sent || request.method !== 'POST') return undefined;
    const operation = operationOf(request.body);
    if (!operation) return undefined;
    // The authentication hook before this one refused wrong keys: a key here is a valid one.
    const limits = request.headers['x-api-key'] === undefined ? ANONYMOUS_LIMITS : API_KEY_LIMITS;
    const refusal = checkOperation(await schema(), operation, limits);
    if (!refusal) return undefined;
    return reply.code(400).send({
      errors: [{ message: refusal.message, extensions: { code: 'bad_request', limit: refusal.limit, maximum: refusal.maximum } }],
    });
  };
}

/** Connection fields whose selection is repeated per row. */
const ROW_FIELDS: ReadonlySet<string> = new Set(['nodes', 'edges']);

/** Whether a connection's selection reads rows (fragments are assumed to). */
function readsRows(node: FieldNode): boolean {
  return (node.selectionSet?.selections ?? []).some((selection) => selection.kind !== Kind.FIELD || ROW_FIELDS.has(selection.name.value));
}

function operationOf(body: unknown): OperationRequest | undefined {
  if (typeof body === 'string') return { query: body };
  if (typeof body !== 'object' || body === null) return undefined;
  const { query, variables, operationName } = body as Record<string, unknown>;
  if (typeof query !== 'string') return undefined;
  return {
    query,
    variables: typeof variables === 'object' && variables !== null ? (variables as Record<string, unknown>) : undefined,
    operationName: typeof operationName === 'string' ? operationName : undefined,
  };
}

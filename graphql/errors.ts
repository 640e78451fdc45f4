/**
 * What a GraphQL client learns from an error. Client mistakes keep a readable message and carry
 * the platform's error code in `extensions.code` (the same codes as the HTTP API's `error` field);
 * PostgreSQL refusals (RLS, grants, constraints) are client mistakes too: our own functions'
 * `raise exception` messages are written for clients and pass as they are, while PostgreSQL's own
 * messages (which name constraints, policies and tables) are replaced by a readable sentence per
 * SQLSTATE, naming at most the column the client sent. Anything else is logged with an id and answered with that id only: no stack traces,
 * no SQL, no internals.
 */
import { randomUUID } from 'node:crypto';
import { isSafeError } from 'postgraphile/grafast';
import { GraphQLError } from 'postgraphile/graphql';
import { ImgplaneError, type ErrorCode } from '../core/errors.ts';

export interface ErrorLogger {
  error(details: { err: unknown; errorId: string }, message: string): void;
}

interface PostgresError {
  code: string;
  message: string;
  /** The server function that raised it: `exec_stmt_raise` for PL/pgSQL `raise exception`. */
  routine?: string;
  column?: string;
  detail?: string;
}

function isPostgresError(error: unknown): error is PostgresError {
  if (!(error instanceof Error)) return false;
  const { code, severity } = error as Error & { code?: unknown; severity?: unknown };
  // node-postgres' DatabaseError carries the server's severity; Node's system errors have a code only.
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string';
}

/** SQLSTATE classes a client can cause, and the platform code each maps to. */
function codeForSqlState(sqlState: string): ErrorCode | undefined {
  if (sqlState === '42501') return 'forbidden'; // insufficient privilege, row-level security
  if (sqlState === 'P0002') return 'not_found'; // no_data_found raised by our functions
  if (sqlState.startsWith('23')) return 'bad_request'; // integrity: unique, foreign key, check, not null
  if (sqlState.startsWith('22')) return 'bad_request'; // data: invalid text, out of range
  return undefined;
}

/** What a client reads instead of PostgreSQL's own message, by SQLSTATE. */
function readableMessage(error: PostgresError): string {
  if (error.routine === 'exec_stmt_raise') return error.message;
  const field = error.column ?? /^Key \(([^)]+)\)=/.exec(error.detail ?? '')?.[1];
  const about = field === undefined ? '' : ` (${field})`;
  switch (error.code) {
    case '42501':
      return 'not allowed: this API key may not read or change that here';
    case '23505':
      return `a record with the same value${about} exists`;
    case '23503':
      return `a record this refers to does not exist or is not visible to this API key${about}`;
    case '23502':
      return `a required value is missing${about}`;
    case '23514':
      return `a value is outside what is allowed${about}`;
    default:
      // Class 22 (data exceptions) describe the client's value, e.g. `invalid input syntax for type uuid: "x"`.
      return error.code.startsWith('22') ? error.message : 'the request was refused by the database';
  }
}

const NOTHING_DELETED = /^No values were deleted in collection '[a-z_]+' because no values you can delete were found/;

function withMessage(error: GraphQLError, message: string, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}

export function makeMaskError(log: ErrorLogger): (error: GraphQLError) => GraphQLError {
  return (error) => {
    const original = error.originalError;
    // GraphQL's own errors (syntax, validation, non-null) are about the query: keep them.
    if (!original || original instanceof GraphQLError) return error;
    // Every ImgplaneError but 'internal' is written for clients (503s included: "signing not configured").
    if (original instanceof ImgplaneError && original.code !== 'internal') {
      return withMessage(error, original.message, { code: original.code, ...(original.detail ? { detail: original.detail } : {}) });
    }
    if (isPostgresError(original)) {
      const code = codeForSqlState(original.code);
      if (code) return withMessage(error, readableMessage(original), { code });
    }
    // @dataplan/pg's answer to a delete that matched no row (missing, or hidden by RLS).
    if (NOTHING_DELETED.test(original.message)) return withMessage(error, original.message, { code: 'not_found' });
    // Grafast's SafeErrors are written for clients.
    if (isSafeError(original)) return withMessage(error, original.message, { code: 'bad_request' });
    const errorId = randomUUID();
    log.error({ err: original, errorId }, 'GraphQL request failed');
    return withMessage(error, `internal error (id ${errorId})`, { code: 'internal', errorId });
  };
}

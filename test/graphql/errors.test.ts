/**
 * What GraphQL clients learn from errors (graphql/errors.ts): client mistakes keep their message
 * and code, PostgreSQL refusals map by SQLSTATE, and everything else is replaced by an id that
 * is logged with the real error.
 */
import { GraphQLError } from 'postgraphile/graphql';
import { describe, expect, it } from 'vitest';
import { badRequest, ImgplaneError } from '../../core/errors.ts';
import { makeMaskError } from '../../graphql/errors.ts';

/** An error as node-postgres raises it for a server-side failure. */
function postgresError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR', detail: 'Key (slug)=(acme) already exists.' });
}

function masked(original: Error) {
  const logged: { err: unknown; errorId: string }[] = [];
  const maskError = makeMaskError({ error: (details) => logged.push(details) });
  const result = maskError(new GraphQLError(original.message, { path: ['field'], originalError: original }));
  return { result, logged };
}

describe('makeMaskError', () => {
  it('keeps a client error with its code and detail', () => {
    const { result, logged } = masked(badRequest('policy "max_width" must be an integer', { key: 'max_width' }));
    expect(result.message).toBe('policy "max_width" must be an integer');
    expect(result.extensions).toEqual({ code: 'bad_request', detail: { key: 'max_width' } });
    expect(result.path).toEqual(['field']);
    expect(logged).toEqual([]);
  });

  it.each([
    ['42501', 'new row violates row-level security policy for table "assets"', 'forbidden', 'not allowed: this API key may not read or change that here'],
    ['23505', 'duplicate key value violates unique constraint "organizations_slug_key"', 'bad_request', 'a record with the same value (slug) exists'],
    ['23514', 'new row for relation "assets" violates check constraint "assets_folder_check"', 'bad_request', 'a value is outside what is allowed (slug)'],
    ['22P02', 'invalid input syntax for type uuid: "x"', 'bad_request', 'invalid input syntax for type uuid: "x"'],
  ])('maps SQLSTATE %s to %s with a readable message naming no constraint, policy or row', (sqlState, raw, code, readable) => {
    const { result } = masked(postgresError(sqlState, raw));
    expect(result.message).toBe(readable);
    expect(result.extensions).toEqual({ code });
    expect(JSON.stringify(result)).not.toMatch(/acme|constraint|policy for table|sqlState/);
  });

  it('keeps the messages our own SQL functions raise for clients', () => {
    const raised = Object.assign(postgresError('P0002', 'asset 1 not found'), { routine: 'exec_stmt_raise' });
    expect(masked(raised).result).toMatchObject({ message: 'asset 1 not found', extensions: { code: 'not_found' } });
    const ceiling = Object.assign(postgresError('22023', 'policy "max_width" may be at most 4096 here'), { routine: 'exec_stmt_raise' });
    expect(masked(ceiling).result).toMatchObject({ message: 'policy "max_width" may be at most 4096 here', extensions: { code: 'bad_request' } });
  });

  it('reports a delete that matched nothing as not found', () => {
    const { result } = masked(new Error("No values were deleted in collection 'spaces' because no values you can delete were found matching these criteria."));
    expect(result.extensions).toEqual({ code: 'not_found' });
  });

  it.each([
    ['an unexpected error', new Error('connect ECONNREFUSED 10.0.0.5:5432 (password=hunter2)')],
    ['an internal platform error', new ImgplaneError('internal', 'invariant broken in catalog')],
    ['a server-side PostgreSQL failure', postgresError('57014', 'canceling statement due to statement timeout')],
  ])('hides %s behind a logged id', (_case, original) => {
    const { result, logged } = masked(original);
    expect(result.message).toMatch(/^internal error \(id [0-9a-f-]{36}\)$/);
    expect(result.extensions).toEqual({ code: 'internal', errorId: logged[0]!.errorId });
    expect(result.message).not.toContain(original.message);
    expect(logged).toEqual([{ err: original, errorId: expect.any(String) }]);
  });

  it('passes GraphQL validation errors through', () => {
    const validation = new GraphQLError('Cannot query field "secretHash" on type "ApiKey".');
    const maskError = makeMaskError({ error: () => {} });
    expect(maskError(validation)).toBe(validation);
  });
});

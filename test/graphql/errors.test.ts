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
    ['42501', 'permission denied for table organizations', 'forbidden'],
    ['23505', 'duplicate key value violates unique constraint "organizations_slug_key"', 'bad_request'],
    ['23514', 'new row for relation "assets" violates check constraint "assets_folder_check"', 'bad_request'],
    ['22P02', 'invalid input syntax for type uuid: "x"', 'bad_request'],
    ['P0002', 'asset 1 not found', 'not_found'],
  ])('maps SQLSTATE %s to %s without the row details', (sqlState, message, code) => {
    const { result } = masked(postgresError(sqlState, message));
    expect(result.message).toBe(message);
    expect(result.extensions).toEqual({ code, sqlState });
    expect(JSON.stringify(result)).not.toContain('already exists');
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

/**
 * The GraphQL schema as a reviewed artifact: the committed graphql/schema.graphql must match what
 * the database generates today, key secrets must not be in it at all, and only the intended
 * writes exist (tables written through validated custom mutations have no generated ones).
 */
import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  type GraphQLSchema,
} from 'postgraphile/graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGraphqlSchema, SCHEMA_FILE, sortedSdl } from '../../graphql/schema-sdl.ts';
import { createPool } from '../db/database.ts';

let pool: pg.Pool;
let schema: GraphQLSchema;

beforeAll(async () => {
  pool = createPool(2);
  schema = await buildGraphqlSchema(pool);
});
afterAll(() => pool?.end());

/** Every name a client could use: types, fields, arguments, input fields, enum values. */
function everyName(graphqlSchema: GraphQLSchema): string[] {
  const names: string[] = [];
  for (const type of Object.values(graphqlSchema.getTypeMap())) {
    names.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        names.push(field.name, ...field.args.map((arg) => arg.name));
      }
    } else if (isInputObjectType(type)) {
      names.push(...Object.keys(type.getFields()));
    } else if (isEnumType(type)) {
      names.push(...type.getValues().map((value) => value.name));
    }
  }
  return names;
}

describe('the GraphQL schema', () => {
  it('matches the committed graphql/schema.graphql (run `npm run graphql:schema` after API changes)', async () => {
    expect(sortedSdl(schema)).toBe(await readFile(SCHEMA_FILE, 'utf8'));
  });

  it('has no key secrets anywhere: no field, argument, input, filter or ordering names them', () => {
    const secretNames = everyName(schema).filter((name) => /secret_?hash|secret_?ciphertext/i.test(name));
    expect(secretNames).toEqual([]);
    // not vacuous: the key types are there, with their other columns
    for (const [type, field] of [['ApiKey', 'keyId'], ['SigningKey', 'kid'], ['WebhookEndpoint', 'url'], ['CdnPurgeTarget', 'provider']] as const) {
      const keyType = schema.getType(type);
      expect(isObjectType(keyType) && Object.keys(keyType.getFields())).toContain(field);
    }
  });

  it('offers exactly the intended mutations (no generated writes of keys, policies, versions, variants, usage or audit)', () => {
    const mutations = Object.keys(schema.getMutationType()!.getFields()).sort();
    const byKeys = (verb: string, type: string, keys: string[]) => [`${verb}${type}`, ...keys.map((key) => `${verb}${type}${key}`)];
    const generated = (type: string, keys: string[]) => [`create${type}`, ...byKeys('update', type, keys), ...byKeys('delete', type, keys)];
    expect(mutations).toEqual(
      [
        ...generated('Organization', ['ByRowId', 'BySlug']),
        ...generated('Tenant', ['ByRowId', 'ByOrganizationIdAndSlug']),
        ...generated('Space', ['ByRowId', 'ByTenantIdAndSlug']),
        ...generated('Preset', ['ByRowId']),
        'updateAsset',
        'updateAssetByRowId',
        'softDeleteAsset',
        'setPolicy',
        'unsetPolicy',
        // the platform operator's defaults and maxima (RLS and grants: imgplane_admin only)
        'updatePolicyKey',
        'updatePolicyKeyByKey',
        'createApiKey',
        'revokeApiKey',
        'rotateSigningKey',
        'revokeSigningKey',
        'signUrl',
        'createAnalystLogin',
        'dropAnalystLogin',
        // webhooks, CDN purge targets and the invalidation API (graphql/mutations/events.ts)
        'createWebhookEndpoint',
        'updateWebhookEndpoint',
        'deleteWebhookEndpoint',
        'replayWebhookDelivery',
        'createCdnPurgeTarget',
        'setCdnPurgeTargetCredentials',
        'deleteCdnPurgeTarget',
        'purgeAsset',
        'purgeSpace',
      ].sort(),
    );
  });

  it('exposes no SQL function as a query or mutation (RLS helpers and key functions stay internal)', () => {
    const roots = [...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())];
    for (const internal of ['authenticateApiKey', 'deliveryContext', 'registerVariant', 'recordUsage', 'signingKeySecret', 'activeSigningKey', 'callerAdministers', 'effectivePolicy', 'spacePresets', 'requestViaGraphql']) {
      expect(roots).not.toContain(internal);
    }
    const space = schema.getType('Space');
    expect(isObjectType(space) && Object.keys(space.getFields())).toContain('effectivePolicy');
  });
});

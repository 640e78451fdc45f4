/** `imgplane key`: API keys over GraphQL (needs the admin scope; the secret is shown once). */
import type { Command } from 'commander';
import { PAGE_INFO } from '../client.ts';
import { action } from '../context.ts';
import { CliError } from '../errors.ts';
import { organizationId, tenantId } from '../refs.ts';

const SCOPES = ['image:read', 'image:write', 'sign', 'admin'];

interface CreatedKey {
  secret: string;
  apiKey: { rowId: string; keyId: string; scopes: string[]; organizationId: string | null; tenantId: string | null };
}

export function registerKeyCommands(program: Command): void {
  const key = program.command('key').description('API keys (needs an admin key; the platform operator key reaches every organisation)');
  key
    .command('create')
    .description('create an API key; its secret is printed once')
    .requiredOption('--name <name>', 'what the key is for, e.g. "CI uploader"')
    .option('--scopes <list>', `comma-separated, from ${SCOPES.join(', ')}`, 'image:read,image:write,sign')
    .option('--org <org>', 'organisation slug or id (default: the calling key\'s)')
    .option('--tenant <tenant>', 'limit the key to this tenant (org/tenant or id)')
    .option('--expires <date>', 'ISO date or time after which the key stops working')
    .action(
      action(async ({ client, output }, options: { name: string; scopes: string; org?: string; tenant?: string; expires?: string }) => {
        const api = client();
        const scopes = options.scopes.split(',').map((scope) => scope.trim()).filter(Boolean);
        const unknown = scopes.filter((scope) => !SCOPES.includes(scope));
        if (unknown.length > 0) throw new CliError(`unknown scope ${unknown.join(', ')}`, `choose from ${SCOPES.join(', ')}`);
        const owner = options.tenant
          ? await tenantId(api, options.tenant, options.org)
          : { organizationId: options.org ? await organizationId(api, options.org) : null, tenantId: null };
        const data = await api.graphql<{ createApiKey: CreatedKey }>(
          `mutation($input: CreateApiKeyInput!) {
             createApiKey(input: $input) { secret apiKey { rowId keyId scopes organizationId tenantId } }
           }`,
          { input: { name: options.name, scopes, organizationId: owner.organizationId, tenantId: owner.tenantId, expiresAt: options.expires ?? null } },
        );
        const created = data.createApiKey;
        output.result({ secret: created.secret, ...created.apiKey }, () =>
          [`API key ${created.apiKey.keyId} (${created.apiKey.scopes.join(', ')}), shown once: store it now`, created.secret].join('\n'),
        );
      }),
    );
  key
    .command('list')
    .description('list API keys (never their secrets)')
    .option('--org <org>', 'only this organisation (slug or id)')
    .action(
      action(async ({ client, output }, options: { org?: string }) => {
        const api = client();
        const condition = options.org ? { organizationId: await organizationId(api, options.org) } : {};
        const rows = await api.listAll<Record<string, unknown>>(
          'allApiKeys',
          `query($condition: ApiKeyCondition, $first: Int!, $after: Cursor) {
             allApiKeys(condition: $condition, orderBy: CREATED_AT_DESC, first: $first, after: $after) {
               nodes { rowId keyId name scopes status organizationId tenantId lastUsedAt expiresAt }
               ${PAGE_INFO}
             }
           }`,
          { condition },
        );
        output.table(rows, ['keyId', 'name', 'scopes', 'status', 'rowId', 'tenantId', 'lastUsedAt']);
      }),
    );
  key
    .command('revoke')
    .description('revoke an API key: refused everywhere within AUTH_CACHE_TTL_MS')
    .argument('<id>', 'the key\'s rowId (see `imgplane key list`)')
    .action(
      action(async ({ client, output }, id: string) => {
        const data = await client().graphql<{ revokeApiKey: { apiKey: { rowId: string; status: string } } }>(
          'mutation($id: UUID!) { revokeApiKey(input: { rowId: $id }) { apiKey { rowId status } } }',
          { id },
        );
        output.result(data.revokeApiKey.apiKey, () => `API key ${id} revoked`);
      }),
    );

  program
    .command('signing-key')
    .description('URL signing keys (needs an admin key)')
    .command('rotate')
    .description('make a new signing key and deprecate the current one (it verifies until its grace period ends)')
    .option('--org <org>', 'organisation slug or id (default: the calling key\'s)')
    .option('--tenant <tenant>', 'a key of this tenant only (org/tenant or id)')
    .action(
      action(async ({ client, output }, options: { org?: string; tenant?: string }) => {
        const api = client();
        const owner = options.tenant
          ? await tenantId(api, options.tenant, options.org)
          : { organizationId: options.org ? await organizationId(api, options.org) : null, tenantId: null };
        const data = await api.graphql<{ rotateSigningKey: { signingKey: { kid: string; status: string } } }>(
          'mutation($input: RotateSigningKeyInput!) { rotateSigningKey(input: $input) { signingKey { kid status } } }',
          { input: owner },
        );
        output.result(data.rotateSigningKey.signingKey, () => `signing key ${data.rotateSigningKey.signingKey.kid} is now active`);
      }),
    );
}

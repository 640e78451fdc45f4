/** `imgplane preset`: named operations (`preset_<name>` in URLs) at organisation, tenant or space scope. */
import type { Command } from 'commander';
import { PAGE_INFO } from '../client.ts';
import { action } from '../context.ts';
import { CliError } from '../errors.ts';
import { organizationId, spaceId, tenantId } from '../refs.ts';

interface Scope {
  organizationId: string;
  tenantId: string | null;
  spaceId: string | null;
}

/** `w=400,h=300,fmt=webp` or a JSON object; numbers and booleans become JSON numbers and booleans. */
export function parseOperations(text: string): Record<string, unknown> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as Record<string, unknown>;
    } catch {
      throw new CliError('--ops is not valid JSON', 'write it as w=400,h=300,fmt=webp or as a JSON object');
    }
  }
  const operations: Record<string, unknown> = {};
  for (const pair of trimmed.split(',').filter(Boolean)) {
    const [key, value, ...rest] = pair.split('=');
    if (!key || value === undefined || rest.length > 0) throw new CliError(`--ops: "${pair}" is not key=value`, 'e.g. --ops w=400,h=300,f=cover');
    operations[key.trim()] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value === 'true' ? true : value === 'false' ? false : value;
  }
  if (Object.keys(operations).length === 0) throw new CliError('--ops is empty', 'e.g. --ops w=400,h=300,f=cover');
  return operations;
}

export function registerPresetCommands(program: Command): void {
  const preset = program.command('preset').description('presets: named operations used in URLs as preset_<name>');
  preset
    .command('create')
    .description('create a preset at the scope of --space, --tenant or --org (nearest wins)')
    .argument('<name>', 'a-z and 0-9, used in URLs as preset_<name>')
    .requiredOption('--ops <ops>', 'operations as URL keys: w=400,h=300,f=cover,fmt=webp (or JSON)')
    .option('--org <org>', 'organisation scope (slug or id)')
    .option('--tenant <tenant>', 'tenant scope (org/tenant or id)')
    .option('--space <space>', 'space scope (org/tenant/space or id)')
    .option('--auto', 'pregenerate it for every new upload')
    .action(
      action(async ({ client, output }, name: string, options: { ops: string; org?: string; tenant?: string; space?: string; auto?: boolean }) => {
        const api = client();
        const operations = parseOperations(options.ops);
        const scope = await scopeOf(api, options);
        const data = await api.graphql<{ createPreset: { preset: { rowId: string; name: string; operations: unknown } } }>(
          'mutation($preset: PresetInput!) { createPreset(input: { preset: $preset }) { preset { rowId name operations } } }',
          { preset: { ...scope, name, operations, autoGenerate: options.auto === true } },
        );
        const created = data.createPreset.preset;
        output.result(created, () => `preset ${created.name} created: ${created.rowId} (use preset_${created.name} in URLs)`);
      }),
    );
  preset
    .command('list')
    .description('list presets')
    .option('--org <org>', 'only this organisation (slug or id)')
    .action(
      action(async ({ client, output }, options: { org?: string }) => {
        const api = client();
        const condition = options.org ? { organizationId: await organizationId(api, options.org) } : {};
        const rows = await api.listAll<Record<string, unknown>>(
          'allPresets',
          `query($condition: PresetCondition, $first: Int!, $after: Cursor) {
             allPresets(condition: $condition, first: $first, after: $after) { nodes { rowId name operations autoGenerate organizationId tenantId spaceId } ${PAGE_INFO} }
           }`,
          { condition },
        );
        output.table(rows, ['name', 'operations', 'autoGenerate', 'rowId', 'tenantId', 'spaceId']);
      }),
    );
  preset
    .command('delete')
    .description('delete a preset')
    .argument('<id>', 'the preset\'s rowId (see `imgplane preset list`)')
    .action(
      action(async ({ client, output }, id: string) => {
        const data = await client().graphql<{ deletePresetByRowId: { preset: { rowId: string } } }>(
          'mutation($id: UUID!) { deletePresetByRowId(input: { rowId: $id }) { preset { rowId } } }',
          { id },
        );
        output.result(data.deletePresetByRowId.preset, () => `preset ${id} deleted`);
      }),
    );
}

async function scopeOf(api: Parameters<typeof organizationId>[0], options: { org?: string; tenant?: string; space?: string }): Promise<Scope> {
  const given = [options.org, options.tenant, options.space].filter((value) => value !== undefined).length;
  if (given !== 1) throw new CliError('give exactly one of --org, --tenant, --space', 'the preset applies at that scope and below');
  if (options.space) {
    const id = await spaceId(api, options.space);
    const data = await api.graphql<{ spaceByRowId: { organizationId: string; tenantId: string } | null }>(
      'query($id: UUID!) { spaceByRowId(rowId: $id) { organizationId tenantId } }',
      { id },
    );
    if (!data.spaceByRowId) throw new CliError(`no space ${options.space} visible to this key`, 'list them with `imgplane space list`');
    return { ...data.spaceByRowId, spaceId: id };
  }
  if (options.tenant) return { ...(await tenantId(api, options.tenant, undefined)), spaceId: null };
  return { organizationId: await organizationId(api, options.org!), tenantId: null, spaceId: null };
}

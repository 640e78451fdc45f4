/**
 * Values written through generated mutations (createPreset, updatePresetByRowId,
 * updateAssetByRowId, ...) obey the same rules as the HTTP API, checked before any SQL runs:
 * preset operations parse with the URL grammar of core/ops exactly as at delivery time, preset
 * names work as `preset_<name>`, and tags and folders follow the upload rules (folders are
 * normalized to the stored form, `/a/b/`). A bad value fails the mutation with an error naming it.
 */
import type { GrafastInputFieldConfig, InputObjectFieldApplyResolver } from 'postgraphile/grafast';
import { badRequest } from '../core/errors.ts';
import { PRESET_NAME } from '../core/ops/grammar.ts';
import { parsedOpsFromJson } from '../core/ops/index.ts';
import { parseUploadOptions } from '../platform/assets/asset-service.ts';

/** Throws on an invalid value; returns what to store. */
type Rule = (value: unknown) => unknown;

function validTags(value: unknown): string[] {
  // commas would split one tag into several in the upload syntax: refuse rather than reinterpret
  if (!Array.isArray(value) || value.some((tag) => typeof tag !== 'string' || tag.includes(','))) {
    throw badRequest('tags must be a list of tags (letters, digits, : . _ -, at most 64 each)', { key: 'tags' });
  }
  return parseUploadOptions({ tags: value.join(',') }).tags;
}

function validFolder(value: unknown): string {
  if (typeof value !== 'string') throw badRequest('folder must be a path such as /products/shoes/', { key: 'folder' });
  return parseUploadOptions({ folder: value }).folder;
}

const RULES: Readonly<Record<string, Readonly<Record<string, Rule>>>> = {
  presets: {
    operations: (value) => {
      parsedOpsFromJson(value);
      return value;
    },
    name: (value) => {
      if (typeof value !== 'string' || !PRESET_NAME.test(value)) {
        throw badRequest(`preset name "${String(value)}" cannot be used as preset_<name> in URLs: use 1 to 64 of a-z, 0-9`, { key: 'name' });
      }
      return value;
    },
    match_tags: validTags,
    match_folders: (value) => {
      if (!Array.isArray(value)) throw badRequest('match_folders must be a list of folders', { key: 'match_folders' });
      return value.map(validFolder);
    },
  },
  assets: { tags: validTags, folder: validFolder },
};

export const InputValidationPlugin: GraphileConfig.Plugin = {
  name: 'ImgplaneInputValidationPlugin',
  description: 'Validates preset and asset input with the rules of the URL grammar and the upload API.',
  version: '1.0.0',
  schema: {
    hooks: {
      GraphQLInputObjectType_fields_field(field, _build, context) {
        const { pgCodec, pgAttribute, isPgCondition } = context.scope;
        // Mutation inputs and patches only: conditions and filters merely compare.
        const rules = pgCodec === undefined ? undefined : RULES[pgCodec.name];
        if (rules === undefined || pgAttribute === undefined || isPgCondition) return field;
        const attributeName = Object.entries(pgCodec?.attributes ?? {}).find(([, attribute]) => attribute === pgAttribute)?.[0];
        const rule = attributeName === undefined ? undefined : rules[attributeName];
        // Grafast's field configs carry `apply`, which the hook's GraphQL-only type does not show.
        const config = field as GrafastInputFieldConfig;
        const apply = config.apply;
        if (rule === undefined || apply === undefined) return field;
        const checkedApply: InputObjectFieldApplyResolver = (target, value, info) =>
          apply(target, value === null || value === undefined ? value : rule(value), info);
        return { ...config, apply: checkedApply };
      },
    },
  },
};

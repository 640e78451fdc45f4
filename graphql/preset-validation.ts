/**
 * Presets are created and edited with the generated mutations (createPreset, updatePresetByRowId,
 * ...); this plugin checks their input with the URL grammar of core/ops before any SQL runs:
 * `operations` must parse exactly as preset JSON does at delivery time, and `name` must be usable
 * as `preset_<name>` in a URL. A bad value fails the mutation with an error naming the problem.
 */
import type { GrafastInputFieldConfig, InputObjectFieldApplyResolver } from 'postgraphile/grafast';
import { badRequest } from '../core/errors.ts';
import { parsedOpsFromJson } from '../core/ops/index.ts';
import { PRESET_NAME } from '../core/ops/grammar.ts';

const CHECKS: Readonly<Record<string, (value: unknown) => void>> = {
  operations: (value) => {
    parsedOpsFromJson(value);
  },
  name: (value) => {
    if (typeof value !== 'string' || !PRESET_NAME.test(value)) {
      throw badRequest(`preset name "${String(value)}" cannot be used as preset_<name> in URLs: use 1 to 64 of a-z, 0-9`, {
        key: 'name',
      });
    }
  },
};

export const PresetValidationPlugin: GraphileConfig.Plugin = {
  name: 'ImgplanePresetValidationPlugin',
  description: 'Validates preset operations and names with the URL grammar (core/ops).',
  version: '1.0.0',
  schema: {
    hooks: {
      GraphQLInputObjectType_fields_field(field, _build, context) {
        const { pgCodec, pgAttribute, isPgCondition } = context.scope;
        // Mutation inputs and patches only: conditions and filters merely compare.
        if (pgCodec?.name !== 'presets' || pgAttribute === undefined || isPgCondition) return field;
        const attributeName = Object.entries(pgCodec.attributes ?? {}).find(([, attribute]) => attribute === pgAttribute)?.[0];
        const check = attributeName === undefined ? undefined : CHECKS[attributeName];
        // Grafast's field configs carry `apply`, which the hook's GraphQL-only type does not show.
        const config = field as GrafastInputFieldConfig;
        const apply = config.apply;
        if (check === undefined || apply === undefined) return field;
        const checkedApply: InputObjectFieldApplyResolver = (target, value, info) => {
          if (value !== null && value !== undefined) check(value);
          return apply(target, value, info);
        };
        return { ...config, apply: checkedApply };
      },
    },
  },
};

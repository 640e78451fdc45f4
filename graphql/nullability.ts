/**
 * Columns that are NOT NULL in SQL yet may hold a JSON null, which GraphQL would otherwise refuse
 * to return ("Cannot return null for non-nullable field"): policies.value stores JSON null to
 * unset an inherited setting.
 */
import { changeNullability } from 'postgraphile/utils';

export const JsonNullValuesPlugin = changeNullability({ Policy: { value: '' } });

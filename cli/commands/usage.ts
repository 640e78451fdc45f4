/** `imgplane usage`: requests, bandwidth, transforms and uploads per day and space, or per month. */
import type { Command } from 'commander';
import { PAGE_INFO } from '../client.ts';
import { action } from '../context.ts';
import { CliError } from '../errors.ts';
import { organizationId } from '../refs.ts';

export function registerUsageCommand(program: Command): void {
  program
    .command('usage')
    .description('usage per day and space (or per month and organisation with --monthly)')
    .option('--org <org>', 'only this organisation (slug or id)')
    .option('--days <n>', 'how many days back', '30')
    .option('--monthly', 'one row per month and organisation')
    .action(
      action(async ({ client, output }, options: { org?: string; days: string; monthly?: boolean }) => {
        const days = Number(options.days);
        if (!Number.isInteger(days) || days < 1 || days > 3660) throw new CliError(`--days must be an integer from 1 to 3660, got "${options.days}"`);
        const api = client();
        const condition = options.org ? { organizationId: await organizationId(api, options.org) } : {};
        if (options.monthly) {
          const rows = await api.listAll<Record<string, unknown>>(
            'allUsageMonthlyByOrganizations',
            `query($condition: UsageMonthlyByOrganizationCondition, $first: Int!, $after: Cursor) {
               allUsageMonthlyByOrganizations(condition: $condition, orderBy: MONTH_DESC, first: $first, after: $after) {
                 nodes { month organizationSlug requestCount bandwidthBytes transformCount transformCpuMs cacheHitCount uploadCount uploadBytes }
                 ${PAGE_INFO}
               }
             }`,
            { condition },
          );
          output.table(rows, ['month', 'organizationSlug', 'requestCount', 'bandwidthBytes', 'transformCount', 'cacheHitCount', 'uploadCount']);
          return;
        }
        const since = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
        const rows = await api.listAll<Record<string, unknown>>(
          'allUsageDailyBySpaces',
          `query($condition: UsageDailyBySpaceCondition, $since: Date!, $first: Int!, $after: Cursor) {
             allUsageDailyBySpaces(condition: $condition, filter: { day: { greaterThanOrEqualTo: $since } }, orderBy: DAY_DESC, first: $first, after: $after) {
               nodes { day organizationSlug tenantSlug spaceSlug requestCount bandwidthBytes transformCount transformCpuMs cacheHitCount uploadCount uploadBytes }
               ${PAGE_INFO}
             }
           }`,
          { condition, since },
        );
        output.table(rows, [
          'day', 'organizationSlug', 'tenantSlug', 'spaceSlug', 'requestCount', 'bandwidthBytes', 'transformCount', 'cacheHitCount', 'uploadCount',
        ]);
      }),
    );
}

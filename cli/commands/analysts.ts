/**
 * `imgplane analyst`: PostgreSQL logins for data teams (issue 17's createAnalystLogin). What a
 * login sees is decided by the database from the role itself; its password is shown once.
 */
import type { Command } from 'commander';
import { PAGE_INFO } from '../client.ts';
import { action } from '../context.ts';
import { CliError } from '../errors.ts';
import { organizationId } from '../refs.ts';

export function registerAnalystCommands(program: Command): void {
  const analyst = program.command('analyst').description('SQL logins that read usage and audit data (needs an admin key)');
  analyst
    .command('create')
    .description('create a login for one organisation (or, with the operator key and no --org, for all); its password is printed once')
    .option('--org <org>', 'the organisation it reads (slug or id); omit for a platform-wide analyst')
    .action(
      action(async ({ client, output }, options: { org?: string }) => {
        const api = client();
        const org = options.org ? await organizationId(api, options.org) : null;
        const data = await api.graphql<{ createAnalystLogin: { result: { roleName: string; password: string }[] } }>(
          'mutation($org: UUID) { createAnalystLogin(input: { organizationId: $org }) { result { roleName password } } }',
          { org },
        );
        const [login] = data.createAnalystLogin.result;
        if (!login) throw new CliError('the server created no login');
        output.result({ ...login, organizationId: org }, () =>
          [
            `analyst login ${login.roleName}${options.org ? ` for ${options.org}` : ' (every organisation)'}; the password is shown this once:`,
            login.password,
            `connect: psql "postgres://${login.roleName}:<password>@<database host>/<database>"`,
          ].join('\n'),
        );
      }),
    );
  analyst
    .command('list')
    .description('list analyst logins (never their passwords)')
    .action(
      action(async ({ client, output }) => {
        const rows = await client().listAll<Record<string, unknown>>(
          'allAnalystLogins',
          `query($first: Int!, $after: Cursor) { allAnalystLogins(first: $first, after: $after) { nodes { roleName organizationId createdAt } ${PAGE_INFO} } }`,
        );
        output.table(rows, ['roleName', 'organizationId', 'createdAt']);
      }),
    );
  analyst
    .command('drop')
    .description('drop an analyst login: it can no longer connect')
    .argument('<role>', 'its role name (see `imgplane analyst list`)')
    .action(
      action(async ({ client, output }, role: string) => {
        const data = await client().graphql<{ dropAnalystLogin: { result: boolean } }>(
          'mutation($role: String!) { dropAnalystLogin(input: { roleName: $role }) { result } }',
          { role },
        );
        if (!data.dropAnalystLogin.result) throw new CliError(`no analyst login ${role} that this key manages`, 'list them with `imgplane analyst list`');
        output.result({ roleName: role, dropped: true }, () => `analyst login ${role} dropped`);
      }),
    );
}

/** The `imgplane` command tree: global options, then one module per command group. */
import { Command, Option } from 'commander';
import { registerAnalystCommands } from './commands/analysts.ts';
import { registerBootstrapCommand } from './commands/bootstrap.ts';
import { registerKeyCommands } from './commands/keys.ts';
import { registerTenancyCommands } from './commands/organizations.ts';
import { registerPresetCommands } from './commands/presets.ts';
import { registerSignCommand } from './commands/sign.ts';
import { registerUploadCommand } from './commands/upload.ts';
import { registerUsageCommand } from './commands/usage.ts';

export function buildProgram(): Command {
  const program = new Command('imgplane')
    .description('Administer an imgplane installation: first key, tenancy, keys, presets, uploads, signing, usage, analyst logins.')
    .addOption(new Option('--url <url>', 'the imgplane server').env('IMGPLANE_URL').default('http://127.0.0.1:3000'))
    .addOption(new Option('--key <key>', 'API key to call it with').env('IMGPLANE_API_KEY'))
    .option('--json', 'print results as JSON')
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      '\nFirst time: `imgplane bootstrap` prints the platform operator key; export it as IMGPLANE_API_KEY, then `imgplane org create <slug>`.',
    );
  registerBootstrapCommand(program);
  registerTenancyCommands(program);
  registerKeyCommands(program);
  registerPresetCommands(program);
  registerUploadCommand(program);
  registerSignCommand(program);
  registerUsageCommand(program);
  registerAnalystCommands(program);
  return program;
}

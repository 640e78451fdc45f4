/** What every command gets from the global options: where the server is, the key, the output mode. */
import type { Command } from 'commander';
import { ApiClient, connectionFrom } from './client.ts';
import { createOutput, type Output } from './output.ts';

export interface GlobalOptions {
  url?: string;
  key?: string;
  json?: boolean;
}

export interface Context {
  output: Output;
  /** The server client; built on first use, so commands that need no server never ask for a key. */
  client(): ApiClient;
}

export function contextOf(command: Command): Context {
  const options = command.optsWithGlobals<GlobalOptions>();
  let client: ApiClient | undefined;
  return {
    output: createOutput(options.json === true),
    client: () => (client ??= new ApiClient(connectionFrom(options))),
  };
}

/** Wraps an action so it receives its context after its own arguments and options. */
export function action<A extends unknown[]>(run: (context: Context, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    await run(contextOf(command), ...(args.slice(0, -1) as A));
  };
}

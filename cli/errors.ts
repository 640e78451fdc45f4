/**
 * What the CLI says when something fails: what happened, then what to do about it. Every failure
 * a user can cause or fix is a CliError; main.ts prints its two lines and exits 1.
 */
export class CliError extends Error {
  override name = 'CliError';

  constructor(
    message: string,
    /** The next step, e.g. which option or variable to set. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

export function describeFailure(error: unknown): string {
  if (error instanceof CliError) return error.hint ? `error: ${error.message}\nhint: ${error.hint}` : `error: ${error.message}`;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('ECONN')) {
    return `error: ${error.message}\nhint: is the database or server running, and is its address right?`;
  }
  return `error: ${error instanceof Error ? error.message : String(error)}`;
}

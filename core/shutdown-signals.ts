/**
 * Stops a process cleanly on SIGINT/SIGTERM. One Ctrl-C usually arrives twice (from the terminal,
 * and relayed by the npm/tsx parent): a once-handler would leave the second to Node's default,
 * which kills the process half-way through its shutdown (orphaning the embedded PostgreSQL). So
 * every signal is caught, and the ones after the first are ignored while stopping.
 */
export function stopOnSignals(say: (line: string) => void, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: shutting down`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

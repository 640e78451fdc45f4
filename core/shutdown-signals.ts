/**
 * Stops a process cleanly on SIGINT/SIGTERM, during startup as well as once it runs.
 *
 * Each part registers how to stop it as soon as it has started (`onStop`); parts stop in the
 * reverse order. A signal that arrives during startup is held until the step in progress ends
 * (the next `checkpoint()` or `started()`): Node's default would kill the process there and
 * orphan an embedded PostgreSQL that is still initialising, and stopping a part half-way
 * through its own start (initdb, migrations) is what leaves things behind.
 *
 * One Ctrl-C usually arrives twice (from the terminal, and relayed by the npm parent): a
 * once-handler would leave the second to Node's default, which kills the process half-way
 * through its shutdown. So every signal is caught, and the ones after the first are ignored.
 */
export interface Shutdown {
  /** How to stop a part that has just started. */
  onStop(stop: () => Promise<void>): void;
  /** Between startup steps: after a signal, stops what has started and exits (never resolves). */
  checkpoint(): Promise<void>;
  /** Startup is over: a signal from now on stops at once (and one held meanwhile stops now). */
  started(): Promise<void>;
  /** After a failed startup: stops what has started, each part whatever the others do. */
  abort(): Promise<void>;
}

export function handleShutdownSignals(say: (line: string) => void): Shutdown {
  const parts: Array<() => Promise<void>> = [];
  let signalled = false;
  let running = false;
  let exiting: Promise<never> | undefined;

  /** Stops every part, newest first; a part that fails to stop does not keep the others running. */
  const stopAll = async (): Promise<unknown[]> => {
    const failures: unknown[] = [];
    for (const stop of parts.splice(0).reverse()) await stop().catch((error: unknown) => failures.push(error));
    return failures;
  };
  const stopAndExit = (): Promise<never> =>
    (exiting ??= stopAll().then((failures) => {
      for (const failure of failures) console.error('shutdown failed:', failure);
      process.exit(failures.length === 0 ? 0 : 1);
    }));

  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    say(running ? `${signal}: shutting down` : `${signal}: shutting down once the startup step in progress ends`);
    if (running) void stopAndExit();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const checkpoint = async (): Promise<void> => {
    if (signalled) await stopAndExit();
  };

  return {
    onStop: (stop) => void parts.push(stop),
    checkpoint,
    started: () => {
      running = true;
      return checkpoint();
    },
    abort: async () => {
      for (const failure of await stopAll()) console.error('while stopping after the failed start:', failure);
    },
  };
}

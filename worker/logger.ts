/**
 * graphile-worker's logger at the process's LOG_LEVEL (pino level names, as the server uses):
 * quiet by default (warnings and errors only), `info`/`debug` for its job-by-job chatter, `silent`
 * for nothing at all.
 */
import { Logger, type LogLevel } from 'graphile-worker';

/** Lower is more severe; a message is shown when its rank is within the threshold. */
const RANK: Record<LogLevel, number> = { error: 0, warning: 1, info: 2, debug: 3 };

const THRESHOLD_BY_PINO_LEVEL: Record<string, number> = {
  silent: -1,
  fatal: RANK.error,
  error: RANK.error,
  warn: RANK.warning,
  info: RANK.info,
  debug: RANK.debug,
  trace: RANK.debug,
};

export function workerLogger(logLevel: string): Logger {
  const threshold = THRESHOLD_BY_PINO_LEVEL[logLevel] ?? RANK.warning;
  return new Logger((scope) => (level, message) => {
    if (RANK[level] > threshold) return;
    const task = scope.taskIdentifier ? ` ${scope.taskIdentifier}` : '';
    const line = `[imgplane worker${task}] ${level}: ${message}`;
    if (RANK[level] <= RANK.warning) console.error(line);
    else console.log(line);
  });
}

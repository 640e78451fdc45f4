import { afterEach, describe, expect, it, vi } from 'vitest';
import { workerLogger } from './logger.ts';

afterEach(() => vi.restoreAllMocks());

function linesAt(logLevel: string): string[] {
  const lines: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
  vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  const logger = workerLogger(logLevel);
  logger.error('e');
  logger.warn('w');
  logger.info('i');
  logger.debug('d');
  return lines;
}

describe('workerLogger', () => {
  it('shows warnings and errors only at the default level', () => {
    expect(linesAt('warn')).toEqual(['[imgplane worker] error: e', '[imgplane worker] warning: w']);
  });

  it('shows job-by-job chatter at info and debug', () => {
    expect(linesAt('info')).toHaveLength(3);
    expect(linesAt('debug')).toHaveLength(4);
  });

  it('shows nothing when silent', () => {
    expect(linesAt('silent')).toEqual([]);
  });
});

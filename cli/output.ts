/**
 * Results go to stdout: an aligned table for people, or JSON with --json for scripts. Progress
 * and hints go to stderr, so `imgplane ... --json | jq` stays clean.
 */
export interface Output {
  json: boolean;
  /** One result: `value` as JSON, or `human` lines. */
  result(value: unknown, human: () => string): void;
  table(rows: readonly Record<string, unknown>[], columns: readonly string[]): void;
  note(line: string): void;
}

export function createOutput(json: boolean, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Output {
  return {
    json,
    result(value, human) {
      out.write(`${json ? JSON.stringify(value, null, 2) : human()}\n`);
    },
    table(rows, columns) {
      if (json) {
        out.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        err.write('(none)\n');
        return;
      }
      const cells = rows.map((row) => columns.map((column) => formatCell(row[column])));
      const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((line) => line[index]!.length)));
      const line = (values: readonly string[]) => values.map((value, index) => value.padEnd(widths[index]!)).join('  ').trimEnd();
      out.write(`${[line(columns), ...cells.map(line)].join('\n')}\n`);
    },
    note(line) {
      err.write(`${line}\n`);
    },
  };
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

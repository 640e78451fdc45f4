/**
 * CPU time and resident memory of a process and all its descendants, from /proc (Linux), so a test
 * can watch a server it started as a child process (its transform children included) without
 * measuring itself.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface TreeUsage {
  rssBytes: number;
  /** Live processes of the tree and the user + system CPU seconds each has used so far. */
  cpuSecondsByPid: Map<number, number>;
}

const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

interface Stat {
  pid: number;
  ppid: number;
  cpuTicks: number;
  rssPages: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      pid,
      ppid: Number(fields[1]),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
      rssPages: Number(fields[21]),
    };
  } catch {
    return undefined; // exited meanwhile
  }
}

export function treeUsage(rootPid: number): TreeUsage {
  const stats = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => readStat(Number(name)) ?? []);
  const childrenOf = new Map<number, Stat[]>();
  for (const stat of stats) childrenOf.set(stat.ppid, [...(childrenOf.get(stat.ppid) ?? []), stat]);
  const root = stats.find((stat) => stat.pid === rootPid);
  const tree: Stat[] = [];
  const visit = (stat: Stat) => {
    tree.push(stat);
    for (const child of childrenOf.get(stat.pid) ?? []) visit(child);
  };
  if (root) visit(root);
  return {
    rssBytes: tree.reduce((sum, stat) => sum + stat.rssPages, 0) * PAGE_BYTES,
    cpuSecondsByPid: new Map(tree.map((stat) => [stat.pid, stat.cpuTicks / CLOCK_TICKS_PER_SECOND])),
  };
}

/** CPU seconds the tree used between two samples (a process that exited in between counts 0). */
export function cpuSecondsBetween(before: TreeUsage, after: TreeUsage): number {
  let total = 0;
  for (const [pid, seconds] of after.cpuSecondsByPid) total += seconds - (before.cpuSecondsByPid.get(pid) ?? 0);
  return total;
}

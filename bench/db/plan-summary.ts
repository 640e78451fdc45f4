/** One line of what an EXPLAIN (FORMAT JSON) plan does, and its buffer totals. */

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Function Name'?: string;
  'Actual Rows'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

export interface PlanSummary {
  /** Nodes outermost first, e.g. "Limit > Index Scan on assets (assets_space_live_idx)". */
  shape: string;
  sharedHit: number;
  sharedRead: number;
  rows: number;
}

function describe(node: PlanNode): string {
  const on = node['Relation Name'] ?? node['Function Name'];
  const index = node['Index Name'] ? ` (${node['Index Name']})` : '';
  return on ? `${node['Node Type']} on ${on}${index}` : `${node['Node Type']}${index}`;
}

function walk(node: PlanNode): string {
  const children = (node.Plans ?? []).map((child) => walk(child));
  const self = describe(node);
  if (children.length === 0) return self;
  return `${self} > ${children.length === 1 ? children[0] : `[${children.join(' | ')}]`}`;
}

export function summarisePlan(root: PlanNode): PlanSummary {
  // the root's buffer counts already include its children's
  return {
    shape: walk(root),
    sharedHit: root['Shared Hit Blocks'] ?? 0,
    sharedRead: root['Shared Read Blocks'] ?? 0,
    rows: root['Actual Rows'] ?? 0,
  };
}

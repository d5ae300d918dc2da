import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The dashboards under dashboards/, read as JSON, and the queries in them. */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DASHBOARD_DIR = join(ROOT, 'dashboards');

export interface DataSourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId: string;
  expr?: string;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
  format?: string;
  datasource?: DataSourceRef;
  [key: string]: unknown;
}

export interface Panel {
  id: number;
  type: string;
  title?: string;
  description?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: DataSourceRef;
  targets?: Target[];
  options?: Record<string, unknown>;
  fieldConfig?: { defaults: { unit?: string; noValue?: string; custom?: Record<string, unknown>; [key: string]: unknown }; overrides: { matcher: { id: string; options?: unknown }; properties: { id: string; value?: unknown }[] }[] };
  pluginVersion?: string;
  repeat?: string;
  collapsed?: boolean;
  panels?: Panel[];
  transformations?: unknown[];
}

export interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
  datasource?: DataSourceRef | null;
  current?: { text?: unknown; value?: unknown };
  includeAll?: boolean;
  multi?: boolean;
  allValue?: string;
  [key: string]: unknown;
}

export interface Annotation {
  name: string;
  builtIn?: number;
  datasource?: DataSourceRef;
  target?: { expr?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface Dashboard {
  __inputs?: { name: string; type: string; pluginId?: string }[];
  __requires?: { type: string; id: string; name: string; version: string }[];
  uid?: string;
  title?: string;
  panels?: Panel[];
  templating?: { list?: Variable[] };
  annotations?: { list?: Annotation[] };
  [key: string]: unknown;
}

export interface DashboardFile {
  readonly file: string;
  readonly text: string;
  readonly json: Dashboard;
}

export function dashboardFiles(dir = DASHBOARD_DIR): DashboardFile[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      return { file, text, json: JSON.parse(text) as Dashboard };
    });
}

/** Every panel, rows included, and the panels inside collapsed rows. */
export function allPanels(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** Panels that show data (not rows). */
export function dataPanels(dashboard: Dashboard): Panel[] {
  return allPanels(dashboard).filter((panel) => panel.type !== 'row');
}

export function variables(dashboard: Dashboard): Variable[] {
  return dashboard.templating?.list ?? [];
}

export function variableQuery(variable: Variable): string | undefined {
  return typeof variable.query === 'string' ? variable.query : variable.query?.query;
}

/** A Prometheus variable query: label_values(selector, label), label_values(label) or query_result(expr). */
export type VariableQuery = { kind: 'label_values'; selector: string | undefined; label: string } | { kind: 'query_result'; expr: string };

export function parseVariableQuery(query: string): VariableQuery {
  const labelValues = /^\s*label_values\(\s*(?:(.*?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/s.exec(query);
  if (labelValues !== null) return { kind: 'label_values', selector: labelValues[1], label: labelValues[2] ?? '' };
  const queryResult = /^\s*query_result\((.*)\)\s*$/s.exec(query);
  if (queryResult !== null) return { kind: 'query_result', expr: queryResult[1] ?? '' };
  throw new Error(`not a Prometheus variable query this check understands: ${query}`);
}

export type QueryKind = 'panel' | 'variable' | 'annotation';

export interface DashboardQuery {
  readonly kind: QueryKind;
  /** Where it is, for messages: panel title and refId, variable or annotation name. */
  readonly where: string;
  /** PromQL, still with Grafana's variables. */
  readonly expr: string;
  /** Panel queries: instant (a value now) or range. */
  readonly instant: boolean;
  readonly panel?: Panel;
  readonly target?: Target;
}

/** Every PromQL expression: panel targets, the inner selector or expression of variable queries, annotation exprs. */
export function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const panel of dataPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      if (target.expr === undefined) throw new Error(`panel "${panel.title ?? panel.id}" target ${target.refId} has no expr`);
      out.push({ kind: 'panel', where: `panel "${panel.title ?? panel.id}" ${target.refId}`, expr: target.expr, instant: target.instant === true && target.range !== true, panel, target });
    }
  }
  for (const variable of variables(dashboard)) {
    if (variable.type !== 'query') continue;
    const query = variableQuery(variable);
    if (query === undefined) throw new Error(`variable ${variable.name} has no query`);
    const parsed = parseVariableQuery(query);
    const expr = parsed.kind === 'label_values' ? parsed.selector : parsed.expr;
    if (expr !== undefined) out.push({ kind: 'variable', where: `variable $${variable.name}`, expr, instant: true });
  }
  for (const annotation of dashboard.annotations?.list ?? []) {
    if (annotation.builtIn === 1) continue;
    const expr = annotation.target?.expr ?? (annotation as { expr?: string }).expr;
    if (expr === undefined) throw new Error(`annotation ${annotation.name} has no expr`);
    out.push({ kind: 'annotation', where: `annotation "${annotation.name}"`, expr, instant: false });
  }
  return out;
}

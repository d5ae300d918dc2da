import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';
import { createMetricsRegistry, MonitorMetrics } from '../../src/metrics/monitor-metrics.js';

/**
 * PromQL as the dashboards and alert rules use it: parsing with Prometheus'
 * own lezer grammar, the selectors and labels an expression names, Grafana's
 * variables substituted, Prometheus rule files read, the series the monitor
 * exports, and a Prometheus HTTP client for range and label queries.
 */

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

// ---------------------------------------------------------------- parsing

export interface ParseProblem {
  readonly at: number;
  /** The expression around the problem, with » marking it. */
  readonly near: string;
}

/** Syntax problems (lezer error nodes); none means the expression parses. */
export function promqlProblems(expr: string): ParseProblem[] {
  const problems: ParseProblem[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) problems.push({ at: node.from, near: `${expr.slice(Math.max(0, node.from - 30), node.from)}»${expr.slice(node.from, node.from + 30)}` });
    },
  });
  return problems;
}

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
}

export interface VectorSelector {
  /** The selector as written, without range or offset: a query Prometheus can run as it is. */
  readonly text: string;
  /** The metric name, from the identifier or a `__name__="…"` matcher; undefined for a name regex or none. */
  readonly metric: string | undefined;
  readonly matchers: readonly LabelMatcher[];
}

const MATCH_OPS: Readonly<Record<string, MatchOp>> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };

/** A PromQL string literal's value: "…" and '…' with Go escapes, `…` raw. */
export function unquote(literal: string): string {
  const quote = literal[0];
  const body = literal.slice(1, -1);
  if (quote === '`') return body;
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, esc: string) => {
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };
    if (esc in simple) return simple[esc] ?? esc;
    if (/^[xuU]/.test(esc)) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    if (/^[0-7]{3}$/.test(esc)) return String.fromCodePoint(parseInt(esc, 8));
    return esc;
  });
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child !== null; child = child.nextSibling) out.push(child);
  return out;
}

function descendants(node: SyntaxNode, name: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const cursor = node.cursor();
  const walk = (): void => {
    if (cursor.name === name) out.push(cursor.node);
    if (cursor.firstChild()) {
      do walk();
      while (cursor.nextSibling());
      cursor.parent();
    }
  };
  walk();
  return out;
}

function selectorOf(expr: string, node: SyntaxNode): VectorSelector {
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  let metric: string | undefined;
  const matchers: LabelMatcher[] = [];
  for (const child of children(node)) {
    if (child.name === 'Identifier') metric = text(child);
    if (child.name !== 'LabelMatchers') continue;
    for (const item of children(child)) {
      const parts = children(item);
      if (item.name === 'QuotedLabelName') {
        // {"metric.name"}: the metric's name in the UTF-8 syntax.
        metric = unquote(text(parts[0] ?? item));
        continue;
      }
      if (item.name !== 'UnquotedLabelMatcher' && item.name !== 'QuotedLabelMatcher') continue;
      const [name, op, value] = parts;
      if (name === undefined || op === undefined || value === undefined) continue;
      const label = name.name === 'QuotedLabelName' ? unquote(text(name.firstChild ?? name)) : text(name);
      const opName = op.firstChild?.name ?? '';
      const matcher = { label, op: MATCH_OPS[opName] ?? '=', value: unquote(text(value)) };
      if (matcher.label === '__name__' && matcher.op === '=') metric = matcher.value;
      else matchers.push(matcher);
    }
  }
  return { text: text(node), metric, matchers };
}

/** Every vector selector in the expression, in order (those inside range, subquery and offset expressions too). */
export function vectorSelectors(expr: string): VectorSelector[] {
  const tree = parser.parse(expr);
  return descendants(tree.topNode, 'VectorSelector').map((node) => selectorOf(expr, node));
}

/** Labels named in by/without, on/ignoring and group_left/group_right clauses. */
export function groupingLabels(expr: string): string[] {
  const tree = parser.parse(expr);
  const labels: string[] = [];
  for (const group of descendants(tree.topNode, 'GroupingLabels')) {
    for (const child of children(group)) {
      if (child.name === 'LabelName') labels.push(expr.slice(child.from, child.to));
      if (child.name === 'QuotedLabelName') labels.push(unquote(expr.slice(child.from, child.to)));
    }
  }
  return labels;
}

// ---------------------------------------------------------------- Grafana variables

/** Grafana's variable syntax: $name, ${name}, ${name:format}, ${name.field}, [[name]], [[name:format]]. */
const GRAFANA_VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

function variableName(match: RegExpExecArray): string {
  return match[1] ?? match[2] ?? match[4] ?? '';
}

/** `$1` is a regex back-reference (label_replace), not a variable; Grafana leaves it alone too. */
const isBackReference = (name: string) => /^\d+$/.test(name);

/** The names of the Grafana variables an expression uses. */
export function grafanaVariableNames(text: string): string[] {
  return [...text.matchAll(GRAFANA_VARIABLE)].map(variableName).filter((name) => !isBackReference(name));
}

/**
 * The global variables Grafana sets for a Prometheus query, with what they
 * would be for a dashboard over the last 6 hours on a Prometheus scraping
 * every 15 s ($__rate_interval is max($__interval + scrape, 4 × scrape)).
 */
export const GRAFANA_GLOBALS: Readonly<Record<string, string>> = {
  __interval: '15s',
  __interval_ms: '15000',
  __rate_interval: '1m',
  __rate_interval_ms: '60000',
  __range: '21600s',
  __range_s: '21600',
  __range_ms: '21600000',
};

/**
 * The expression as Grafana would send it: every variable replaced by its
 * value in `values` (a multi-value or All selection given as Grafana renders
 * it, e.g. `(a|b)`). An unknown variable throws, naming it: a query must not
 * use a variable the dashboard does not define.
 */
export function substituteGrafanaVariables(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(GRAFANA_VARIABLE, (...args: unknown[]) => {
    const match = args.slice(0, 7) as unknown as RegExpExecArray;
    const name = variableName(match);
    if (isBackReference(name)) return match[0];
    const value = values[name];
    if (value === undefined) throw new Error(`unknown Grafana variable $${name} in ${text}`);
    return value;
  });
}

// ---------------------------------------------------------------- rule files

export interface RuleExpr {
  readonly file: string;
  readonly group: string;
  /** The alert or record name. */
  readonly rule: string;
  readonly expr: string;
}

/** Every rule's expr in `alerts/*.rules.yml` (none while the folder or files do not exist). */
export function ruleExprs(dir = join(PROJECT_ROOT, 'alerts')): RuleExpr[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => name.endsWith('.rules.yml')).sort();
  } catch {
    return [];
  }
  return files.flatMap((file) => {
    const doc = parseYaml(readFileSync(join(dir, file), 'utf8')) as { groups?: { name?: string; rules?: { alert?: string; record?: string; expr?: unknown }[] }[] } | null;
    return (doc?.groups ?? []).flatMap((group) =>
      (group.rules ?? []).map((rule) => {
        const name = rule.alert ?? rule.record ?? '(unnamed)';
        if (typeof rule.expr !== 'string' && typeof rule.expr !== 'number') throw new Error(`${file}: ${group.name ?? ''}/${name} has no expr`);
        return { file, group: group.name ?? '(unnamed)', rule: name, expr: String(rule.expr) };
      }),
    );
  });
}

// ---------------------------------------------------------------- what the monitor exports

/** Labels Prometheus adds to every scraped series. */
export const TARGET_LABELS: readonly string[] = ['job', 'instance'];

/**
 * Every series name the monitor exports, with its label names, read from the
 * registry the daemon builds (a histogram is _bucket with le, _sum, _count).
 */
export function exportedSeries(): Map<string, ReadonlySet<string>> {
  const registry = createMetricsRegistry();
  new MonitorMetrics({ registry, buckets: { step: [1], event: [1], journey: [1] }, version: 'test', playwrightVersion: 'test' });
  const out = new Map<string, ReadonlySet<string>>();
  for (const metric of registry.getMetricsAsArray() as unknown as { name: string; type: string; labelNames?: readonly string[] }[]) {
    const labels = [...(metric.labelNames ?? []), ...TARGET_LABELS];
    if (metric.type === 'histogram') {
      out.set(`${metric.name}_bucket`, new Set([...labels, 'le']));
      out.set(`${metric.name}_sum`, new Set(labels));
      out.set(`${metric.name}_count`, new Set(labels));
    } else {
      out.set(metric.name, new Set(labels));
    }
  }
  return out;
}

/**
 * What an expression asks of the exported metrics that they do not give:
 * a metric that is not exported, a selector without a metric name, a matcher
 * on a label the metric does not have, a grouping label no metric in the
 * expression has.
 */
export function unknownNames(expr: string, exported: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const problems: string[] = [];
  const available = new Set<string>();
  for (const selector of vectorSelectors(expr)) {
    if (selector.metric === undefined) {
      problems.push(`${selector.text}: no metric name`);
      continue;
    }
    const labels = exported.get(selector.metric);
    if (labels === undefined) {
      problems.push(`${selector.metric} is not exported`);
      continue;
    }
    labels.forEach((label) => available.add(label));
    for (const matcher of selector.matchers) {
      if (!labels.has(matcher.label)) problems.push(`${selector.metric} has no label ${matcher.label}`);
    }
  }
  for (const label of groupingLabels(expr)) {
    if (!available.has(label)) problems.push(`no metric in the expression has the label ${label} it groups or matches on`);
  }
  return problems;
}

// ---------------------------------------------------------------- Prometheus HTTP API

export interface PromSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: readonly [number, string][];
}

async function promGet<T>(url: string): Promise<T> {
  const response = await fetch(url);
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${decodeURIComponent(url)}: ${body.error ?? JSON.stringify(body)}`);
  return body.data;
}

/** A range query (times in seconds). */
export async function queryRange(base: string, expr: string, start: number, end: number, stepSeconds: number): Promise<PromSeries[]> {
  const params = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(stepSeconds) });
  return (await promGet<{ result: PromSeries[] }>(`${base}/api/v1/query_range?${params.toString()}`)).result;
}

/** An instant query, as a series with one value. */
export async function queryInstant(base: string, expr: string, time?: number): Promise<PromSeries[]> {
  const params = new URLSearchParams({ query: expr, ...(time === undefined ? {} : { time: String(time) }) });
  const data = await promGet<{ resultType: string; result: { metric?: Record<string, string>; value?: [number, string] }[] | [number, string] }>(`${base}/api/v1/query?${params.toString()}`);
  // A scalar or string result is one value without labels.
  if (data.resultType === 'scalar' || data.resultType === 'string') return [{ metric: {}, values: [data.result as [number, string]] }];
  return (data.result as { metric?: Record<string, string>; value?: [number, string] }[]).map((s) => ({ metric: s.metric ?? {}, values: s.value === undefined ? [] : [s.value] }));
}

/** The values of a label over series matching a selector (what Grafana's label_values() asks). */
export async function labelValues(base: string, label: string, match: string | undefined, start: number, end: number): Promise<string[]> {
  const params = new URLSearchParams({ start: String(start), end: String(end) });
  if (match !== undefined) params.append('match[]', match);
  return promGet<string[]>(`${base}/api/v1/label/${encodeURIComponent(label)}/values?${params.toString()}`);
}

/** Whether any series has a value that is a number (NaN and ±Inf are not data a panel can draw). */
export function hasFiniteValue(series: readonly PromSeries[]): boolean {
  return series.some((s) => s.values.some(([, value]) => Number.isFinite(Number(value))));
}

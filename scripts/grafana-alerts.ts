import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

/**
 * The Prometheus rules in alerts/*.rules.yml, as Grafana-provisioned alert
 * rules: one source of truth, so the two never drift. `npm run
 * gen:grafana-alerts` rewrites the provisioning file; a test checks it is
 * what this produces from the current rules.
 *
 * Each rule becomes query A (the rule's PromQL, instant, on the provisioned
 * Prometheus datasource), B (reduce: last) and C (threshold B > 0): every
 * rule's expression returns only the series that should fire, with a positive
 * value, so "B > 0" is the rule's own condition. No data is OK (nothing fires).
 *
 * Links (run_url, console_url, runbook_url): in Prometheus each annotation
 * reads `synthetic_monitor_links_info` with the template function `query`,
 * which Grafana's templating has not got. Grafana's templates do get
 * `$values`: the value and labels of every query and expression whose series'
 * labels equal, contain or are contained in the alert instance's
 * (ngalert's eval.go). So a rule with links gets query L, the rule's series
 * joined (on job and instance) with the info metric's two labels, or the
 * rule's series as they are when no info series matches (L never has less
 * data than A, so it never turns the rule into NoData); and M, L reduced. M's
 * labels are a superset of the alert's: `$values.M.Labels` holds console_url
 * and runbook_url, and the annotation reads them there instead of querying.
 * L keeps the rule's metric name where its series have one, so the superset
 * holds for rules like `synthetic_dependency_degraded == 1` too.
 */

export interface PrometheusRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface PrometheusRuleFile {
  readonly groups: readonly { readonly name: string; readonly interval?: string; readonly rules: readonly PrometheusRule[] }[];
}

export const DATASOURCE_UID = 'prometheus';
export const FOLDER = 'Golden path monitor';

/** The links info series the Prometheus annotations read; its labels carry the URLs. */
export const LINKS_METRIC = 'synthetic_monitor_links_info';
const LINKS_LABELS = ['console_url', 'runbook_url'] as const;

/**
 * How a Prometheus annotation reads a link (the rules file's only use of
 * `query`): `{{ with <the links series of the alert's job and instance> | query }}{{ $v = first . | label "x" }}{{ end }}`.
 */
const LINKS_QUERY = /\{\{ with printf "synthetic_monitor_links_info\{job=%q,instance=%q\}" \$labels\.job \$labels\.instance \| query \}\}\{\{ (\$\w+) = first \. \| label "(\w+)" \}\}\{\{ end \}\}/g;

/** Whether a rule's annotations read the links info metric (then it gets queries L and M). */
export function readsLinks(rule: PrometheusRule): boolean {
  return Object.values(rule.annotations ?? {}).some((text) => text.includes(LINKS_METRIC));
}

/**
 * Prometheus' `$value` is the query's value; in Grafana it is the reduced value of B. A link read with `query`
 * is read from `$values.M.Labels` instead. Throws for any other use of the links metric: the generator would not
 * know its Grafana form.
 */
export function grafanaTemplate(text: string, where: string): string {
  const translated = text.replace(/\$value\b/g, '$values.B.Value').replace(LINKS_QUERY, (_match, variable: string, label: string) => `{{ with $values.M }}{{ ${variable} = index .Labels "${label}" }}{{ end }}`);
  if (translated.includes(LINKS_METRIC) || /\bquery\b\s*\}\}/.test(translated)) throw new Error(`${where}: reads ${LINKS_METRIC} in a way the Grafana generator does not know (scripts/grafana-alerts.ts, LINKS_QUERY)`);
  return translated;
}

/**
 * Query L: the rule's series with the links info's labels joined on (job, instance) when the monitor exports
 * it, else the rule's series as they are; the metric name, where a series has one, kept through the join
 * (arithmetic drops it) by way of a `gpmon_name` label.
 */
export function linksExpr(expr: string): string {
  const own = (indent: string) => expr.trim().split('\n').map((line) => `${indent}${line}`).join('\n');
  return [
    'label_replace(',
    '  label_replace(',
    '    (',
    own('      '),
    '    ),',
    '    "gpmon_name", "$1", "__name__", "(.+)"',
    '  )',
    `  * on (job, instance) group_left (${LINKS_LABELS.join(', ')}) ${LINKS_METRIC},`,
    '  "__name__", "$1", "gpmon_name", "(.+)"',
    ')',
    `or ignoring (${LINKS_LABELS.join(', ')}, gpmon_name)`,
    '(',
    own('  '),
    ')',
  ].join('\n');
}

export function toGrafanaAlerting(rules: PrometheusRuleFile): unknown {
  return {
    apiVersion: 1,
    groups: rules.groups.map((group) => ({
      orgId: 1,
      name: group.name,
      folder: FOLDER,
      interval: group.interval ?? '1m',
      rules: group.rules.map((rule) => ({
        uid: `gpmon-${rule.alert.toLowerCase()}`.slice(0, 40),
        title: rule.alert,
        condition: 'C',
        data: [
          {
            refId: 'A',
            relativeTimeRange: { from: 600, to: 0 },
            datasourceUid: DATASOURCE_UID,
            model: { refId: 'A', expr: rule.expr.trim(), instant: true, range: false, intervalMs: 1000, maxDataPoints: 43200 },
          },
          {
            refId: 'B',
            datasourceUid: '__expr__',
            model: { refId: 'B', type: 'reduce', expression: 'A', reducer: 'last', settings: { mode: 'dropNN' } },
          },
          {
            refId: 'C',
            datasourceUid: '__expr__',
            model: { refId: 'C', type: 'threshold', expression: 'B', conditions: [{ evaluator: { type: 'gt', params: [0] } }] },
          },
          ...(readsLinks(rule)
            ? [
                {
                  refId: 'L',
                  relativeTimeRange: { from: 600, to: 0 },
                  datasourceUid: DATASOURCE_UID,
                  model: { refId: 'L', expr: linksExpr(rule.expr), instant: true, range: false, intervalMs: 1000, maxDataPoints: 43200 },
                },
                {
                  refId: 'M',
                  datasourceUid: '__expr__',
                  model: { refId: 'M', type: 'reduce', expression: 'L', reducer: 'last', settings: { mode: 'dropNN' } },
                },
              ]
            : []),
        ],
        noDataState: 'OK',
        execErrState: 'Error',
        for: rule.for ?? '0s',
        labels: rule.labels ?? {},
        annotations: Object.fromEntries(Object.entries(rule.annotations ?? {}).map(([key, value]) => [key, grafanaTemplate(value, `${rule.alert}.annotations.${key}`)])),
      })),
    })),
  };
}

export const RULES_FILE = fileURLToPath(new URL('../alerts/golden-path.rules.yml', import.meta.url));
export const GRAFANA_FILE = fileURLToPath(new URL('../deploy/grafana/provisioning/alerting/golden-path.yaml', import.meta.url));

export function renderGrafanaAlerting(rulesText: string): string {
  const header = '# Generated from alerts/golden-path.rules.yml by `npm run gen:grafana-alerts`. Do not edit by hand.\n';
  return header + stringify(toGrafanaAlerting(parse(rulesText) as PrometheusRuleFile), { lineWidth: 0 });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(GRAFANA_FILE, renderGrafanaAlerting(readFileSync(RULES_FILE, 'utf8')));
  console.log(`wrote ${GRAFANA_FILE}`);
}

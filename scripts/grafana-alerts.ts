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

/** Prometheus' `$value` is the query's value; in Grafana it is the reduced value of B. */
function grafanaTemplate(text: string): string {
  return text.replace(/\$value\b/g, '$values.B.Value');
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
        ],
        noDataState: 'OK',
        execErrState: 'Error',
        for: rule.for ?? '0s',
        labels: rule.labels ?? {},
        annotations: Object.fromEntries(Object.entries(rule.annotations ?? {}).map(([key, value]) => [key, grafanaTemplate(value)])),
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

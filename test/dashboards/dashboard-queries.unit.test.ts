import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  GRAFANA_GLOBALS,
  exportedSeries,
  grafanaVariableNames,
  promqlProblems,
  ruleExprs,
  substituteGrafanaVariables,
  unknownNames,
  vectorSelectors,
} from '../helpers/promql.js';
import { dashboardFiles, dashboardQueries, variables, type Dashboard } from './dashboard-model.js';

/**
 * Every PromQL expression in the dashboards (panel targets, variable queries'
 * selectors, annotations) and in alerts/*.rules.yml parses with Prometheus'
 * own grammar once Grafana's variables are replaced; the dashboards query only
 * what the monitor exports (read from its real registry), with the labels it
 * has; and every metric it exports is on a dashboard.
 */

const dashboards = dashboardFiles();
const exported = exportedSeries();

/**
 * The dashboard's own variables with values a user could pick, as Grafana
 * renders them into a query: a multi-value or All selection as a regex group.
 * A variable the dashboard does not define has no value, so substitution fails on it.
 */
function sampleValues(dashboard: Dashboard): Record<string, string> {
  const samples: Record<string, string> = { target: 'staging', journey: 'golden-path', step: 'live_events' };
  const values: Record<string, string> = { ...GRAFANA_GLOBALS };
  for (const variable of variables(dashboard)) {
    if (variable.type === 'datasource') {
      values[variable.name] = 'prometheus';
      continue;
    }
    const one = samples[variable.name] ?? `${variable.name}-value`;
    values[variable.name] = variable.multi === true || variable.includeAll === true ? `(${one}|${one}-2)` : one;
  }
  return values;
}

function substituted(dashboard: Dashboard) {
  const values = sampleValues(dashboard);
  return dashboardQueries(dashboard).map((query) => ({ ...query, promql: substituteGrafanaVariables(query.expr, values) }));
}

describe('dashboard and alert PromQL', () => {
  it('the dashboards have panel, variable and annotation queries', () => {
    const kinds = new Set(dashboards.flatMap(({ json }) => dashboardQueries(json).map((q) => q.kind)));
    assert.deepEqual([...kinds].sort(), ['annotation', 'panel', 'variable']);
  });

  it('every dashboard query uses only variables the dashboard defines (or Grafana’s own) and parses once they are replaced', () => {
    for (const { file, json } of dashboards) {
      for (const query of substituted(json)) {
        assert.deepEqual(promqlProblems(query.promql), [], `${file} ${query.where}:\n${query.promql}`);
        assert.deepEqual(grafanaVariableNames(query.promql), [], `${file} ${query.where}: a variable left after substitution`);
      }
    }
  });

  it('every expr in alerts/*.rules.yml parses', () => {
    const rules = ruleExprs();
    assert.ok(rules.length > 0, 'alerts/*.rules.yml has rules');
    for (const rule of rules) assert.deepEqual(promqlProblems(rule.expr), [], `${rule.file} ${rule.group}/${rule.rule}:\n${rule.expr}`);
  });

  it('the parse check and the substitution catch what Prometheus would refuse', () => {
    assert.notDeepEqual(promqlProblems('sum by (le) (rate(synthetic_step_duration_seconds_bucket[5m])'), [], 'a missing parenthesis');
    assert.notDeepEqual(promqlProblems('synthetic_journey_success{journey=~"a"'), [], 'an unclosed selector');
    assert.notDeepEqual(promqlProblems('rate(synthetic_journey_runs_total[$__rate_interval])'), [], 'a Grafana variable left in');
    assert.notDeepEqual(promqlProblems('histogram_quantile(0.95 sum(x))'), [], 'a missing comma');
    assert.deepEqual(promqlProblems('histogram_quantile(0.95, sum by (le) (rate(x_bucket{a=~"b|c"}[1m])))'), []);
    assert.throws(() => substituteGrafanaVariables('x{journey=~"$jouney"}', { journey: 'a' }), /unknown Grafana variable \$jouney/);
    assert.equal(substituteGrafanaVariables('x{a="${journey}",b="[[target]]",c="${target:regex}"}[$__rate_interval]', { journey: 'j', target: 't', __rate_interval: '1m' }), 'x{a="j",b="t",c="t"}[1m]');
    assert.equal(substituteGrafanaVariables('label_replace(x, "s", "$1", "step", "(.*)")', {}), 'label_replace(x, "s", "$1", "step", "(.*)")', 'a back-reference is not a variable');
  });

  it('every metric a dashboard queries is one the monitor exports, with labels it has', () => {
    for (const { file, json } of dashboards) {
      for (const query of substituted(json)) {
        assert.deepEqual(unknownNames(query.promql, exported), [], `${file} ${query.where}:\n${query.promql}`);
      }
    }
  });

  it('the exported set comes from the registry and the name check catches strangers', () => {
    assert.deepEqual(exported.get('synthetic_step_duration_seconds_bucket'), new Set(['journey', 'target', 'step', 'job', 'instance', 'le']));
    assert.ok(exported.has('synthetic_event_latency_seconds_count') && exported.has('synthetic_journey_runs_total'));
    assert.ok(!exported.has('synthetic_step_duration_seconds'), 'a histogram is its _bucket, _sum and _count');
    assert.deepEqual(unknownNames('synthetic_journey_sucess', exported), ['synthetic_journey_sucess is not exported']);
    assert.deepEqual(unknownNames('synthetic_scheduler_skipped_runs_total{target="x"}', exported), ['synthetic_scheduler_skipped_runs_total has no label target']);
    assert.deepEqual(unknownNames('sum by (step) (synthetic_journey_success)', exported), ['no metric in the expression has the label step it groups or matches on']);
    assert.deepEqual(unknownNames('{journey="x"}', exported), ['{journey="x"}: no metric name']);
  });

  it('every metric the monitor exports is on a dashboard', () => {
    const family = (series: string) => series.replace(/_(bucket|sum|count)$/, '');
    const families = new Set([...exported.keys()].map(family));
    const shown = new Set(
      dashboards.flatMap(({ json }) =>
        substituted(json).flatMap((query) => vectorSelectors(query.promql).flatMap((selector) => (selector.metric === undefined ? [] : [family(selector.metric)]))),
      ),
    );
    assert.deepEqual([...families].filter((name) => !shown.has(name)), []);
  });
});

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemonHarness, type DaemonHarness } from '../helpers/daemon-harness.js';
import { startPrometheus, waitFor } from '../helpers/prom-tools.js';
import { admin } from '../helpers/sim-client.js';
import {
  hasFiniteValue,
  labelValues,
  queryInstant,
  queryRange,
  ruleExprs,
  substituteGrafanaVariables,
  vectorSelectors,
} from '../helpers/promql.js';
import { dashboardFiles, dashboardQueries, parseVariableQuery, variableQuery, variables, type DashboardQuery } from './dashboard-model.js';

/**
 * The dashboards and alert rules against real data: a monitor daemon watching
 * the simulator, a real Prometheus scraping it every second, healthy runs,
 * then faults switched on through the simulator's admin API (a missing event,
 * then permissive socket auth, so runs fail at a step with a reason, one of
 * them security) and cleared, then a new deployed revision. Then every panel
 * query returns data, every variable query returns values, the deploy
 * annotation marks the deploy, and every selector in the alert rules matches
 * series (so no rule asks for a metric, label or value the monitor never
 * produces).
 *
 * Queries are checked with the protocol journey `golden-path-api`: it has the
 * browser journey's steps and events (the browser journey is off here: slow),
 * so every golden-path panel has something to show for it.
 */

const JOURNEY = 'golden-path-api';
const TARGET = 'sim';
const NEW_REVISION = 'c0ffee1';
/** What Grafana would use over this short window with a 1 s scrape interval (the data source's timeInterval). */
const INTERVAL_SECONDS = 2;
const SCRAPE_SECONDS = 1;
const RATE_INTERVAL_SECONDS = Math.max(INTERVAL_SECONDS + SCRAPE_SECONDS, 4 * SCRAPE_SECONDS);

describe('dashboards and alert rules on live data', () => {
  let h: DaemonHarness | undefined;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  let start = 0;
  let end = 0;
  let steps: string[] = [];
  const dashboards = dashboardFiles();

  const prom = () => {
    assert.ok(prometheus !== undefined, 'Prometheus started');
    return prometheus;
  };
  const value = async (expr: string) => Number((await prom().query(expr))[0]?.value[1] ?? NaN);
  const globals = () => {
    const range = Math.ceil(end - start);
    return {
      __interval: `${INTERVAL_SECONDS}s`,
      __interval_ms: String(INTERVAL_SECONDS * 1000),
      __rate_interval: `${RATE_INTERVAL_SECONDS}s`,
      __rate_interval_ms: String(RATE_INTERVAL_SECONDS * 1000),
      __range: `${range}s`,
      __range_s: String(range),
      __range_ms: String(range * 1000),
    };
  };
  /** A dashboard variable's values over the window, its own variables set as given. */
  const variableValues = async (name: string, chosen: Record<string, string>): Promise<string[]> => {
    const variable = dashboards.flatMap(({ json }) => variables(json)).find((v) => v.name === name);
    assert.ok(variable !== undefined, `a $${name} variable`);
    const query = parseVariableQuery(variableQuery(variable) ?? '');
    assert.equal(query.kind, 'label_values', `$${name} is a label_values() query`);
    if (query.kind !== 'label_values') return [];
    const selector = query.selector === undefined ? undefined : substituteGrafanaVariables(query.selector, { ...globals(), ...chosen });
    return labelValues(prom().url, query.label, selector, start, end);
  };
  /** One journey and target, as a user picks them; $step as All (every step it offers, as Grafana renders All); others as given. */
  const substitute = (expr: string, chosen: Record<string, string> = {}) =>
    substituteGrafanaVariables(expr, { ...globals(), datasource: 'prometheus', journey: JOURNEY, target: TARGET, step: `(${steps.join('|')})`, ...chosen });

  before(async () => {
    h = await startDaemonHarness({
      'golden-path': { enabled: false },
      [JOURNEY]: { schedule: '*/2 * * * * *', stepTimeoutMs: 3000, timeoutMs: 15_000 },
      'ws-auth-enforced': { schedule: '*/3 * * * * *' },
    });
    start = Math.floor(Date.now() / 1000);
    prometheus = await startPrometheus(h.daemon.url);
    const sim = h.sim.description;
    const seen = async (selector: string) => (await prom().query(selector)).length > 0;
    const fault = async (body: Record<string, string>) => {
      assert.equal((await admin(sim, 'POST', '/faults', body)).status, 200, body.name);
    };

    // Healthy runs, seen by Prometheus: two, so every rate() over the window has an increase to show.
    await waitFor('two passed runs in Prometheus', async () => ((await value(`sum(synthetic_journey_runs_total{journey="${JOURNEY}",outcome="passed"})`)) >= 2 ? true : undefined), 60_000);
    // A missing event: golden-path-api fails at live_events (event_missing) …
    await fault({ name: 'missing_event', event: 'tool_completed' });
    await waitFor('golden-path-api failing in Prometheus', () => seen(`synthetic_journey_failure_info{journey="${JOURNEY}",reason="event_missing"}`).then((ok) => (ok ? true : undefined)), 30_000);
    // … then permissive socket auth as well: ws-auth-enforced fails with security.
    await fault({ name: 'permissive_auth' });
    await waitFor('a security failure in Prometheus', () => seen('synthetic_journey_failure_info{journey="ws-auth-enforced",reason="security"}').then((ok) => (ok ? true : undefined)), 30_000);
    assert.equal((await admin(sim, 'DELETE', '/faults')).status, 200);

    // A deploy: the target reports a new revision; runs pass again.
    await fault({ name: 'new_revision', revision: NEW_REVISION });
    await waitFor('the new revision, and golden-path-api passing again, in Prometheus', async () =>
      (await seen(`synthetic_target_info{revision="${NEW_REVISION}"}`)) && (await value(`synthetic_journey_success{journey="${JOURNEY}"}`)) === 1 ? true : undefined, 30_000);
    // A few more scrapes, so range queries ending now have evaluation steps after the deploy.
    await sleep((2 * INTERVAL_SECONDS + SCRAPE_SECONDS) * 1000);
    end = Math.ceil(Date.now() / 1000);
    // The step latency panel repeats per value of $step: each is checked.
    steps = await variableValues('step', { journey: JOURNEY, target: TARGET });
  });

  after(async () => {
    await prometheus?.stop();
    await h?.stop();
  });

  it('every variable query returns values; $journey offers the enabled journeys, $step the journey’s steps', async () => {
    const queryVariables = dashboards.flatMap(({ json }) => variables(json)).filter((v) => v.type === 'query');
    assert.ok(queryVariables.length > 0);
    const offered = new Map<string, string[]>();
    for (const variable of queryVariables) {
      const values = await variableValues(variable.name, { journey: JOURNEY, target: TARGET });
      assert.ok(values.length > 0, `$${variable.name}: ${variableQuery(variable) ?? ''} returned nothing`);
      offered.set(variable.name, values);
    }
    assert.deepEqual(offered.get('target'), [TARGET]);
    assert.deepEqual(offered.get('journey'), [JOURNEY, 'ws-auth-enforced'], 'the enabled journeys (golden-path is off here)');
    assert.deepEqual(offered.get('step')?.sort(), ['agent_request', 'ai_response', 'connect', 'live_events', 'login']);
  });

  it('every panel query returns data over the window (repeated panels for each value of their variable)', async () => {
    let checked = 0;
    for (const { file, json } of dashboards) {
      for (const query of dashboardQueries(json).filter((q) => q.kind === 'panel')) {
        // A repeated panel is drawn once per value of its variable: each copy is checked.
        const repeat = query.panel?.repeat;
        const copies = repeat === undefined ? [{}] : (await variableValues(repeat, { journey: JOURNEY, target: TARGET })).map((v) => ({ [repeat]: v }));
        assert.ok(copies.length > 0, `${query.where}: no values for $${repeat ?? ''}`);
        for (const chosen of copies) {
          const expr = substitute(query.expr, chosen);
          const series = await queryRange(prom().url, expr, start, end, INTERVAL_SECONDS);
          assert.ok(hasFiniteValue(series), `${file} ${query.where} ${JSON.stringify(chosen)}: no data for\n${expr}`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 20, `${checked} queries checked`);
  });

  it('every instant query has a value now, unless its panel says what no data means (noValue)', async () => {
    const instants: DashboardQuery[] = dashboards.flatMap(({ json }) => dashboardQueries(json).filter((q) => q.kind === 'panel' && q.instant));
    assert.ok(instants.length > 0);
    for (const query of instants) {
      const series = await queryInstant(prom().url, substitute(query.expr), end);
      if (query.panel?.fieldConfig?.defaults.noValue !== undefined && series.length === 0) continue;
      assert.ok(hasFiniteValue(series), `${query.where}: no value at the end of the window`);
    }
  });

  it('the deploy annotation marks the new revision, and not the first one seen', async () => {
    const annotations = dashboards.flatMap(({ json }) => dashboardQueries(json).filter((q) => q.kind === 'annotation'));
    assert.ok(annotations.length > 0);
    for (const annotation of annotations) {
      const series = await queryRange(prom().url, substitute(annotation.expr), start, end, INTERVAL_SECONDS);
      const marked = series.filter((s) => s.values.some(([, v]) => Number(v) > 0)).map((s) => s.metric.revision);
      assert.deepEqual(marked, [NEW_REVISION], `${annotation.where}: ${JSON.stringify(series.map((s) => s.metric))}`);
    }
  });

  it('every selector in every alert rule matches series; every rule expr runs', async () => {
    const rules = ruleExprs();
    assert.ok(rules.length > 0, 'alerts/*.rules.yml has rules');
    for (const rule of rules) {
      for (const selector of vectorSelectors(rule.expr)) {
        const series = await queryRange(prom().url, selector.text, start, end, SCRAPE_SECONDS);
        assert.ok(series.length > 0, `${rule.file} ${rule.group}/${rule.rule}: ${selector.text} matches no series`);
      }
      await queryInstant(prom().url, rule.expr, end);
    }
  });
});

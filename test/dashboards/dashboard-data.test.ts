import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemonHarness, type DaemonHarness } from '../helpers/daemon-harness.js';
import { startPrometheus, waitFor } from '../helpers/prom-tools.js';
import { admin } from '../helpers/sim-client.js';
import {
  exportedSeries,
  hasFiniteValue,
  labelValues,
  queryInstant,
  queryRange,
  ruleExprs,
  substituteGrafanaVariables,
  vectorSelectors,
  type PromSeries,
} from '../helpers/promql.js';
import { ROOT, dashboardFiles, dashboardQueries, parseVariableQuery, variableQuery, variables, type DashboardQuery } from './dashboard-model.js';

/**
 * The dashboards and alert rules against real data: a monitor daemon watching
 * the simulator (over TLS, with platform-health beside the journeys below, for
 * the certificate and dependency series; CI announces the deploy below, for
 * the expected-revision ones), a real Prometheus scraping it every second, healthy runs,
 * then faults switched on through the simulator's admin API (a missing event,
 * then permissive socket auth, so runs fail at a step with a reason, one of
 * them security) and cleared, then a new deployed revision (sockets refused
 * for a moment with it). Then every panel
 * query returns data, every variable query returns values, the deploy
 * annotation marks the deploy, and every selector in the alert rules matches
 * series (so no rule asks for a metric, label or value the monitor never
 * produces).
 *
 * Queries are checked with the protocol journey `golden-path-api`: it has the
 * browser journey's steps and events (the browser journey is off here: slow),
 * so every golden-path panel has something to show for it.
 *
 * Beside it runs `account-check`, a journey that exists only as a file in a
 * test fixture folder (config `journeyDirs`), with steps of its own (sign_in,
 * open_session) and no agent request: the dashboard's variables, panels and
 * alert rules must hold for it with no edit. It fails at open_session, with
 * security (under permissive socket auth) and then ws_auth (sockets refused),
 * so the failure panels and both failure alerts have something to show for it.
 */

const JOURNEY = 'golden-path-api';
/** The example journey of test/fixtures/example-journeys: found there only, its own step names. */
const EXAMPLE = 'account-check';
const EXAMPLE_DIR = join(ROOT, 'test/fixtures/example-journeys');
const EXAMPLE_STEPS = ['open_session', 'sign_in'];
/**
 * What only a journey that streams an agent run exports: the golden-path
 * bodies (goldenPathApi, goldenPath) mark each critical event's latency and
 * the stream's longest gap; a journey that sends no agent request has neither,
 * so the panels drawn from these are empty for it (by design, not a missing label).
 */
const STREAM_METRICS: readonly string[] = ['synthetic_event_latency_seconds_bucket', 'synthetic_stream_max_gap_seconds'];
const readsStream = (expr: string) => vectorSelectors(expr).some((s) => s.metric !== undefined && STREAM_METRICS.includes(s.metric));
const TARGET = 'sim';
const EXTERNAL_URL = 'https://gpmon.example.test/ops';
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
  let exampleSteps: string[] = [];
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
  /** One journey (golden-path-api unless `journey` says) and target, as a user picks them; $step as All (every step it offers, as Grafana renders All); others as given. */
  const substitute = (expr: string, chosen: Record<string, string> = {}, journey = JOURNEY) =>
    substituteGrafanaVariables(expr, { ...globals(), datasource: 'prometheus', journey, target: TARGET, step: `(${(journey === EXAMPLE ? exampleSteps : steps).join('|')})`, ...chosen });
  /** Every panel query over the window with $journey set to `journey` (a repeated panel once per value of its variable), and what each returned. */
  const panelSeries = async (journey: string): Promise<{ query: DashboardQuery; where: string; expr: string; series: PromSeries[] }[]> => {
    const out: { query: DashboardQuery; where: string; expr: string; series: PromSeries[] }[] = [];
    for (const { file, json } of dashboards) {
      for (const query of dashboardQueries(json).filter((q) => q.kind === 'panel')) {
        // A repeated panel is drawn once per value of its variable: each copy is checked.
        const repeat = query.panel?.repeat;
        const copies = repeat === undefined ? [{}] : (await variableValues(repeat, { journey, target: TARGET })).map((v) => ({ [repeat]: v }));
        assert.ok(copies.length > 0, `${query.where}: no values for $${repeat ?? ''} (journey ${journey})`);
        for (const chosen of copies) {
          const expr = substitute(query.expr, chosen, journey);
          out.push({ query, where: `${file} ${query.where} ${JSON.stringify(chosen)}`, expr, series: await queryRange(prom().url, expr, start, end, INTERVAL_SECONDS) });
        }
      }
    }
    return out;
  };

  before(async () => {
    h = await startDaemonHarness(
      {
        'golden-path': { enabled: false },
        [JOURNEY]: { schedule: '*/2 * * * * *', stepTimeoutMs: 3000, timeoutMs: 15_000 },
        'ws-auth-enforced': { schedule: '*/3 * * * * *' },
        [EXAMPLE]: { schedule: '*/2 * * * * *' },
        // The platform's facts (certificates, dependencies, services) for the infrastructure row: over TLS, as staging is.
        'platform-health': { schedule: '*/2 * * * * *' },
      },
      // The console's address: the dashboard's $console_url and $runbook_url (synthetic_monitor_links_info).
      { journeyDirs: [EXAMPLE_DIR], server: { port: 0, externalUrl: EXTERNAL_URL } },
      { tls: true },
    );
    start = Math.floor(Date.now() / 1000);
    prometheus = await startPrometheus(h.daemon.url);
    const sim = h.sim.description;
    const seen = async (selector: string) => (await prom().query(selector)).length > 0;
    const fault = async (body: Record<string, string>) => {
      assert.equal((await admin(sim, 'POST', '/faults', body)).status, 200, body.name);
    };

    // Healthy runs, seen by Prometheus: two, so every rate() over the window has an increase to show. (The example
    // journey passes beside them, through the missing event too, and again at the end.)
    await waitFor('two passed runs in Prometheus', async () => ((await value(`sum(synthetic_journey_runs_total{journey="${JOURNEY}",outcome="passed"})`)) >= 2 ? true : undefined), 60_000);
    // A missing event: golden-path-api fails at live_events (event_missing) …
    await fault({ name: 'missing_event', event: 'tool_completed' });
    await waitFor('golden-path-api failing in Prometheus', () => seen(`synthetic_journey_failure_info{journey="${JOURNEY}",reason="event_missing"}`).then((ok) => (ok ? true : undefined)), 30_000);
    // … then permissive socket auth as well: ws-auth-enforced fails with security, and so does the example journey at
    // open_session (its socket is accepted as an anonymous user, not the one signed in).
    await fault({ name: 'permissive_auth' });
    await waitFor('a security failure in Prometheus', () => seen('synthetic_journey_failure_info{journey="ws-auth-enforced",reason="security"}').then((ok) => (ok ? true : undefined)), 30_000);
    await waitFor(`${EXAMPLE} failing at open_session (security) in Prometheus`, () => seen(`synthetic_journey_failure_info{journey="${EXAMPLE}",step="open_session",reason="security"}`).then((ok) => (ok ? true : undefined)), 30_000);
    assert.equal((await admin(sim, 'DELETE', '/faults')).status, 200);

    // A deploy: the target reports a new revision, and refuses sockets (AUTH_FAILED) for a moment: the example journey
    // fails at its own step, open_session (ws_auth). Then runs pass again.
    await fault({ name: 'new_revision', revision: NEW_REVISION });
    // CI announces it: the deploys panel and GoldenPathDeployNotEffective's series.
    assert.equal((await h.api('POST', `/api/targets/${TARGET}/expected-revision`, { body: { revision: NEW_REVISION, within: '1m' } })).status, 201);
    await fault({ name: 'ws_auth_rejected' });
    await waitFor(`${EXAMPLE} failing at open_session (ws_auth) in Prometheus`, () => seen(`synthetic_journey_failure_info{journey="${EXAMPLE}",step="open_session",reason="ws_auth"}`).then((ok) => (ok ? true : undefined)), 30_000);
    assert.equal((await admin(sim, 'DELETE', '/faults/ws_auth_rejected')).status, 200);
    await waitFor(`the new revision, and ${JOURNEY} and ${EXAMPLE} passing again, in Prometheus`, async () =>
      (await seen(`synthetic_target_info{revision="${NEW_REVISION}"}`)) && (await value(`synthetic_journey_success{journey="${JOURNEY}"}`)) === 1 && (await value(`synthetic_journey_success{journey="${EXAMPLE}"}`)) === 1 ? true : undefined, 30_000);
    // A few more scrapes, so range queries ending now have evaluation steps after the deploy.
    await sleep((2 * INTERVAL_SECONDS + SCRAPE_SECONDS) * 1000);
    end = Math.ceil(Date.now() / 1000);
    // The step latency panel repeats per value of $step: each is checked.
    steps = await variableValues('step', { journey: JOURNEY, target: TARGET });
    exampleSteps = await variableValues('step', { journey: EXAMPLE, target: TARGET });
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
    assert.deepEqual(offered.get('journey'), [EXAMPLE, JOURNEY, 'platform-health', 'ws-auth-enforced'], 'the enabled journeys (golden-path is off here), the one found only in a journeyDirs folder among them');
    assert.deepEqual(offered.get('step')?.sort(), ['agent_request', 'ai_response', 'connect', 'live_events', 'login']);
    assert.deepEqual(offered.get('console_url'), [EXTERNAL_URL], 'the console links go where the monitor says it is reached');
    assert.deepEqual(offered.get('runbook_url'), [`${EXTERNAL_URL}/runbook`]);
  });

  it('every series a panel with a data link draws has the labels the link is built from (journey and target)', async () => {
    let linked = 0;
    for (const { query, where, series } of await panelSeries(JOURNEY)) {
      const urls = ((query.panel?.fieldConfig?.defaults as { links?: { url: string }[] } | undefined)?.links ?? []).map((l) => l.url);
      const needed = [...new Set(urls.flatMap((url) => [...url.matchAll(/\$\{__(?:field\.labels|data\.fields)\.(\w+)\}/g)].map((m) => m[1] ?? '')))];
      if (needed.length === 0) continue;
      linked++;
      assert.ok(series.length > 0, `${where}: no series`);
      for (const { metric } of series) for (const label of needed) assert.ok((metric[label] ?? '') !== '', `${where}: a series without ${label}: ${JSON.stringify(metric)}`);
    }
    assert.ok(linked >= 9, `${linked} linked panel queries checked`);
  });

  it(`with $journey = ${EXAMPLE} (a journey found only as a file, steps of its own), every variable query returns values and $step offers exactly its steps`, async () => {
    for (const variable of dashboards.flatMap(({ json }) => variables(json)).filter((v) => v.type === 'query')) {
      const values = await variableValues(variable.name, { journey: EXAMPLE, target: TARGET });
      assert.ok(values.length > 0, `$${variable.name} with journey ${EXAMPLE}: ${variableQuery(variable) ?? ''} returned nothing`);
    }
    assert.deepEqual([...exampleSteps].sort(), EXAMPLE_STEPS, `$step for ${EXAMPLE}: its own steps, none of the golden path's`);
  });

  it('every panel query returns data over the window (repeated panels for each value of their variable)', async () => {
    let checked = 0;
    for (const { where, expr, series } of await panelSeries(JOURNEY)) {
      assert.ok(hasFiniteValue(series), `${where}: no data for\n${expr}`);
      checked++;
    }
    assert.ok(checked >= 20, `${checked} queries checked`);
  });

  it(`with $journey = ${EXAMPLE}, every panel the golden path fills has data for it, about it and its own steps only (the agent-stream panels have none: it streams no agent run)`, async () => {
    const golden = await panelSeries(JOURNEY);
    const example = await panelSeries(EXAMPLE);
    // The same panel queries, less the agent-stream ones, have data: a repeated panel counts once (its copies are per step, and the steps differ).
    const withData = (checked: typeof golden) => [...new Set(checked.filter((c) => hasFiniteValue(c.series)).map((c) => c.query.where))].sort();
    assert.deepEqual(withData(example), withData(golden).filter((where) => !readsStream(golden.find((c) => c.query.where === where)?.query.expr ?? '')), 'panel queries with data for the example journey');
    const labelsSeen = { journey: new Set<string>(), step: new Set<string>() };
    for (const { query, where, expr, series } of example) {
      if (readsStream(query.expr)) {
        assert.ok(!hasFiniteValue(series), `${where}: data for ${EXAMPLE}, which streams no agent run:\n${expr}`);
        continue;
      }
      assert.ok(hasFiniteValue(series), `${where}: no data for ${EXAMPLE}:\n${expr}`);
      for (const { metric } of series) {
        if (metric.journey !== undefined) labelsSeen.journey.add(metric.journey);
        if (metric.step !== undefined) labelsSeen.step.add(metric.step);
      }
    }
    assert.deepEqual([...labelsSeen.journey], [EXAMPLE], 'every series a panel draws for it is its own');
    assert.deepEqual([...labelsSeen.step].sort(), EXAMPLE_STEPS, 'the step-labelled panels show its own steps, both, and no golden-path step');
    // The failure panels name its own step and reason.
    const failures = example.filter(({ series }) => series.some(({ metric }) => metric.step === 'open_session' && metric.reason === 'ws_auth'));
    assert.ok(failures.length >= 2, `panels showing ${EXAMPLE} failing at open_session (ws_auth): ${failures.map((f) => f.where).join('; ') || 'none'}`);
  });

  it('every instant query has a value now, unless its panel says what no data means (noValue)', async () => {
    const instants: DashboardQuery[] = dashboards.flatMap(({ json }) => dashboardQueries(json).filter((q) => q.kind === 'panel' && q.instant));
    assert.ok(instants.length > 0);
    for (const query of instants) {
      const series = await queryInstant(prom().url, substitute(query.expr), end);
      if (query.panel?.fieldConfig?.defaults.noValue !== undefined && series.length === 0) continue;
      assert.ok(hasFiniteValue(series), `${query.where}: no value at the end of the window`);
    }
    // The same for the example journey, but for the agent-stream panels (it streams no agent run).
    for (const query of instants.filter((q) => !readsStream(q.expr))) {
      const series = await queryInstant(prom().url, substitute(query.expr, {}, EXAMPLE), end);
      if (query.panel?.fieldConfig?.defaults.noValue !== undefined && series.length === 0) continue;
      assert.ok(hasFiniteValue(series), `${query.where}: no value for ${EXAMPLE} at the end of the window`);
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

  it(`every alert rule selector matches ${EXAMPLE}'s series too, with its own steps, but for the golden-path-only first-event rule`, async () => {
    const exported = exportedSeries();
    const unmatched: string[] = [];
    for (const rule of ruleExprs()) {
      for (const selector of vectorSelectors(rule.expr)) {
        // The journey's own series: the selector with journey="account-check" (a metric without a journey label, such as synthetic_target_info, as it is).
        if (selector.metric === undefined || exported.get(selector.metric)?.has('journey') !== true) continue;
        const matchers = [...selector.matchers.map((m) => `${m.label}${m.op}${JSON.stringify(m.value)}`), `journey="${EXAMPLE}"`];
        const own = `${selector.metric}{${matchers.join(',')}}`;
        const series = await queryRange(prom().url, own, start, end, SCRAPE_SECONDS);
        if (series.length === 0) unmatched.push(`${rule.rule}: ${own}`);
        for (const { metric } of series) if (metric.step !== undefined) assert.ok([...EXAMPLE_STEPS, 'journey'].includes(metric.step), `${rule.rule}: ${own} has step ${metric.step}`);
      }
    }
    assert.deepEqual(unmatched, [
      // GoldenPathFirstEventSlow is about the agent run of the golden path: agent_started's latency (only the golden-path
      // bodies mark it) against the SLO of a step named agent_request. It cannot fire for a journey without that step.
      `GoldenPathFirstEventSlow: synthetic_event_latency_seconds_bucket{event="agent_started",journey="${EXAMPLE}"}`,
      `GoldenPathFirstEventSlow: synthetic_step_slo_seconds{step="agent_request",journey="${EXAMPLE}"}`,
    ]);
  });
});

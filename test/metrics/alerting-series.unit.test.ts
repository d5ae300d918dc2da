import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRenderer, MonitorMetrics, createMetricsRegistry } from '../../src/metrics/monitor-metrics.js';
import type { Outcome, RunRecord } from '../../src/model/run-record.js';
import { parseMetrics } from '../helpers/prom-tools.js';
import { runRecord } from '../helpers/records.js';

/** The series the alert rules stand on: the failure streak, the current failure, and the configured thresholds. */

const JOURNEY = 'golden-path-api';
const base = `journey="${JOURNEY}",target="staging"`;

function run(id: string, outcome: Outcome, failure?: { step: string; reason: 'ws_subprotocol' | 'event_missing' | 'monitor_error' }): RunRecord {
  return runRecord({
    id, outcome, journey: JOURNEY, target: 'staging', finishedAt: '2026-01-01T00:00:01.000Z', durationMs: 1000,
    steps: [{ name: 'login', status: outcome === 'passed' ? 'passed' : 'failed', durationMs: 100 }],
    ...(failure !== undefined ? { failure: { ...failure, message: 'm', evidence: {} } } : {}),
  });
}

function setup() {
  const registry = createMetricsRegistry();
  const metrics = new MonitorMetrics({ registry, buckets: { step: [1], event: [1], journey: [1] }, version: 't', playwrightVersion: 't' });
  metrics.initialise([{ journey: JOURNEY, target: 'staging', steps: ['login', 'connect', 'journey'], alerting: { sloMs: { login: 3000, connect: 1000 }, pageAfterFailures: 4, intervalSeconds: 15 } }]);
  const renderer = new MetricsRenderer(registry);
  const text = async () => (await renderer.render(false)).body;
  return { metrics, text, values: async () => parseMetrics(await text()) };
}

describe('alerting series', () => {
  it('exports the configured thresholds the rules compare against', async () => {
    const m = await setup().values();
    assert.equal(m.get(`synthetic_journey_page_after_failures{${base}}`), 4);
    assert.equal(m.get(`synthetic_journey_interval_seconds{${base}}`), 15);
    assert.equal(m.get(`synthetic_step_slo_seconds{${base},step="login"}`), 3);
    assert.equal(m.get(`synthetic_step_slo_seconds{${base},step="connect"}`), 1);
    assert.equal(m.get(`synthetic_journey_consecutive_failures{${base}}`), 0);
    // Histograms start at 0 too, so the first run after a start counts in rate().
    assert.equal(m.get(`synthetic_step_duration_seconds_count{${base},step="login"}`), 0);
    assert.equal(m.get(`synthetic_step_duration_seconds_count{${base},step="journey"}`), undefined, 'the pseudo-step is never timed');
    assert.equal(m.get(`synthetic_journey_duration_seconds_count{${base}}`), 0);
  });

  it('counts failures in a row: an error neither counts nor resets; the failure info follows the last failure; a pass clears both', async () => {
    const { metrics, text, values } = setup();
    const info = async () => (await text()).split('\n').filter((line) => line.startsWith('synthetic_journey_failure_info{'));
    metrics.recordRun(run('1', 'failed', { step: 'connect', reason: 'ws_subprotocol' }));
    assert.equal((await values()).get(`synthetic_journey_consecutive_failures{${base}}`), 1);
    assert.deepEqual(await info(), [`synthetic_journey_failure_info{${base},step="connect",reason="ws_subprotocol"} 1`]);
    metrics.recordRun(run('2', 'error', { step: 'journey', reason: 'monitor_error' }));
    assert.equal((await values()).get(`synthetic_journey_consecutive_failures{${base}}`), 1, 'an error does not count');
    assert.deepEqual(await info(), [`synthetic_journey_failure_info{${base},step="connect",reason="ws_subprotocol"} 1`], 'an error is not the target failing');
    metrics.recordRun(run('3', 'failed', { step: 'live_events', reason: 'event_missing' }));
    assert.equal((await values()).get(`synthetic_journey_consecutive_failures{${base}}`), 2);
    assert.deepEqual(await info(), [`synthetic_journey_failure_info{${base},step="live_events",reason="event_missing"} 1`], 'one series: the latest failure');
    metrics.recordRun(run('4', 'passed'));
    assert.equal((await values()).get(`synthetic_journey_consecutive_failures{${base}}`), 0);
    assert.deepEqual(await info(), []);
  });

  it('restores the streak, the current failure and the last run after a restart', async () => {
    const { metrics, text, values } = setup();
    metrics.restore({ journey: JOURNEY, target: 'staging', lastRunAt: '2026-01-01T00:00:10.000Z', consecutiveFailures: 3, lastFailure: { step: 'connect', reason: 'ws_subprotocol' } });
    const m = await values();
    assert.equal(m.get(`synthetic_journey_consecutive_failures{${base}}`), 3);
    assert.equal(m.get(`synthetic_journey_last_run_timestamp_seconds{${base}}`), Date.parse('2026-01-01T00:00:10.000Z') / 1000);
    assert.match(await text(), /synthetic_journey_failure_info\{journey="golden-path-api",target="staging",step="connect",reason="ws_subprotocol"\} 1/);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { MetricsRenderer, MonitorMetrics, createMetricsRegistry } from '../../src/metrics/monitor-metrics.js';
import { runRecord } from '../helpers/records.js';

/**
 * The renderer keeps each metric family's text between scrapes and renders
 * again only the families written since: whatever is written, a scrape must
 * read exactly what prom-client's own Registry.metrics() renders at that
 * moment, in both formats.
 */
function setup() {
  const registry = createMetricsRegistry();
  const metrics = new MonitorMetrics({ registry, buckets: { step: [0.5, 1, 5], event: [0.5, 1, 5], journey: [1, 10] }, version: 'v', playwrightVersion: 'p' });
  metrics.initialise([{ journey: 'golden-path', target: 'staging', steps: ['login', 'connect', 'agent_request', 'live_events', 'ai_response', 'journey'], alerting: { sloMs: { login: 1000 }, pageAfterFailures: 2, intervalSeconds: 60 } }]);
  return { registry, metrics, renderer: new MetricsRenderer(registry) };
}

/** What prom-client renders now, in the format asked for (the registry's format, and the counter names OpenMetrics renames in place, restored after). */
async function fresh(registry: ReturnType<typeof createMetricsRegistry>, openMetrics: boolean): Promise<string> {
  const switchable = registry as unknown as { setContentType(type: string): void };
  const metrics = registry.getMetricsAsArray() as unknown as { name: string }[];
  const names = metrics.map((m) => m.name);
  switchable.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
  try {
    return await registry.metrics();
  } finally {
    metrics.forEach((m, i) => {
      m.name = names[i] ?? m.name;
    });
    switchable.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  }
}

async function assertSame(s: ReturnType<typeof setup>, what: string): Promise<void> {
  for (const openMetrics of [false, true]) {
    const body = (await s.renderer.render(openMetrics)).body;
    assert.equal(body, await fresh(s.registry, openMetrics), `${what}: ${openMetrics ? 'OpenMetrics' : 'Prometheus text'} as prom-client renders it`);
  }
}

describe('the /metrics renderer renders again only what was written', () => {
  it('reads what prom-client renders after every kind of write, in both formats', async () => {
    const s = setup();
    await assertSame(s, 'at start');
    await assertSame(s, 'nothing written (every family from its kept text)');
    s.metrics.recordRun(runRecord({ id: 'r-pass', outcome: 'passed' }));
    await assertSame(s, 'a passed run');
    s.metrics.recordRun(runRecord({ id: 'r-fail', outcome: 'failed', failure: { step: 'connect', reason: 'ws_auth', message: 'refused', evidence: {} } }));
    await assertSame(s, 'a failed run (a failure counter, failure_info set)');
    s.metrics.recordRun(runRecord({ id: 'r-pass', outcome: 'passed' }));
    await assertSame(s, 'a pass after it (failure_info removed)');
    s.metrics.recordSkip('golden-path', 'overlap');
    await assertSame(s, 'a skipped tick');
    s.metrics.setPaused('golden-path', 'staging', true);
    await assertSame(s, 'paused');
    s.metrics.recordNotStored();
    await assertSame(s, 'a run not stored');
    s.metrics.setExpectedRevision({ target: 'staging', revision: 'abc', deadline: new Date(Date.now() + 60_000).toISOString() });
    s.metrics.setExpectedRevision({ target: 'staging', revision: 'def', deadline: new Date(Date.now() + 60_000).toISOString() });
    await assertSame(s, 'an expected revision replaced (remove)');
    s.metrics.restore({ journey: 'golden-path', target: 'staging', consecutiveFailures: 3, lastRunAt: new Date().toISOString(), lastFailure: { step: 'login', reason: 'timeout' } });
    await assertSame(s, 'a standing restored');
    s.registry.resetMetrics();
    await assertSame(s, 'the registry reset');
  });

  it('a written family is rendered again, an unwritten one is served from its kept text', async () => {
    const s = setup();
    await s.renderer.render(false);
    const calls: string[] = [];
    const registry = s.registry as unknown as { getMetricsAsString(metric: { name: string }): Promise<string> };
    const original = registry.getMetricsAsString.bind(registry);
    registry.getMetricsAsString = (metric) => {
      calls.push(metric.name);
      return original(metric);
    };
    await s.renderer.render(false);
    assert.deepEqual(calls, [], 'nothing written: nothing rendered');
    s.metrics.recordSkip('golden-path', 'missed');
    await s.renderer.render(false);
    assert.deepEqual(calls, ['synthetic_scheduler_skipped_runs_total']);
  });
});

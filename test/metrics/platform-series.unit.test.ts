import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRenderer, MonitorMetrics, createMetricsRegistry } from '../../src/metrics/monitor-metrics.js';
import { readMarks } from '../../src/model/marks.js';
import { parseMetrics } from '../helpers/prom-tools.js';
import { runRecord } from '../helpers/records.js';

/** The platform's facts as platform-health and concurrent-sessions report them, in the series the dashboards and rules read. */

function setup() {
  const registry = createMetricsRegistry();
  const metrics = new MonitorMetrics({ registry, buckets: { step: [1], event: [0.1, 1], journey: [1] }, version: 't', playwrightVersion: 't' });
  const renderer = new MetricsRenderer(registry);
  return { metrics, values: async () => parseMetrics((await renderer.render(false)).body) };
}

describe('platform series', () => {
  it("platform-health's marks: certificate expiry per origin, dependency latency and degradation, a degraded service flagged", async () => {
    const { metrics, values } = setup();
    const marks = readMarks({
      tlsCertificates: [{ origin: 'api', notAfter: '2027-01-01T00:00:00.000Z', daysLeft: 32, trusted: true, issuer: 'CN=ca' }],
      dependencies: [
        { name: 'postgres', status: 'healthy', latencyMs: 3 },
        { name: 'redis', status: 'degraded', latencyMs: 850 },
        { name: 'clickhouse', status: 'healthy', latencyMs: null },
      ],
      services: [{ service: 'auth', status: 'healthy' }, { service: 'api', status: 'degraded' }],
    });
    // A failed run's facts count too: an expired certificate is a fact of the run that failed on it.
    metrics.recordRun(runRecord({ id: 'a', outcome: 'failed', journey: 'platform-health', target: 'staging', marks, failure: { step: 'tls', reason: 'network', message: 'm', evidence: {} } }));
    const m = await values();
    assert.equal(m.get('synthetic_tls_cert_expiry_timestamp_seconds{target="staging",origin="api"}'), Date.parse('2027-01-01T00:00:00.000Z') / 1000);
    assert.equal(m.get('synthetic_dependency_latency_seconds{target="staging",dependency="redis"}'), 0.85);
    assert.equal(m.get('synthetic_dependency_latency_seconds{target="staging",dependency="clickhouse"}'), undefined, 'no latency reported, none exported');
    assert.equal(m.get('synthetic_dependency_degraded{target="staging",dependency="redis"}'), 1);
    assert.equal(m.get('synthetic_dependency_degraded{target="staging",dependency="postgres"}'), 0);
    assert.equal(m.get('synthetic_service_degraded{target="staging",service="api"}'), 1);
    assert.equal(m.get('synthetic_service_degraded{target="staging",service="auth"}'), 0);
  });

  it('a dependency name unfit for a label, or too many, is refused as a bad mark, never exported', () => {
    const marks = readMarks({ dependencies: [{ name: 'Redis Cluster {eu}', status: 'healthy', latencyMs: 1 }] });
    assert.equal(marks.dependencies, undefined);
    assert.match(marks.badMarks?.[0] ?? '', /^dependencies: /);
  });

  it("concurrent-sessions: every session's event latencies go to the usual histogram, no per-user series", async () => {
    const { metrics, values } = setup();
    const marks = readMarks({ sessionEventLatencyMs: [{ agent_started: 50 }, { agent_started: 70 }, { agent_started: 500 }] });
    metrics.recordRun(runRecord({ id: 'b', outcome: 'passed', journey: 'concurrent-sessions', target: 'staging', marks, events: [{ type: 'agent_started', atMs: 50 }, { type: 'agent_started', atMs: 70 }, { type: 'agent_started', atMs: 500 }] }));
    const m = await values();
    assert.equal(m.get('synthetic_event_latency_seconds_count{journey="concurrent-sessions",target="staging",event="agent_started"}'), 3);
    assert.equal(m.get('synthetic_event_latency_seconds_bucket{le="0.1",journey="concurrent-sessions",target="staging",event="agent_started"}'), 2);
  });
});

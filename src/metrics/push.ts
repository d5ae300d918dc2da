import { Pushgateway, Registry } from 'prom-client';
import type { RunRecord } from '../model/run-record.js';
import { MonitorMetrics, createMetricsRegistry } from './monitor-metrics.js';
import { monitorVersion, playwrightVersion } from '../cli/versions.js';

/**
 * One run's metrics to a Pushgateway, under a job named for the journey and a
 * `target` grouping (design.md, Scale: `gpmon run --push` as Kubernetes
 * CronJobs). The group is replaced on each push: it holds the last run.
 */
export async function pushRun(url: string, record: RunRecord, buckets: { step: number[]; event: number[]; journey: number[] }): Promise<{ ok: true } | { ok: false; error: string }> {
  const registry = createMetricsRegistry();
  const metrics = new MonitorMetrics({ registry, buckets, version: monitorVersion(), playwrightVersion: playwrightVersion() });
  metrics.recordRun(record);
  // A Pushgateway reads Prometheus text, not OpenMetrics.
  (registry as unknown as { setContentType(type: string): void }).setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
  const gateway = new Pushgateway(url, { timeout: 10_000 }, registry as unknown as Registry);
  try {
    await gateway.push({ jobName: record.journey, groupings: { target: record.target } });
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

import { Pushgateway, Registry } from 'prom-client';
import type { RunRecord } from '../model/run-record.js';
import { MonitorMetrics, createMetricsRegistry, type KnownSeries } from './monitor-metrics.js';
import { monitorVersion, playwrightVersion } from '../cli/versions.js';

export interface PushOptions {
  readonly buckets: { readonly step: readonly number[]; readonly event: readonly number[]; readonly journey: readonly number[] };
  /** The journey's alerting settings from config, pushed beside the run so the same alert rules work. */
  readonly alerting: NonNullable<KnownSeries['alerting']>;
  readonly steps: readonly string[];
  /** One instance per region: a `location` grouping label (GPMON_LOCATION). */
  readonly location?: string;
}

export type PushResult = { ok: true; warning?: string } | { ok: false; error: string };

/**
 * One run's metrics to a Pushgateway, under a job named for the journey and a
 * `target` grouping, plus `location` when set (design.md, Scale: `gpmon run
 * --push` as Kubernetes CronJobs). The group is replaced on each push: it
 * holds the last run. The one thing carried over is the failure streak, read
 * back from the gateway, so "failed on its last N runs" works for CronJobs too.
 */
export async function pushRun(url: string, record: RunRecord, options: PushOptions): Promise<PushResult> {
  const groupings: Record<string, string> = { target: record.target, ...(options.location !== undefined ? { location: options.location } : {}) };
  const registry = createMetricsRegistry();
  const metrics = new MonitorMetrics({ registry, buckets: options.buckets, version: monitorVersion(), playwrightVersion: playwrightVersion() });
  metrics.initialise([{ journey: record.journey, target: record.target, steps: [...options.steps, 'journey'], alerting: options.alerting }]);
  const previous = await previousStreak(url, record.journey, groupings);
  if (typeof previous === 'number') metrics.continueStreak(record.journey, record.target, previous);
  metrics.recordRun(record);
  // A Pushgateway reads Prometheus text, not OpenMetrics.
  (registry as unknown as { setContentType(type: string): void }).setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
  const gateway = new Pushgateway(url, { timeout: 10_000 }, registry as unknown as Registry);
  try {
    await gateway.push({ jobName: record.journey, groupings });
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  return typeof previous === 'string' ? { ok: true, warning: `the failure streak starts again: ${previous}` } : { ok: true };
}

interface GatewayGroup {
  labels?: Record<string, string>;
  synthetic_journey_consecutive_failures?: { metrics?: { value?: string }[] };
}

/** The streak the gateway holds for this group: a number, 0 when the group is new, or why it could not be read. */
async function previousStreak(url: string, job: string, groupings: Record<string, string>): Promise<number | string> {
  try {
    const response = await fetch(new URL('/api/v1/metrics', url), { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) return `GET /api/v1/metrics answered ${response.status}`;
    const body = (await response.json()) as { data?: GatewayGroup[] };
    const wanted: Record<string, string> = { job, ...groupings };
    const group = (body.data ?? []).find((g) => {
      const labels = g.labels ?? {};
      // Exactly this group: same job and grouping labels (an instance="" label is the gateway's own default).
      const keys = Object.keys(labels).filter((k) => !(k === 'instance' && labels[k] === ''));
      return keys.length === Object.keys(wanted).length && keys.every((k) => labels[k] === wanted[k]);
    });
    const value = Number(group?.synthetic_journey_consecutive_failures?.metrics?.[0]?.value ?? 0);
    return Number.isFinite(value) && value >= 0 ? value : 0;
  } catch (error) {
    return `cannot read the gateway: ${error instanceof Error ? error.message : String(error)}`;
  }
}

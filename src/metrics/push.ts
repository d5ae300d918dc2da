import { Pushgateway, Registry } from 'prom-client';
import type { JourneyStanding, RunRecord } from '../model/run-record.js';
import { MonitorMetrics, createMetricsRegistry, type KnownSeries } from './monitor-metrics.js';

export interface PushOptions {
  readonly buckets: { readonly step: readonly number[]; readonly event: readonly number[]; readonly journey: readonly number[] };
  /** The journey's alerting settings from config, pushed beside the run so the same alert rules work. */
  readonly alerting: NonNullable<KnownSeries['alerting']>;
  readonly steps: readonly string[];
  /** One instance per region: a `location` grouping label (GPMON_LOCATION). */
  readonly location?: string;
  /** gpmon's and Playwright's versions, for synthetic_monitor_info (the CLI reads them; metrics never read files). */
  readonly versions: { readonly monitor: string; readonly playwright: string };
}

export type PushResult = { ok: true; warning?: string } | { ok: false; error: string };

/**
 * One run's metrics to a Pushgateway, under a job named for the journey and a
 * `target` grouping, plus `location` when set (design.md, Scale: `gpmon run
 * --push` as Kubernetes CronJobs). The group is replaced on each push: it
 * holds the last run. What the alert rules need across runs is read back from
 * the gateway first and carried on: the failure streak, the current failure,
 * the last success, so "failed on its last N runs" works for CronJobs and a
 * monitor error changes nothing about the target.
 */
export async function pushRun(url: string, record: RunRecord, options: PushOptions): Promise<PushResult> {
  const groupings: Record<string, string> = { target: record.target, ...(options.location !== undefined ? { location: options.location } : {}) };
  const registry = createMetricsRegistry();
  const metrics = new MonitorMetrics({ registry, buckets: options.buckets, version: options.versions.monitor, playwrightVersion: options.versions.playwright });
  metrics.initialise([{ journey: record.journey, target: record.target, steps: [...options.steps, 'journey'], alerting: options.alerting }]);
  const previous = await previousStanding(url, record.journey, record.target, groupings);
  if (typeof previous !== 'string') metrics.restore(previous);
  metrics.recordRun(record);
  // A Pushgateway reads Prometheus text, not OpenMetrics.
  (registry as unknown as { setContentType(type: string): void }).setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
  const gateway = new Pushgateway(url, { timeout: 10_000 }, registry as unknown as Registry);
  try {
    await gateway.push({ jobName: record.journey, groupings });
  } catch (error) {
    return { ok: false, error: withoutCredentials(error instanceof Error ? error.message : String(error), url) };
  }
  return typeof previous === 'string' ? { ok: true, warning: `the failure streak starts again: ${previous}` } : { ok: true };
}

/** A URL as it may be shown: no user or password. */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1');
}

function withoutCredentials(message: string, url: string): string {
  return message.split(url).join(displayUrl(url)).replace(/\/\/[^/@\s]*:[^/@\s]*@/g, '//');
}

interface GatewayMetric {
  metrics?: { labels?: Record<string, string>; value?: string }[];
}

type GatewayGroup = { labels?: Record<string, string> } & Partial<Record<string, GatewayMetric>>;

/** What the gateway holds for this group (nothing yet is a fresh standing), or why it could not be read. */
async function previousStanding(url: string, job: string, target: string, groupings: Record<string, string>): Promise<JourneyStanding | string> {
  try {
    // Relative to the gateway's URL, so a path prefix (a gateway behind a proxy) is kept; credentials go in a header.
    const base = new URL(url.endsWith('/') ? url : `${url}/`);
    const headers: Record<string, string> = {};
    if (base.username !== '' || base.password !== '') {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
      base.username = '';
      base.password = '';
    }
    const response = await fetch(new URL('api/v1/metrics', base), { headers, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) return `GET api/v1/metrics answered ${response.status}`;
    const body = (await response.json()) as { data?: GatewayGroup[] };
    const wanted: Record<string, string> = { job, ...groupings };
    const group = (body.data ?? []).find((g) => {
      const labels = g.labels ?? {};
      // Exactly this group: same job and grouping labels (an instance="" label is the gateway's own default).
      const keys = Object.keys(labels).filter((k) => !(k === 'instance' && labels[k] === ''));
      return keys.length === Object.keys(wanted).length && keys.every((k) => labels[k] === wanted[k]);
    });
    const first = (name: string) => group?.[name]?.metrics?.[0];
    const number = (name: string) => {
      const value = Number(first(name)?.value ?? NaN);
      return Number.isFinite(value) ? value : undefined;
    };
    const streak = number('synthetic_journey_consecutive_failures') ?? 0;
    const failure = first('synthetic_journey_failure_info')?.labels;
    const lastSuccess = number('synthetic_journey_last_success_timestamp_seconds');
    return {
      journey: job,
      target,
      consecutiveFailures: Math.max(0, streak),
      ...(failure?.step !== undefined && failure.reason !== undefined ? { lastFailure: { step: failure.step, reason: failure.reason } } : {}),
      ...(lastSuccess !== undefined && lastSuccess > 0 ? { lastSuccessAt: new Date(lastSuccess * 1000).toISOString() } : {}),
    };
  } catch (error) {
    return `cannot read the gateway: ${withoutCredentials(error instanceof Error ? error.message : String(error), url)}`;
  }
}

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SkipReason } from '../model/skip.js';
import type { JourneyStanding, RunRecord } from '../model/run-record.js';
import { FAILURE_REASONS } from '../model/reasons.js';
import { CRITICAL_EVENTS } from '../model/golden-path.js';
import { isHealthyStatus } from '../model/marks.js';

/**
 * The monitor's metrics (design.md's table): the only module that touches
 * prom-client. Labels are bounded (journey, target, step, event, reason,
 * outcome, trigger); run ids travel as exemplars, never as labels.
 */

export interface MetricsSetup {
  /** An OpenMetrics registry: exemplars need one; Prometheus text is rendered from it too. */
  readonly registry: Registry<'application/openmetrics-text; version=1.0.0; charset=utf-8'>;
  readonly buckets: { readonly step: readonly number[]; readonly event: readonly number[]; readonly journey: readonly number[] };
  readonly version: string;
  readonly playwrightVersion: string;
  /**
   * Where people reach this monitor's console and its runbook (config `server.externalUrl`, `server.runbookUrl`):
   * exported as `synthetic_monitor_links_info` when either is set, for the alert annotations' and the dashboard's links.
   */
  readonly links?: { readonly consoleUrl?: string | undefined; readonly runbookUrl?: string | undefined };
}

export interface KnownSeries {
  readonly journey: string;
  readonly target: string;
  readonly steps: readonly string[];
  /** What the alert rules compare against, from config (so rules need no editing when config changes). */
  readonly alerting?: {
    /** Step name → latency objective in ms. */
    readonly sloMs: Readonly<Record<string, number>>;
    readonly pageAfterFailures: number;
    readonly intervalSeconds: number;
  };
}


const OUTCOMES = ['passed', 'failed', 'error'] as const;
const TRIGGERS = ['schedule', 'manual', 'replay'] as const;

export function createMetricsRegistry(): MetricsSetup['registry'] {
  const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

/** prom-client types exemplar labels as the metric's own label names; a run id is neither. */
function exemplarOf<T extends string>(runId: string): Partial<Record<T, string>> {
  return { run_id: runId } as unknown as Partial<Record<T, string>>;
}

const SKIP_REASONS: readonly SkipReason[] = ['overlap', 'missed'];

export class MonitorMetrics {
  private readonly runs: Counter<'journey' | 'target' | 'outcome' | 'trigger'>;
  private readonly success: Gauge<'journey' | 'target'>;
  private readonly duration: Histogram<'journey' | 'target'>;
  private readonly lastRun: Gauge<'journey' | 'target'>;
  private readonly lastSuccess: Gauge<'journey' | 'target'>;
  private readonly stepDuration: Histogram<'journey' | 'target' | 'step'>;
  private readonly stepSuccess: Gauge<'journey' | 'target' | 'step'>;
  private readonly stepFailures: Counter<'journey' | 'target' | 'step' | 'reason'>;
  private readonly eventLatency: Histogram<'journey' | 'target' | 'event'>;
  private readonly maxGap: Gauge<'journey' | 'target'>;
  private readonly targetInfo: Gauge<'target' | 'version' | 'revision'>;
  private readonly skipped: Counter<'journey' | 'reason'>;
  private readonly notStored: Counter;
  private readonly consecutiveFailures: Gauge<'journey' | 'target'>;
  private readonly failureInfo: Gauge<'journey' | 'target' | 'step' | 'reason'>;
  private readonly pageAfter: Gauge<'journey' | 'target'>;
  private readonly interval: Gauge<'journey' | 'target'>;
  private readonly stepSlo: Gauge<'journey' | 'target' | 'step'>;
  private readonly certExpiry: Gauge<'target' | 'origin'>;
  private readonly dependencyLatency: Gauge<'target' | 'dependency'>;
  private readonly dependencyDegraded: Gauge<'target' | 'dependency'>;
  private readonly serviceDegraded: Gauge<'target' | 'service'>;
  private readonly expectedRevision: Gauge<'target' | 'revision'>;
  private readonly expectedDeadline: Gauge<'target'>;
  private readonly expectedLive: Gauge<'target'>;
  private readonly paused: Gauge<'journey' | 'target'>;
  private readonly currentExpected = new Map<string, string>();
  /** journey + target → the labels of its failure_info series, while it fails. */
  private readonly currentFailure = new Map<string, { step: string; reason: string }>();
  private readonly currentInfo = new Map<string, { version: string; revision: string }>();

  constructor(setup: MetricsSetup) {
    const registers = [setup.registry];
    this.runs = new Counter({ name: 'synthetic_journey_runs_total', help: 'Journey runs by outcome and trigger.', labelNames: ['journey', 'target', 'outcome', 'trigger'], registers, enableExemplars: true });
    this.success = new Gauge({ name: 'synthetic_journey_success', help: 'Whether the last run of the journey passed (1) or failed (0); a monitor error leaves it as it was.', labelNames: ['journey', 'target'], registers });
    this.duration = new Histogram({ name: 'synthetic_journey_duration_seconds', help: 'Duration of journey runs.', labelNames: ['journey', 'target'], buckets: [...setup.buckets.journey], registers, enableExemplars: true });
    this.lastRun = new Gauge({ name: 'synthetic_journey_last_run_timestamp_seconds', help: 'When the last run of the journey finished.', labelNames: ['journey', 'target'], registers });
    this.lastSuccess = new Gauge({ name: 'synthetic_journey_last_success_timestamp_seconds', help: 'When the last passing run of the journey finished.', labelNames: ['journey', 'target'], registers });
    this.stepDuration = new Histogram({ name: 'synthetic_step_duration_seconds', help: 'Duration of passed journey steps, measured where the user is.', labelNames: ['journey', 'target', 'step'], buckets: [...setup.buckets.step], registers, enableExemplars: true });
    this.stepSuccess = new Gauge({ name: 'synthetic_step_success', help: 'Whether the step passed (1) or failed or was skipped (0) in the last run.', labelNames: ['journey', 'target', 'step'], registers });
    this.stepFailures = new Counter({ name: 'synthetic_step_failures_total', help: 'Failures by the one step that broke and why.', labelNames: ['journey', 'target', 'step', 'reason'], registers, enableExemplars: true });
    this.eventLatency = new Histogram({ name: 'synthetic_event_latency_seconds', help: 'Time from sending the request to the first arrival of each critical event.', labelNames: ['journey', 'target', 'event'], buckets: [...setup.buckets.event], registers, enableExemplars: true });
    this.maxGap = new Gauge({ name: 'synthetic_stream_max_gap_seconds', help: 'Longest silence between two frames of the event stream in the last run.', labelNames: ['journey', 'target'], registers });
    this.targetInfo = new Gauge({ name: 'synthetic_target_info', help: 'What the target reports as deployed (api /api/system/info).', labelNames: ['target', 'version', 'revision'], registers });
    this.skipped = new Counter({ name: 'synthetic_scheduler_skipped_runs_total', help: 'Scheduler ticks not run: overlap (the last run still ran) or missed (the monitor was stalled past the tick).', labelNames: ['journey', 'reason'], registers });
    this.notStored = new Counter({ name: 'synthetic_monitor_runs_not_stored_total', help: 'Finished runs the run history could not store (retried until given up); each is logged with its run id.', registers });
    // Beyond design.md's table: what "failed on its last N runs" and the SLO alerts need (README, Decisions).
    this.consecutiveFailures = new Gauge({ name: 'synthetic_journey_consecutive_failures', help: 'Failed runs in a row; a pass resets it, a monitor error neither counts nor resets.', labelNames: ['journey', 'target'], registers });
    this.failureInfo = new Gauge({ name: 'synthetic_journey_failure_info', help: 'The step and reason of the last failure, 1 while the journey is failing; gone once a run passes.', labelNames: ['journey', 'target', 'step', 'reason'], registers });
    this.pageAfter = new Gauge({ name: 'synthetic_journey_page_after_failures', help: 'Configured: failed runs in a row before the golden path is down (pages).', labelNames: ['journey', 'target'], registers });
    this.interval = new Gauge({ name: 'synthetic_journey_interval_seconds', help: 'Configured: the longest gap expected between two finished runs: the schedule\'s interval, or the timeout when longer.', labelNames: ['journey', 'target'], registers });
    this.stepSlo = new Gauge({ name: 'synthetic_step_slo_seconds', help: 'Configured: the latency objective of the step.', labelNames: ['journey', 'target', 'step'], registers });
    // The platform's infrastructure, as platform-health reads it (issue 12): target-level facts, labelled by bounded names only.
    // The expiry follows blackbox_exporter's probe_ssl_earliest_cert_expiry: a timestamp, so alerts compute the time left.
    this.certExpiry = new Gauge({ name: 'synthetic_tls_cert_expiry_timestamp_seconds', help: 'When the TLS certificate an origin (app, auth, api, ws) of the target presents stops being valid.', labelNames: ['target', 'origin'], registers });
    this.dependencyLatency = new Gauge({ name: 'synthetic_dependency_latency_seconds', help: 'The latency the backend reports for its dependency (postgres, redis, clickhouse…) in its health checks, last run.', labelNames: ['target', 'dependency'], registers });
    this.dependencyDegraded = new Gauge({ name: 'synthetic_dependency_degraded', help: 'Whether the backend reports its dependency as other than healthy (1) or healthy (0), last run.', labelNames: ['target', 'dependency'], registers });
    this.serviceDegraded = new Gauge({ name: 'synthetic_service_degraded', help: 'Whether the service (auth, api) answers /health as degraded: up, but flagged (1), or healthy (0), last run.', labelNames: ['target', 'service'], registers });
    // What CI deployed (POST /api/targets/:name/expected-revision): GoldenPathDeployNotEffective pages when it is not live by its deadline.
    this.expectedRevision = new Gauge({ name: 'synthetic_target_expected_revision_info', help: 'The revision CI last said it deployed to the target (1; one series per target).', labelNames: ['target', 'revision'], registers });
    this.expectedDeadline = new Gauge({ name: 'synthetic_target_expected_revision_deadline_timestamp_seconds', help: 'By when the expected revision must be reported by the target.', labelNames: ['target'], registers });
    this.expectedLive = new Gauge({ name: 'synthetic_target_expected_revision_live', help: 'Whether a run has read the expected revision at the target (1) or not yet (0).', labelNames: ['target'], registers });
    // Planned work (the console's pause): every alert rule ends `unless on (journey, target) synthetic_journey_paused == 1`.
    this.paused = new Gauge({ name: 'synthetic_journey_paused', help: 'Whether the journey is paused against the target (1: no scheduled runs, no pages) or not (0).', labelNames: ['journey', 'target'], registers });
    new Gauge({ name: 'synthetic_monitor_build_info', help: 'The monitor build.', labelNames: ['version', 'playwright'], registers }).set({ version: setup.version, playwright: setup.playwrightVersion }, 1);
    // One series, set once from config: two URLs (validated: no credentials), so bounded and static. Alert annotations read
    // it with Prometheus's template `query` (an absolute link to the run, the journey and the runbook); absent, they say how to set it.
    const links = new Gauge({ name: 'synthetic_monitor_links_info', help: 'Where people reach this monitor: its console (server.externalUrl) and its runbook (server.runbookUrl); present only when one is set.', labelNames: ['console_url', 'runbook_url'], registers });
    if (setup.links?.consoleUrl !== undefined || setup.links?.runbookUrl !== undefined) links.set({ console_url: setup.links.consoleUrl ?? '', runbook_url: setup.links.runbookUrl ?? '' }, 1);
  }

  /** Known series start at 0, so rate() and absent() work from the first scrape. */
  initialise(series: readonly KnownSeries[]): void {
    for (const { journey, target, steps, alerting } of series) {
      this.consecutiveFailures.set({ journey, target }, 0);
      this.paused.set({ journey, target }, 0);
      if (alerting !== undefined) {
        this.pageAfter.set({ journey, target }, alerting.pageAfterFailures);
        this.interval.set({ journey, target }, alerting.intervalSeconds);
        for (const [step, ms] of Object.entries(alerting.sloMs)) this.stepSlo.set({ journey, target, step }, ms / 1000);
      }
      // Histograms too, so the first observation after a start shows in rate() (journey is the monitor's pseudo-step, never timed).
      this.duration.zero({ journey, target });
      for (const step of steps) if (step !== 'journey') this.stepDuration.zero({ journey, target, step });
      if (steps.includes('live_events')) for (const event of CRITICAL_EVENTS) this.eventLatency.zero({ journey, target, event });
      // Exemplar-enabled metrics take one argument object; the two-argument form would count an unlabelled series.
      for (const outcome of OUTCOMES) for (const trigger of TRIGGERS) this.runs.inc({ labels: { journey, target, outcome, trigger }, value: 0 });
      for (const step of steps) for (const reason of FAILURE_REASONS) this.stepFailures.inc({ labels: { journey, target, step, reason }, value: 0 });
      for (const reason of SKIP_REASONS) this.skipped.inc({ journey, reason }, 0);
    }
  }

  /** After a restart: the last run, the last success and the current failure streak, from the run history (so staleness survives a restart). */
  restore(standing: JourneyStanding): void {
    const base = { journey: standing.journey, target: standing.target };
    if (standing.lastRunAt !== undefined) this.lastRun.set(base, Date.parse(standing.lastRunAt) / 1000);
    if (standing.lastSuccessAt !== undefined) this.lastSuccess.set(base, Date.parse(standing.lastSuccessAt) / 1000);
    this.consecutiveFailures.set(base, standing.consecutiveFailures);
    this.setFailure(base, standing.consecutiveFailures > 0 ? standing.lastFailure : undefined);
    // The last verdict on the target: failing while the streak runs, passed if it ever passed since.
    if (standing.consecutiveFailures > 0) this.success.set(base, 0);
    else if (standing.lastSuccessAt !== undefined) this.success.set(base, 1);
  }

  /** A journey paused (1) or resumed (0) against a target. */
  setPaused(journey: string, target: string, paused: boolean): void {
    this.paused.set({ journey, target }, paused ? 1 : 0);
  }

  /** A scheduler tick that did not run, and why (design.md: `overlap`, `missed`). */
  recordSkip(journey: string, reason: SkipReason): void {
    this.skipped.inc({ journey, reason });
  }

  /** A run the history could not store (it is in the metrics and the log, with its id, but not in the history). */
  recordNotStored(): void {
    this.notStored.inc();
  }

  recordRun(record: RunRecord): void {
    const base = { journey: record.journey, target: record.target };
    const id = record.id;
    const finished = Date.parse(record.finishedAt) / 1000;
    this.runs.inc({ labels: { ...base, outcome: record.outcome, trigger: record.trigger }, value: 1, exemplarLabels: exemplarOf(id) });
    // A run closed at start-up after a crash did not run: it neither takes time nor counts as the monitor being alive.
    if (record.marks.recovered !== true) {
      this.duration.observe({ labels: base, value: record.durationMs / 1000, exemplarLabels: exemplarOf(id) });
      this.lastRun.set(base, finished);
    }
    if (record.failure !== undefined) {
      this.stepFailures.inc({ labels: { ...base, step: record.failure.step, reason: record.failure.reason }, value: 1, exemplarLabels: exemplarOf(id) });
    }
    // A monitor error says nothing about the target: its success gauges keep their last value.
    if (record.outcome !== 'error') {
      this.success.set(base, record.outcome === 'passed' ? 1 : 0);
      for (const step of record.steps) this.stepSuccess.set({ ...base, step: step.name }, step.status === 'passed' ? 1 : 0);
    }
    if (record.outcome === 'passed') {
      this.lastSuccess.set(base, finished);
      this.consecutiveFailures.set(base, 0);
      this.setFailure(base, undefined);
    } else if (record.outcome === 'failed') {
      this.consecutiveFailures.inc(base);
      this.setFailure(base, record.failure);
    }
    for (const step of record.steps) {
      if (step.status === 'passed' && step.durationMs !== undefined) this.stepDuration.observe({ labels: { ...base, step: step.name }, value: step.durationMs / 1000, exemplarLabels: exemplarOf(id) });
    }
    for (const event of record.events) {
      if ((CRITICAL_EVENTS as readonly string[]).includes(event.type)) this.eventLatency.observe({ labels: { ...base, event: event.type }, value: event.atMs / 1000, exemplarLabels: exemplarOf(id) });
    }
    const gap = record.marks.maxGapMs;
    if (gap !== undefined && record.outcome !== 'error') this.maxGap.set(base, gap / 1000);
    const { version, revision } = record.targetInfo;
    if (revision !== null) this.setTargetInfo(record.target, version ?? 'unknown', revision);
    this.recordInfrastructure(record);
  }

  /** What platform-health read of the target's infrastructure: set from its marks, whatever the run's outcome (a certificate's expiry is a fact of a failed run too). */
  private recordInfrastructure(record: RunRecord): void {
    const target = record.target;
    for (const cert of record.marks.tlsCertificates ?? []) this.certExpiry.set({ target, origin: cert.origin }, Date.parse(cert.notAfter) / 1000);
    for (const dependency of record.marks.dependencies ?? []) {
      if (dependency.latencyMs !== null) this.dependencyLatency.set({ target, dependency: dependency.name }, dependency.latencyMs / 1000);
      this.dependencyDegraded.set({ target, dependency: dependency.name }, isHealthyStatus(dependency.status) ? 0 : 1);
    }
    for (const service of record.marks.services ?? []) {
      if (isHealthyStatus(service.status) || service.status === 'degraded') this.serviceDegraded.set({ target, service: service.service }, service.status === 'degraded' ? 1 : 0);
    }
  }


  /** What CI deployed to a target and whether it is live: one expected-revision series per target, the last deploy's. */
  setExpectedRevision(expectation: { target: string; revision: string; deadline: string; liveAt?: string }): void {
    const { target, revision } = expectation;
    const previous = this.currentExpected.get(target);
    if (previous !== undefined && previous !== revision) this.expectedRevision.remove({ target, revision: previous });
    this.expectedRevision.set({ target, revision }, 1);
    this.currentExpected.set(target, revision);
    this.expectedDeadline.set({ target }, Date.parse(expectation.deadline) / 1000);
    this.expectedLive.set({ target }, expectation.liveAt === undefined ? 0 : 1);
  }

  /** One failure_info series per journey and target at most: the current failure, or none. */
  private setFailure(base: { journey: string; target: string }, failure: { step: string; reason: string } | undefined): void {
    const key = `${base.journey}\u0000${base.target}`;
    const current = this.currentFailure.get(key);
    if (current !== undefined && (current.step !== failure?.step || current.reason !== failure.reason)) this.failureInfo.remove({ ...base, step: current.step, reason: current.reason });
    if (failure === undefined) {
      this.currentFailure.delete(key);
      return;
    }
    this.failureInfo.set({ ...base, step: failure.step, reason: failure.reason }, 1);
    this.currentFailure.set(key, { step: failure.step, reason: failure.reason });
  }

  /** A new revision is a new series; the old one goes, so exactly one is 1 per target. */
  private setTargetInfo(target: string, version: string, revision: string): void {
    const current = this.currentInfo.get(target);
    if (current?.version === version && current.revision === revision) return;
    if (current !== undefined) this.targetInfo.remove({ target, ...current });
    this.targetInfo.set({ target, version, revision }, 1);
    this.currentInfo.set(target, { version, revision });
  }
}

/** The writes of prom-client's metric types: each one can change what a metric renders. */
const WRITES = ['inc', 'dec', 'set', 'observe', 'zero', 'remove', 'reset'] as const;

type Rendered = { readonly version: number; readonly text: string };

/** A rendered /metrics body: its content type, its text, and that text as UTF-8 bytes. */
export interface Exposition {
  readonly contentType: string;
  readonly body: string;
  readonly bytes: Buffer;
}

/**
 * Renders the registry as Prometheus text, or as OpenMetrics (with exemplars)
 * when the scrape asks for it, byte for byte as prom-client's
 * `Registry.metrics()` does, but re-rendering only the metric families written
 * since the last scrape: each family's text is kept per format, with the
 * count of writes it was rendered at. The journey series are many (20
 * journeys × 5 steps × 2 targets is over 11,000: every failure reason starts
 * at 0) and change only when a run ends, a tick is skipped, or an operator
 * acts, so most of a scrape is text already rendered (`npm run bench`,
 * section 5, measures it).
 *
 * Writes are counted by wrapping each metric's write methods (inc, dec, set,
 * observe, zero, remove, reset) the first time a render sees it: prom-client
 * has no change hook, and every write goes through one of them. A metric is
 * rendered in full the first time. prom-client renames counters in place while
 * rendering OpenMetrics, so renders are serialised and the names restored.
 */
export class MetricsRenderer {
  private queue: Promise<unknown> = Promise.resolve();
  /** Writes per metric since it was first seen. */
  private readonly versions = new WeakMap<object, number>();
  /** A metric's text by format, and the write count it was rendered at. */
  private readonly rendered = new WeakMap<object, { text?: Rendered; openMetrics?: Rendered }>();
  /** The last scrape's body per format, sent again as it is while nothing was written (no join, no UTF-8 encoding). */
  private readonly lastBody: { text?: Exposition; openMetrics?: Exposition } = {};
  /** How many metrics the registry held at the last scrape per format (one registered since is a change). */
  private readonly lastCount: { text?: number; openMetrics?: number } = {};

  constructor(private readonly registry: MetricsSetup['registry']) {}

  /** The exposition now: its content type, its text, and the text as UTF-8 bytes (what /metrics sends). */
  render(openMetrics: boolean): Promise<Exposition> {
    const next = this.queue.then(() => this.renderNow(openMetrics));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Counts the metric's writes from now on (once per metric). */
  private watch(metric: object): void {
    if (this.versions.has(metric)) return;
    this.versions.set(metric, 0);
    const methods = metric as Record<string, unknown>;
    for (const name of WRITES) {
      const original = methods[name];
      if (typeof original !== 'function') continue;
      methods[name] = (...args: unknown[]): unknown => {
        this.versions.set(metric, (this.versions.get(metric) ?? 0) + 1);
        return (original as (...a: unknown[]) => unknown).apply(metric, args);
      };
    }
  }

  private async renderNow(openMetrics: boolean): Promise<Exposition> {
    const metrics = this.registry.getMetricsAsArray() as unknown as ({ name: string; type: string } & object)[];
    const names = metrics.map((metric) => metric.name);
    const type = openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE;
    const switchable = this.registry as unknown as { setContentType(type: string): void; getMetricsAsString(metric: object): Promise<string> };
    const format = openMetrics ? 'openMetrics' : 'text';
    switchable.setContentType(type);
    try {
      const parts: string[] = [];
      let written = metrics.length !== this.lastCount[format];
      this.lastCount[format] = metrics.length;
      for (const metric of metrics) {
        this.watch(metric);
        const version = this.versions.get(metric) ?? 0;
        const kept = this.rendered.get(metric) ?? {};
        const cached = kept[format];
        if (cached?.version === version) {
          parts.push(cached.text);
          continue;
        }
        // As Registry.metrics(): an OpenMetrics counter is named without _total (its samples get it back).
        if (openMetrics && metric.type === 'counter') metric.name = metric.name.replace(/_total$/, '');
        const text = await switchable.getMetricsAsString(metric);
        kept[format] = { version, text };
        this.rendered.set(metric, kept);
        parts.push(text);
        written = true;
      }
      const last = this.lastBody[format];
      if (!written && last !== undefined) return last;
      const body = openMetrics ? `${parts.join('\n')}\n# EOF\n` : `${parts.join('\n\n')}\n`;
      const exposition = { contentType: type, body, bytes: Buffer.from(body, 'utf8') };
      this.lastBody[format] = exposition;
      return exposition;
    } finally {
      metrics.forEach((metric, i) => {
        metric.name = names[i] ?? metric.name;
      });
      switchable.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    }
  }
}

/** Whether an Accept header asks for OpenMetrics. */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return /application\/openmetrics-text/i.test(accept ?? '');
}

import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ConfiguredTarget, MonitorConfig } from '../config/resolve.js';
import { startSimulator, type Simulator } from '../simulator/simulator.js';
import { withDefaults } from '../model/target.js';
import { RunStore } from '../store/run-store.js';
import { MetricsRenderer, MonitorMetrics, createMetricsRegistry } from '../metrics/monitor-metrics.js';
import { Executor } from '../run/executor.js';
import { SharedBrowser } from '../run/shared-browser.js';
import { RunService, type RunSink } from './run-service.js';
import { Scheduler, type ScheduledRun } from '../schedule/scheduler.js';
import { createHttpApp } from '../http/server.js';
import type { RunRecord } from '../model/run-record.js';

export interface DaemonOptions {
  readonly config: MonitorConfig;
  readonly projectRoot: string;
  readonly logger: Logger;
  readonly version: string;
  readonly playwrightVersion: string;
  /** The API token; generated when absent (the caller shows it once). */
  readonly token?: string;
  readonly host?: string;
  readonly port?: number;
  readonly cwd?: string;
}

export interface Daemon {
  readonly url: string;
  readonly token: string;
  readonly tokenGenerated: boolean;
  readonly simulator: Simulator | undefined;
  readonly targets: readonly ConfiguredTarget[];
  readonly runs: RunService;
  readonly stop: () => Promise<void>;
}

const PRUNE_EVERY_MS = 10 * 60 * 1000;

/**
 * `gpmon serve`: wires config → scheduler → executor → run record → metrics,
 * store and logs → HTTP. Nothing here is global: every part is built here and
 * passed to the parts that need it.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config, logger } = options;
  const cwd = options.cwd ?? process.cwd();
  const runsDir = resolve(cwd, config.runs.dir);

  let simulator: Simulator | undefined;
  let targets: readonly ConfiguredTarget[];
  if (config.targets === 'simulator') {
    simulator = await startSimulator();
    const d = simulator.description;
    targets = [{ target: withDefaults({ name: 'simulator', appUrl: d.app, authUrl: d.auth, apiUrl: d.api, wsUrl: d.ws, login: 'form', email: d.email }), secrets: { password: d.password, bypassKey: d.bypassKey } }];
    logger.info({ app: d.app }, 'no target configured: watching the embedded staging simulator');
  } else {
    targets = config.targets;
  }

  const store = RunStore.open(resolve(cwd, config.runs.database), runsDir);
  const registry = createMetricsRegistry();
  const metrics = new MonitorMetrics({ registry, buckets: config.buckets, version: options.version, playwrightVersion: options.playwrightVersion });
  const enabled = config.journeys.filter((j) => j.enabled);
  metrics.initialise(
    enabled.flatMap((j) =>
      j.targets.map((target) => ({
        journey: j.definition.name,
        target,
        steps: [...j.definition.steps, 'journey'],
        alerting: { sloMs: j.slo, pageAfterFailures: j.pageAfterFailures, intervalSeconds: j.intervalSeconds },
      })),
    ),
  );
  // Only what the config still runs: a journey or target dropped from it must not keep its series (a restored failure would page for ever).
  const watched = new Set(enabled.flatMap((j) => j.targets.map((target) => `${j.definition.name}\u0000${target}`)));
  const isWatched = (run: { journey: string; target: string }) => watched.has(`${run.journey}\u0000${run.target}`);
  for (const record of store.recoverInterrupted(new Date())) {
    logger.warn({ run: record.id, journey: record.journey }, 'a run was in flight when the monitor stopped: closed as error');
    if (isWatched(record)) metrics.recordRun(record);
  }
  for (const standing of store.standings()) if (isWatched(standing)) metrics.restore(standing);

  const needsBrowser = enabled.some((j) => j.definition.kind === 'browser');
  const sharedBrowser = needsBrowser ? new SharedBrowser() : undefined;
  const executor = new Executor({
    projectRoot: options.projectRoot,
    runsDir,
    ...(sharedBrowser !== undefined ? { sharedBrowser } : {}),
    keepWarm: config.runs.prewarm,
  });

  let lastPrune = 0;
  const sinks: RunSink[] = [
    {
      name: 'store',
      runStarted: (start) => {
        store.runStarted(start);
      },
      runFinished: (record) => {
        store.runFinished(record);
        if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
          lastPrune = Date.now();
          const removed = store.prune(config.retention, new Date());
          if (removed.length > 0) logger.info({ removed: removed.length }, 'retention: old runs removed');
        }
      },
    },
    { name: 'metrics', runFinished: (record) => { metrics.recordRun(record); } },
    { name: 'log', runFinished: (record) => { logRun(logger, record); } },
  ];
  const runs = new RunService({
    executor,
    journeys: config.journeys,
    targets,
    sinks,
    concurrency: config.runs.concurrency,
    onSinkError: (sink, error) => {
      logger.error({ sink, err: error instanceof Error ? error.message : String(error) }, 'a sink failed; the others got the run');
    },
  });

  const scheduled: ScheduledRun[] = enabled.flatMap((j) => j.targets.map((target) => ({ journey: j.definition.name, target, schedule: j.schedule })));
  const scheduler = new Scheduler(scheduled, {
    jitterMs: config.runs.jitterMs,
    start: (run) => runs.trigger({ journey: run.journey, target: run.target, trigger: 'schedule' }).kind === 'started',
    onSkip: (run) => {
      metrics.recordSkip(run.journey);
      logger.warn({ journey: run.journey, target: run.target, running: runs.running(run.journey, run.target) }, 'tick skipped: the last run still runs');
    },
  });

  const token = options.token ?? randomBytes(24).toString('base64url');
  let ready = false;
  const app = createHttpApp({
    store,
    runs,
    renderer: new MetricsRenderer(registry),
    journeys: config.journeys,
    targets: targets.map((t) => t.target.name),
    runsDir,
    token,
    ready: () => ready,
    logger,
  });
  const server: Server = createServer(app);
  const host = options.host ?? config.server.host;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.server.port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${address.port}`;

  scheduler.start();
  ready = true;
  logger.info({ url, journeys: scheduled.map((s) => `${s.journey}@${s.target} ${s.schedule}`) }, 'monitor running');
  if (config.runs.prewarm) {
    // Load each journey's first child ahead of its first tick, one at a time.
    void (async () => {
      for (const run of scheduled) {
        const journey = config.journeys.find((j) => j.definition.name === run.journey);
        const target = targets.find((t) => t.target.name === run.target);
        if (journey === undefined || target === undefined) continue;
        await executor.prepare(journey.definition, target.target, target.secrets, journey.timeoutMs).catch(() => undefined);
      }
    })();
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      ready = false;
      await scheduler.stop();
      // Runs in flight finish, or are cut at their deadline by the executor.
      await runs.drain();
      await executor.close();
      await sharedBrowser?.close();
      await new Promise<void>((resolveClose) => {
        server.close(() => {
          resolveClose();
        });
        server.closeAllConnections();
      });
      store.close();
      await simulator?.stop();
      logger.info('monitor stopped');
    })();
    return stopping;
  };
  return { url, token, tokenGenerated: options.token === undefined, simulator, targets, runs, stop };
}

function logRun(logger: Logger, record: RunRecord): void {
  const summary = {
    run: record.id,
    journey: record.journey,
    target: record.target,
    trigger: record.trigger,
    outcome: record.outcome,
    durationMs: Math.round(record.durationMs),
    ...(record.failure ? { step: record.failure.step, reason: record.failure.reason, message: record.failure.message } : {}),
  };
  if (record.outcome === 'passed') logger.info(summary, 'run passed');
  else if (record.outcome === 'failed') logger.warn(summary, 'run failed');
  else logger.error(summary, 'run errored (the monitor)');
}

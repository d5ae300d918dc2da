import { randomBytes } from 'node:crypto';
import { DeployExpectations } from './deploy-expectations.js';
import { Pauses } from './pauses.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ConfiguredTarget, MonitorConfig } from '../config/resolve.js';
import { startSimulator, type Simulator, simulatorTarget } from '../simulator/simulator.js';
import { RunStore } from '../store/run-store.js';
import { HistoryWriter } from '../store/history-writer.js';
import { MetricsRenderer, MonitorMetrics, createMetricsRegistry } from '../metrics/monitor-metrics.js';
import { Executor } from '../run/executor.js';
import { RunService, runnerSpecOf } from './run-service.js';
import { runSinks } from './run-sinks.js';
import { Scheduler, type ScheduledRun } from '../schedule/scheduler.js';
import { createHttpApp } from '../http/server.js';

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
  /** Drains: no new runs, runs in flight finish and are recorded. `now`: runs in flight are cut (recorded as interrupted). */
  readonly stop: (how?: { now?: boolean }) => Promise<void>;
}

/**
 * `gpmon serve`: wires config → scheduler → executor → run record → metrics,
 * store and logs → HTTP. Nothing here is global: every part is built here and
 * passed to the parts that need it.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  // Whatever started before a failure is stopped again: a half-started monitor must not live on.
  const undo: (() => Promise<void> | void)[] = [];
  try {
    return await start(options, undo);
  } catch (error) {
    for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => undefined);
    throw new StartupError(describeStartupError(error));
  }
}

async function start(options: DaemonOptions, undo: (() => Promise<void> | void)[]): Promise<Daemon> {
  const { config, logger } = options;
  const cwd = options.cwd ?? process.cwd();
  const runsDir = resolve(cwd, config.runs.dir);

  let simulator: Simulator | undefined;
  let targets: readonly ConfiguredTarget[];
  if (config.targets === 'simulator') {
    simulator = await startSimulator();
    undo.push(simulator.stop);
    const d = simulator.description;
    targets = [{ target: simulatorTarget(d), secrets: { password: d.password, bypassKey: d.bypassKey } }];
    logger.info({ app: d.app }, 'no target configured: watching the embedded staging simulator');
  } else {
    targets = config.targets;
  }

  const databasePath = resolve(cwd, config.runs.database);
  let store: RunStore;
  try {
    store = RunStore.open(databasePath, runsDir);
  } catch (error) {
    throw new StartupError(`${databasePath}: cannot open the run history: ${error instanceof Error ? error.message : String(error)}`);
  }
  undo.push(() => {
    store.close();
  });
  const registry = createMetricsRegistry();
  const metrics = new MonitorMetrics({ registry, buckets: config.buckets, version: options.version, playwrightVersion: options.playwrightVersion, links: { consoleUrl: config.server.externalUrl, runbookUrl: config.server.runbookUrl } });
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

  const executor = new Executor({
    projectRoot: options.projectRoot,
    runsDir,
    keepWarm: config.runs.prewarm,
    runnerRuns: config.runs.prewarm ? config.runs.runnerRuns : 1,
    runnerRssMb: config.runs.runnerRssMb,
    passEnv: config.runs.passEnv,
  });
  undo.push(() => executor.close(0));

  const history = new HistoryWriter(store, {
    onDeferred: (id, error) => {
      logger.warn({ run: id, err: errorText(error) }, 'the run history is busy: the run is kept and will be stored when it can be');
    },
    onStored: (id, attempts) => {
      logger.info({ run: id, attempts }, 'a deferred run is now in the history');
    },
    onLost: (id, error) => {
      metrics.recordNotStored();
      logger.error({ run: id, err: errorText(error) }, 'a run could not be stored in the history');
    },
  });
  // What CI deployed: each change to the metrics and the store (kept across restarts).
  const deploys = new DeployExpectations((expectation) => {
    metrics.setExpectedRevision(expectation);
    try {
      store.saveExpectation(expectation);
    } catch (error) {
      logger.warn({ target: expectation.target, err: errorText(error) }, 'the expected revision could not be kept in the history: it holds until a restart');
    }
  });
  deploys.restore(store.expectations().filter((e) => targets.some((t) => t.target.name === e.target)));
  // Paused journeys (the console's pause/resume): the gauge the alert rules honour, and the store (kept across restarts).
  const pauses = new Pauses((change) => {
    if (isWatched(change)) metrics.setPaused(change.journey, change.target, change.paused !== undefined);
    try {
      if (change.paused === undefined) store.deletePause(change.journey, change.target);
      else store.savePause(change.paused);
    } catch (error) {
      logger.warn({ journey: change.journey, target: change.target, err: errorText(error) }, 'the pause could not be kept in the history: it holds until a restart');
    }
  });
  pauses.restore(store.pauses());
  for (const pause of pauses.list()) logger.info({ journey: pause.journey, target: pause.target, since: pause.since, by: pause.by, ...(pause.reason !== undefined ? { reason: pause.reason } : {}) }, 'journey paused (kept from before the restart)');
  const sinks = runSinks({ history, store, retention: config.retention, metrics, deploys, logger });
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
    paused: (run) => pauses.get(run.journey, run.target) !== undefined,
    onSkip: (run, reason, tick) => {
      metrics.recordSkip(run.journey, reason);
      const why = reason === 'overlap' ? 'tick skipped: the last run still runs' : 'tick missed: the monitor was stalled past it';
      logger.warn({ journey: run.journey, target: run.target, reason, tick: tick.toISOString(), ...(reason === 'overlap' ? { running: runs.running(run.journey, run.target) } : {}) }, why);
    },
    logger: logger.child({ component: 'scheduler' }),
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
    deploys,
    pauses,
  });
  const server: Server = createServer(app);
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (error) {
    throw new StartupError(`cannot listen on ${host}:${port}: ${listenProblem(error)}`);
  }
  undo.push(() => new Promise<void>((resolveClose) => server.close(() => { resolveClose(); })));
  const address = server.address() as AddressInfo;
  const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${address.port}`;

  // Only once this instance owns its port: a second monitor started by mistake on the same history must not
  // close the first one's run in flight as interrupted before it fails to listen.
  for (const record of store.recoverInterrupted(new Date())) {
    logger.warn({ run: record.id, journey: record.journey }, 'a run was in flight when the monitor stopped: closed as error');
    if (isWatched(record)) metrics.recordRun(record);
  }
  for (const standing of store.standings()) if (isWatched(standing)) metrics.restore(standing);
  // From here on the history never blocks the event loop: a locked database defers writes, never stalls HTTP.
  store.neverWait();
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
        await executor.prepare(runnerSpecOf(journey, target)).catch(() => undefined);
      }
    })();
  }

  let stopping: Promise<void> | undefined;
  const stop = (how: { now?: boolean } = {}): Promise<void> => {
    // Asked again to stop now: cut the runs the first stop waits for.
    if (how.now === true) runs.abort('the monitor was stopped');
    stopping ??= (async () => {
      ready = false;
      await scheduler.stop();
      executor.stopPreparing();
      // Runs in flight finish (or are cut at their deadline by the executor, or at once when stopped now) and are recorded.
      await runs.drain();
      await executor.close();
      await new Promise<void>((resolveClose) => {
        server.close(() => {
          resolveClose();
        });
        server.closeAllConnections();
      });
      // Nothing is served any more: the last writes may wait a few seconds for a lock rather than be lost.
      store.waitForLocks(5_000);
      const lost = history.flush();
      if (lost.length > 0) logger.error({ runs: lost }, 'runs not stored in the history at shutdown');
      store.close();
      await simulator?.stop();
      logger.info('monitor stopped');
    })();
    return stopping;
  };
  return { url, token, tokenGenerated: options.token === undefined, simulator, targets, runs, stop };
}

/** The monitor could not start; the message names the one problem (the CLI prints it and exits 2). */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

function describeStartupError(error: unknown): string {
  if (error instanceof StartupError) return error.message;
  return error instanceof Error ? error.message.split('\n')[0] ?? error.name : String(error);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What a failed listen means, in an operator's words (Node's codes: EADDRINUSE and friends). */
function listenProblem(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'EADDRINUSE':
      return 'the port is in use (another gpmon, or another server)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return 'the host name does not resolve';
    case 'EADDRNOTAVAIL':
      return 'that address is not one of this machine\'s';
    case 'EACCES':
      return 'permission denied (ports under 1024 need privileges)';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

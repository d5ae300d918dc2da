import type { Logger } from 'pino';
import type { MonitorConfig } from '../config/resolve.js';
import type { MonitorMetrics } from '../metrics/monitor-metrics.js';
import type { RunRecord } from '../model/run-record.js';
import type { HistoryWriter } from '../store/history-writer.js';
import type { RunStore } from '../store/run-store.js';
import type { DeployExpectations } from './deploy-expectations.js';
import type { RunSink } from './run-service.js';

/** How often, at most, a finished run also prunes the history by the retention rules (ms). */
export const PRUNE_EVERY_MS = 10 * 60 * 1000;

/** What the daemon's sinks write to; each is the one writer of its part (design.md: one writer per sink). */
export interface RunSinkDeps {
  /** The run history's writer: a run stored as in flight at its start, and its record at its end (deferred while the database is locked). */
  readonly history: Pick<HistoryWriter, 'runStarted' | 'runFinished'>;
  /** The store the retention prune removes old runs (and their folders) from. */
  readonly store: Pick<RunStore, 'prune'>;
  readonly retention: MonitorConfig['retention'];
  readonly metrics: Pick<MonitorMetrics, 'recordRun'>;
  /** What CI deployed: each run's revision moves the expectation of its target. */
  readonly deploys: Pick<DeployExpectations, 'observe'>;
  readonly logger: Logger;
  /** Wall clock, epoch ms (default Date.now): when the last prune was, and the retention cut-off. */
  readonly now?: () => number;
}

/**
 * The daemon's sinks, in the order each run reaches them: `store` (the
 * history; every PRUNE_EVERY_MS at most, a finished run also prunes it by the
 * retention rules, in the background), `metrics`, `deploys` and `log` (one
 * line a run: info passed, warn failed, error for the monitor's own error).
 * All synchronous: none holds up the others. The prune's state lives in the
 * returned sinks (one list per daemon), never in the module.
 */
export function runSinks(deps: RunSinkDeps): RunSink[] {
  const { history, store, retention, metrics, deploys, logger } = deps;
  const now = deps.now ?? Date.now;
  let lastPrune = 0;
  const prune = () => {
    if (now() - lastPrune <= PRUNE_EVERY_MS) return;
    lastPrune = now();
    store.prune(retention, new Date(lastPrune)).then(
      (removed) => {
        if (removed.length > 0) logger.info({ removed: removed.length }, 'retention: old runs removed');
      },
      (error: unknown) => {
        // Tried again at the next run after PRUNE_EVERY_MS.
        logger.warn({ err: errorText(error) }, 'retention: could not remove old runs now');
      },
    );
  };
  return [
    {
      name: 'store',
      runStarted: (start) => {
        history.runStarted(start);
      },
      runFinished: (record) => {
        history.runFinished(record);
        prune();
      },
    },
    { name: 'metrics', runFinished: (record) => { metrics.recordRun(record); } },
    { name: 'deploys', runFinished: (record) => { deploys.observe(record); } },
    { name: 'log', runFinished: (record) => { logRun(logger, record); } },
  ];
}

/** One log line for a finished run: its id, journey, target, trigger, outcome, whole ms, and its failure's step, reason and message. */
export function logRun(logger: Logger, record: RunRecord): void {
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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

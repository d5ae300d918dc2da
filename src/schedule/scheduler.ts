import { createTask, type ScheduledTask } from 'node-cron';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ScheduledRun {
  readonly journey: string;
  readonly target: string;
  readonly schedule: string;
}

const LATE_TICK_TOLERANCE_MS = 30_000;

/** Why a tick did not run (design.md): the last run still ran, or the monitor was stalled past the tick. */
export type { SkipReason } from '../model/skip.js';
import type { SkipReason } from '../model/skip.js';

/** The part of a pino logger the scheduler uses: node-cron's own messages go here, never to stderr. */
export interface SchedulerLogger {
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
  info(object: Record<string, unknown>, message: string): void;
  debug(object: Record<string, unknown>, message: string): void;
}

export interface SchedulerDeps {
  /** Starts a run; false when one of this journey and target is still running. */
  readonly start: (run: ScheduledRun) => boolean;
  /** A tick that did not run, with why and the time it was due. */
  readonly onSkip: (run: ScheduledRun, reason: SkipReason, tick: Date) => void;
  /** Whether this journey and target is paused now (planned work): its ticks start nothing and are not skips. */
  readonly paused?: (run: ScheduledRun) => boolean;
  readonly jitterMs: number;
  readonly random?: () => number;
  readonly logger?: SchedulerLogger;
}

/**
 * One cron task per journey and target. Every tick is accounted for: it
 * runs, or it is reported skipped with a reason. A tick while that journey's
 * last run still runs is `overlap`, never queued (a slow target cannot pile
 * up runs); a tick that passed while the process was stalled (stopped,
 * swapped, a blocked event loop) is `missed`, from node-cron's
 * `execution:missed` event. Jitter spreads ticks that share a second. A
 * tick of a paused journey and target starts nothing and is no skip.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private stopped = false;

  constructor(
    private readonly runs: readonly ScheduledRun[],
    private readonly deps: SchedulerDeps,
  ) {}

  start(): void {
    for (const run of this.runs) {
      const task = createTask(
        run.schedule,
        async (context) => {
          if (this.deps.jitterMs > 0) await sleep(Math.floor((this.deps.random ?? Math.random)() * this.deps.jitterMs));
          if (this.stopped) return;
          if (this.deps.paused?.(run) === true) {
            // Paused on purpose: not an overlap nor a miss (no skip counted), and no warning every tick.
            this.deps.logger?.debug({ journey: run.journey, target: run.target, tick: context.date.toISOString() }, 'tick not run: the journey is paused');
            return;
          }
          if (!this.deps.start(run)) this.deps.onSkip(run, 'overlap', context.date);
        },
        // A tick late by less than this still runs (late); older ones of a stall are `missed`. Only the latest due tick runs.
        { name: `${run.journey}@${run.target}`, logger: cronLogger(this.deps.logger, run), missedExecutionTolerance: LATE_TICK_TOLERANCE_MS },
      );
      task.on('execution:missed', (context) => {
        if (!this.stopped && this.deps.paused?.(run) !== true) this.deps.onSkip(run, 'missed', context.date);
      });
      this.tasks.push(task);
      void task.start();
    }
  }

  /** Stops ticking; runs in flight are the run service's to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const task of this.tasks) await task.destroy();
    this.tasks.length = 0;
  }
}

/** node-cron's logger interface over ours: its messages become structured log lines, tagged with the task. */
function cronLogger(logger: SchedulerLogger | undefined, run: ScheduledRun) {
  const fields = (extra: unknown): Record<string, unknown> => ({
    journey: run.journey,
    target: run.target,
    source: 'node-cron',
    ...(extra instanceof Error ? { err: extra.message } : {}),
  });
  const text = (message: unknown) => (message instanceof Error ? message.message : String(message));
  return {
    info: (message: string) => { logger?.info(fields(undefined), text(message)); },
    warn: (message: string) => { logger?.warn(fields(undefined), text(message)); },
    error: (message: string | Error, error?: Error) => { logger?.error(fields(error), text(message)); },
    debug: (message: string | Error, error?: Error) => { logger?.debug(fields(error), text(message)); },
  };
}

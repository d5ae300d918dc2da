import { createTask, type ScheduledTask } from 'node-cron';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ScheduledRun {
  readonly journey: string;
  readonly target: string;
  readonly schedule: string;
}

export interface SchedulerDeps {
  /** Starts a run; false when one of this journey and target is still running. */
  readonly start: (run: ScheduledRun) => boolean;
  readonly onSkip: (run: ScheduledRun) => void;
  readonly jitterMs: number;
  readonly random?: () => number;
}

/**
 * One cron task per journey and target. A tick while that journey's last run
 * still runs is skipped and reported, never queued: a slow target cannot pile
 * up runs. Jitter spreads ticks that share a second.
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
      const task = createTask(run.schedule, async () => {
        if (this.deps.jitterMs > 0) await sleep(Math.floor((this.deps.random ?? Math.random)() * this.deps.jitterMs));
        if (this.stopped) return;
        if (!this.deps.start(run)) this.deps.onSkip(run);
      }, { name: `${run.journey}@${run.target}` });
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

import { rm } from 'node:fs/promises';
import { DEFAULT_RUNNER_RUNS } from '../model/runner.js';
import { raceTimeout } from '../time/race-timeout.js';
import { runnerKey, spawnRunner, waitingOrGone, type Runner, type RunnerChildOptions, type RunnerSpec } from './runner.js';

export type { Runner, RunnerSpec } from './runner.js';

/** How the pool starts its runners' children (RunnerChildOptions), and how long it keeps them. */
export interface RunnerPoolOptions extends RunnerChildOptions {
  /**
   * Load the next child for a journey and target ahead: `true` once a run ends
   * (its start-up never competes with a run being measured), `'overlap'` as
   * soon as a run starts (back-to-back runs, as in tests, wait less).
   */
  readonly keepWarm?: boolean | 'overlap';
  /**
   * Runs one child serves before it is replaced (config `runs.runnerRuns`): a
   * loaded child kept warm serves the next run of its journey and target
   * (a fresh browser context, fixtures and artifact folder each time). Default
   * DEFAULT_RUNNER_RUNS with `keepWarm`, else 1 (a child per run).
   */
  readonly runnerRuns?: number;
}

/**
 * One run's hold on its key's runner, from the moment it is asked for (the
 * key is busy: nothing is started ahead for it meanwhile) to `end`.
 */
export interface RunnerLease {
  /** The runner for this run: the warm one, else one spawned now. Rejects when none could be spawned (the run's record says so). */
  take(): Promise<Runner>;
  /**
   * The run is over. `reusable`: it ended cleanly and its runner may serve the
   * next run of its key (kept warm, its successor loaded ahead when it has one
   * run left); otherwise the runner is retired, and a successor loaded ahead
   * takes its place. Call once, on every way out.
   */
  end(reusable: boolean): void;
}

const EXIT_GRACE_MS = 10_000;
const CLOSE_GRACE_MS = 5_000;

/**
 * The warm runners of an executor, by key (journey, target, secrets, deadline,
 * artifact policy): loaded ahead (`prepare`, or as a run ends), handed to one
 * run at a time (`lease`), kept for the next run or retired and replaced, and
 * all stopped at `close` (docs/warm-runner.md). Knows children, never records.
 */
export class RunnerPool {
  private readonly warm = new Map<string, Runner>();
  private readonly live = new Set<Runner>();
  /** Children being started ahead, by key: a second prepare for the same key waits for the first, never starts another. */
  private readonly starting = new Map<string, Promise<void>>();
  /** Keys with a run in flight: that run's runner comes back after it, so nothing is started ahead meanwhile. */
  private readonly busy = new Set<string>();
  /**
   * The next runner for a key whose warm runner has one run left: loaded between that runner's runs (never
   * during one), so its last run hands over to a loaded runner and no tick waits for a cold start.
   */
  private readonly successors = new Map<string, Runner>();
  private closed = false;
  private preparing = true;

  constructor(private readonly options: RunnerPoolOptions) {}

  /**
   * Makes sure a child for the spec waits, loaded, for a run (a warm runner
   * that is kept, or a new one); resolves once its next test waits for the go
   * (or the child has died: the run that takes it records that, or replaces
   * it). Rejects when a child could not be spawned.
   */
  async prepare(spec: RunnerSpec): Promise<void> {
    const key = runnerKey(spec);
    const existing = this.warm.get(key);
    const started = this.starting.get(key);
    // A run in flight for this key: its runner comes back after it, or the run starts the next one.
    if (this.busy.has(key) && this.runnerRuns() > 1) return;
    if (!this.takesChildren() || existing !== undefined || started !== undefined) {
      await (existing !== undefined ? waitingOrGone(existing) : started);
      return;
    }
    // Only the spawn is awaited by others (a run then takes the child and waits for it under its own limits).
    const spawned = this.start(key, spec);
    // Waiters only need to know the spawn ended; its error goes to this prepare's caller (an unhandled second chain would crash the process).
    this.starting.set(key, spawned.then(
      () => undefined,
      () => undefined,
    ));
    let runner: Runner | undefined;
    try {
      runner = await spawned;
    } finally {
      this.starting.delete(key);
    }
    await runner?.loaded;
  }

  /** Spawns a child ahead and keeps it warm; undefined when it is not kept. */
  private async start(key: string, spec: RunnerSpec): Promise<Runner | undefined> {
    const runner = await this.spawn(key, spec);
    // Closed meanwhile, or another prepare for the same key finished first: keep one, or none.
    if (!this.takesChildren()) {
      await this.dispose(runner);
      return undefined;
    }
    if (this.warm.has(key)) {
      void this.retire(runner);
      return undefined;
    }
    this.warm.set(key, runner);
    return runner;
  }

  /** A run's hold on the runner for `spec`: its key is busy from now until the lease ends. */
  lease(request: RunnerSpec): RunnerLease {
    // Only the spec's own fields: a run request passed in keeps its signal and listener out of the children started ahead.
    const spec: RunnerSpec = { journey: request.journey, target: request.target, secrets: request.secrets, timeoutMs: request.timeoutMs, artifacts: request.artifacts };
    const key = runnerKey(spec);
    let taken: Runner | undefined;
    this.busy.add(key);
    return {
      take: async () => {
        // A child being spawned ahead for this key (a moment: a folder and a process) is this run's, never started twice.
        if (!this.warm.has(key)) await this.starting.get(key)?.catch(() => undefined);
        let runner = this.warm.get(key);
        this.warm.delete(key);
        if (runner?.child.hasExited === true) {
          // A warm runner that died while it waited (its worker crashed, it was killed): replaced, not blamed on this run.
          void this.retire(runner);
          runner = undefined;
        }
        runner ??= await this.spawn(key, spec);
        taken = runner;
        // Back-to-back runs (tests) find the next child loaded; a runner that serves many runs is its own next child.
        if (this.options.keepWarm === 'overlap' && this.runnerRuns() === 1) void this.prepare(spec).catch(() => undefined);
        return runner;
      },
      end: (reusable) => {
        this.busy.delete(key);
        if (taken !== undefined) this.giveBack(key, spec, taken, reusable);
        if (this.options.keepWarm !== undefined && this.options.keepWarm !== false && !this.closed && !this.warm.has(key)) {
          void this.prepare(spec).catch(() => undefined);
        }
      },
    };
  }

  /**
   * A runner whose run ended cleanly serves the next run of its journey and target; any other is replaced,
   * by its successor when one was loaded ahead.
   */
  private giveBack(key: string, spec: RunnerSpec, runner: Runner, reusable: boolean): void {
    if (reusable && this.takesChildren() && !this.warm.has(key)) {
      this.warm.set(key, runner);
      if (runner.runsLeft === 1) void this.prepareSuccessor(key, spec);
      return;
    }
    void this.retire(runner);
    const successor = this.successors.get(key);
    this.successors.delete(key);
    if (successor !== undefined && this.takesChildren() && !this.warm.has(key)) this.warm.set(key, successor);
    else if (successor !== undefined) void this.retire(successor);
  }

  /** Runs one child serves: DEFAULT_RUNNER_RUNS when children are kept warm, else 1. */
  private runnerRuns(): number {
    const keepWarm = this.options.keepWarm ?? false;
    return Math.max(1, this.options.runnerRuns ?? (keepWarm === false ? 1 : DEFAULT_RUNNER_RUNS));
  }

  /** Starts a runner for the key (src/run/runner.ts) and counts it as live until it is disposed of. */
  private spawn(key: string, spec: RunnerSpec): Promise<Runner> {
    return spawnRunner(key, spec, {
      options: this.options,
      runs: this.runnerRuns(),
      isClosed: () => this.isClosed(),
      started: (runner) => this.live.add(runner),
    });
  }

  /**
   * Done with a child. One that has served its last run gets a moment to exit
   * by itself (Playwright closes its browser and removes its profile); one
   * that would wait for another go is not waited for. Then it and everything
   * carrying its tag is killed, and its scratch goes.
   */
  private retire(runner: Runner, graceMs = EXIT_GRACE_MS): Promise<void> {
    runner.goServer.close();
    runner.gos.close();
    runner.gone ??= (async () => {
      if (runner.runsLeft === 0) await raceTimeout(runner.child.exited, graceMs, 'timeout' as const);
      await this.dispose(runner);
    })();
    return runner.gone;
  }

  /** Kills the child and anything it started at once, waits for them to go, removes its scratch (an interrupted run's runner). Never rejects. */
  async dispose(runner: Runner): Promise<void> {
    runner.goServer.close();
    runner.gos.close();
    try {
      await runner.child.killAndWait();
      await rm(runner.scratch, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A scratch that cannot go (a process outlived the kill and wrote to it) is left, never a crash of the monitor.
    } finally {
      this.live.delete(runner);
    }
  }

  /** Read after an await: close() may have run meanwhile. */
  private isClosed(): boolean {
    return this.closed;
  }

  /** Whether children may still be loaded ahead (read after every await: close() may have run meanwhile). */
  private takesChildren(): boolean {
    return !this.closed && this.preparing;
  }

  /** No more children loaded ahead (a draining monitor); runs still run. */
  stopPreparing(): void {
    this.preparing = false;
    for (const runner of [...this.warm.values(), ...this.successors.values()]) void this.retire(runner, 0);
    this.warm.clear();
    this.successors.clear();
  }

  /** Loads the runner that takes over from a warm runner with one run left (between its runs: now). */
  private async prepareSuccessor(key: string, spec: RunnerSpec): Promise<void> {
    if (this.successors.has(key) || !this.takesChildren()) return;
    try {
      const successor = await this.spawn(key, spec);
      if (!this.takesChildren() || this.successors.has(key)) {
        void this.retire(successor);
        return;
      }
      this.successors.set(key, successor);
    } catch {
      // None loaded ahead: the last run's end starts one, as without a successor.
    }
  }

  /**
   * Stops every child and waits for them to go: a child waiting for a run is
   * killed at once; one whose run has ended gets `graceMs` to close its
   * browser by itself. Nothing of any run is left in the temp folder after.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.closed = true;
    const all = [...this.live];
    this.warm.clear();
    this.successors.clear();
    await Promise.all(all.map((runner) => (runner.gone === undefined ? this.dispose(runner) : this.retire(runner, graceMs).then(() => this.dispose(runner)))));
  }
}

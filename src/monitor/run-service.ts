import { randomUUID } from 'node:crypto';
import type { Progress, RunExecutor, RunnerSpec } from '../run/executor.js';
import type { ConfiguredJourney, ConfiguredTarget } from '../config/resolve.js';
import type { Failure } from '../model/reasons.js';
import type { Outcome, RunInputs, RunRecord, RunStart, StepRecord, Trigger } from '../model/run-record.js';

/**
 * Where a run goes when it starts and when it ends: the store, the metrics,
 * the log (src/monitor/run-sinks.ts); at the terminal, the CLI's history,
 * summary and push. Sinks are called in their order; one that returns a
 * promise is waited for before the next (the daemon's never do: a sink there
 * must not hold up the others). A sink that throws or rejects is reported
 * and isolated: the others still get the run.
 */
export interface RunSink {
  /** Names the sink in the report of its failure. */
  readonly name: string;
  /** The run is about to start (it may still wait for a free slot); the executor starts it once every sink has this. */
  runStarted?(start: RunStart): void | Promise<void>;
  /** The run's record; the run is over (its `done` settles, watchers hear `finished`) once every sink has it. */
  runFinished(record: RunRecord): void | Promise<void>;
}

/** Hears a failure the run service isolated: a sink's (by its name), a watcher's (`watcher`), or a run's without a record (`run`). */
export interface SinkErrorReporter {
  (sink: string, error: unknown): void;
}

export type TriggerResult =
  | { readonly kind: 'started'; readonly id: string; readonly done: Promise<RunRecord> }
  | { readonly kind: 'busy'; readonly runningId: string }
  | { readonly kind: 'unknown-journey' }
  | { readonly kind: 'unknown-target' }
  | { readonly kind: 'stopping' };

/** A run asked for: a journey and a target by name (the service's own), how it was asked for, and the inputs when not the journey's. */
export interface TriggerRequest {
  readonly journey: string;
  readonly target: string;
  readonly trigger: Trigger;
  readonly inputs?: RunInputs;
  readonly replayOf?: string;
}

/**
 * What a run does as it goes, for whoever follows it live (the console's live
 * page): each step as it begins (`at`: epoch ms, when the monitor heard of
 * it) and ends (its failure, redacted by the executor), then `finished` once
 * every sink has the record (so the store holds it by then).
 */
export type RunProgressEvent =
  | { readonly type: 'step_begin'; readonly step: string; readonly at: number }
  | { readonly type: 'step_end'; readonly step: StepRecord; readonly failure?: Failure }
  | { readonly type: 'finished'; readonly outcome: Outcome };

/** A run in flight as its watchers see it: what it is and what it has done so far. */
export interface LiveRun {
  readonly id: string;
  readonly journey: string;
  readonly target: string;
  readonly trigger: Trigger;
  readonly replayOf?: string;
  /** The journey's steps, in order. */
  readonly steps: readonly string[];
  readonly events: readonly RunProgressEvent[];
}

interface Watched {
  readonly run: LiveRun;
  readonly events: RunProgressEvent[];
  readonly listeners: Set<(event: RunProgressEvent) => void>;
}

/**
 * Starts runs (from the scheduler, the API or a replay) with one run of a
 * journey and target at a time and a global cap on concurrent runs, then
 * hands the record to every sink. A sink that throws is reported and isolated:
 * the others still get the run.
 */
export class RunService {
  private readonly inFlight = new Map<string, { id: string; done: Promise<RunRecord> }>();
  /** Runs in flight by id, with what they did so far and who follows them. */
  private readonly watched = new Map<string, Watched>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Aborted to cut every run in flight at once (a forced stop). */
  private readonly cut = new AbortController();
  /** Set by drain(): no new run starts, from the scheduler or the API. */
  private stopping = false;

  constructor(
    private readonly deps: {
      /** Runs each run; the Executor, or a stand-in that returns records (tests of what comes after the executor). */
      readonly executor: RunExecutor;
      readonly journeys: readonly ConfiguredJourney[];
      readonly targets: readonly ConfiguredTarget[];
      readonly sinks: readonly RunSink[];
      readonly concurrency: number;
      readonly onSinkError: SinkErrorReporter;
    },
  ) {}

  /** The id of the run of this journey and target in flight, if any. */
  running(journey: string, target: string): string | undefined {
    return this.inFlight.get(`${journey}\u0000${target}`)?.id;
  }

  journey(name: string): ConfiguredJourney | undefined {
    return this.deps.journeys.find((j) => j.definition.name === name);
  }

  trigger(request: TriggerRequest): TriggerResult {
    if (this.stopping) return { kind: 'stopping' };
    const journey = this.journey(request.journey);
    if (journey === undefined) return { kind: 'unknown-journey' };
    const target = this.deps.targets.find((t) => t.target.name === request.target);
    if (target === undefined) return { kind: 'unknown-target' };
    const key = `${request.journey}\u0000${request.target}`;
    const current = this.inFlight.get(key);
    if (current !== undefined) return { kind: 'busy', runningId: current.id };
    const id = randomUUID();
    const inputs = request.inputs ?? journey.inputs;
    const events: RunProgressEvent[] = [];
    const run: LiveRun = {
      id,
      journey: request.journey,
      target: request.target,
      trigger: request.trigger,
      ...(request.replayOf !== undefined ? { replayOf: request.replayOf } : {}),
      steps: journey.definition.steps,
      events,
    };
    this.watched.set(id, { run, events, listeners: new Set() });
    const done = this.execute(id, journey, target, request, inputs).finally(() => {
      this.inFlight.delete(key);
      // A run that ended without a record (the executor never throws, but) still ends for its watchers.
      this.notify(id, { type: 'finished', outcome: 'error' });
    });
    // The scheduler starts runs and moves on; a rejection (the executor never throws, but) must not take the process down.
    done.catch((error: unknown) => {
      this.deps.onSinkError('run', error);
    });
    this.inFlight.set(key, { id, done });
    return { kind: 'started', id, done };
  }

  private async execute(id: string, journey: ConfiguredJourney, target: ConfiguredTarget, request: TriggerRequest, inputs: RunInputs): Promise<RunRecord> {
    await this.each((sink) =>
      sink.runStarted?.({
        id,
        journey: journey.definition.name,
        target: target.target.name,
        trigger: request.trigger,
        ...(request.replayOf !== undefined ? { replayOf: request.replayOf } : {}),
        startedAt: new Date().toISOString(),
        inputs,
        steps: journey.definition.steps,
      }),
    );
    await this.acquire();
    let record: RunRecord;
    try {
      // The whole request from the journey as the config resolved it: the executor adds nothing to it.
      record = await this.deps.executor.run({
        ...runnerSpecOf(journey, target),
        id,
        trigger: request.trigger,
        ...(request.replayOf !== undefined ? { replayOf: request.replayOf } : {}),
        inputs,
        stepTimeoutMs: journey.stepTimeoutMs,
        signal: this.cut.signal,
        onProgress: (progress) => {
          this.progressed(id, progress);
        },
      });
    } finally {
      this.release();
    }
    await this.each((sink) => sink.runFinished(record));
    this.notify(id, { type: 'finished', outcome: record.outcome });
    return record;
  }

  /** The run in flight with this id (waiting for a slot or running), with what it has done so far; undefined once it has finished. */
  progress(id: string): LiveRun | undefined {
    const watched = this.watched.get(id);
    return watched === undefined ? undefined : { ...watched.run, events: [...watched.events] };
  }

  /**
   * Follows the run in flight with this id: `listener` first gets what already
   * happened (a watcher that comes late misses nothing), then each event as it
   * comes, ending with `finished`. Returns the function that stops following,
   * or undefined when no run with this id is in flight (it finished: read the
   * store). A listener that throws is reported and dropped.
   */
  watch(id: string, listener: (event: RunProgressEvent) => void): (() => void) | undefined {
    const watched = this.watched.get(id);
    if (watched === undefined) return undefined;
    for (const event of watched.events) this.deliver(watched, listener, event);
    watched.listeners.add(listener);
    return () => {
      watched.listeners.delete(listener);
    };
  }

  /** How many watchers follow the run in flight with this id (0 when none, or when it is not in flight). */
  watcherCount(id: string): number {
    return this.watched.get(id)?.listeners.size ?? 0;
  }

  private progressed(id: string, progress: Progress): void {
    if (progress.type === 'step_begin') this.notify(id, { type: 'step_begin', step: progress.step, at: Date.now() });
    else if (progress.type === 'step_end') this.notify(id, { type: 'step_end', step: progress.step, ...(progress.failure !== undefined ? { failure: progress.failure } : {}) });
  }

  /** Keeps the event for late watchers and hands it to every watcher; `finished` ends the run's watching (once). */
  private notify(id: string, event: RunProgressEvent): void {
    const watched = this.watched.get(id);
    if (watched === undefined) return;
    watched.events.push(event);
    if (event.type === 'finished') this.watched.delete(id);
    for (const listener of [...watched.listeners]) this.deliver(watched, listener, event);
    if (event.type === 'finished') watched.listeners.clear();
  }

  private deliver(watched: Watched, listener: (event: RunProgressEvent) => void, event: RunProgressEvent): void {
    try {
      listener(event);
    } catch (error) {
      watched.listeners.delete(listener);
      this.deps.onSinkError('watcher', error);
    }
  }

  /** Calls every sink in order, each isolated; waits only for a sink that returns a promise, so synchronous sinks (the daemon's) are all called in the same turn. */
  private async each(call: (sink: RunSink) => void | Promise<void>): Promise<void> {
    for (const sink of this.deps.sinks) {
      try {
        const result = call(sink);
        if (result instanceof Promise) await result;
      } catch (error) {
        this.deps.onSinkError(sink.name, error);
      }
    }
  }

  private async acquire(): Promise<void> {
    if (this.active < this.deps.concurrency) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }

  /** Cuts every run in flight now (each is recorded as interrupted, with the reason) and every later one. */
  abort(reason: string): void {
    this.cut.abort(reason);
  }

  /** Takes no new run from now on, and waits for every run in flight (one started meanwhile too). */
  async drain(): Promise<void> {
    this.stopping = true;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()].map((run) => run.done));
  }
}

/**
 * The runner part of a run of `journey` against `target` (RunnerSpec): the
 * same for every run of the pair, so loading a runner ahead with it
 * (Executor.prepare) loads the one the next run takes.
 */
export function runnerSpecOf(journey: ConfiguredJourney, target: ConfiguredTarget): RunnerSpec {
  return { journey: journey.definition, target: target.target, secrets: target.secrets, timeoutMs: journey.timeoutMs, artifacts: journey.artifacts };
}

import { randomUUID } from 'node:crypto';
import type { Executor } from '../run/executor.js';
import type { ConfiguredJourney, ConfiguredTarget } from '../config/resolve.js';
import type { RunInputs, RunRecord, RunStart, Trigger } from '../model/run-record.js';

/** Where a run goes when it starts and when it ends: the store, the metrics, the log. */
export interface RunSink {
  readonly name: string;
  runStarted?(start: RunStart): void;
  runFinished(record: RunRecord): void;
}

export interface SinkErrorReporter {
  (sink: string, error: unknown): void;
}

export type TriggerResult =
  | { readonly kind: 'started'; readonly id: string; readonly done: Promise<RunRecord> }
  | { readonly kind: 'busy'; readonly runningId: string }
  | { readonly kind: 'unknown-journey' }
  | { readonly kind: 'unknown-target' }
  | { readonly kind: 'stopping' };

export interface TriggerRequest {
  readonly journey: string;
  readonly target: string;
  readonly trigger: Trigger;
  readonly inputs?: RunInputs;
  readonly replayOf?: string;
}

/**
 * Starts runs (from the scheduler, the API or a replay) with one run of a
 * journey and target at a time and a global cap on concurrent runs, then
 * hands the record to every sink. A sink that throws is reported and isolated:
 * the others still get the run.
 */
export class RunService {
  private readonly inFlight = new Map<string, { id: string; done: Promise<RunRecord> }>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Aborted to cut every run in flight at once (a forced stop). */
  private readonly cut = new AbortController();
  /** Set by drain(): no new run starts, from the scheduler or the API. */
  private stopping = false;

  constructor(
    private readonly deps: {
      readonly executor: Executor;
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
    const done = this.execute(id, journey, target, request, inputs).finally(() => {
      this.inFlight.delete(key);
    });
    // The scheduler starts runs and moves on; a rejection (the executor never throws, but) must not take the process down.
    done.catch((error: unknown) => {
      this.deps.onSinkError('run', error);
    });
    this.inFlight.set(key, { id, done });
    return { kind: 'started', id, done };
  }

  private async execute(id: string, journey: ConfiguredJourney, target: ConfiguredTarget, request: TriggerRequest, inputs: RunInputs): Promise<RunRecord> {
    this.each((sink) =>
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
      record = await this.deps.executor.run({
        id,
        journey: journey.definition,
        target: target.target,
        secrets: target.secrets,
        trigger: request.trigger,
        ...(request.replayOf !== undefined ? { replayOf: request.replayOf } : {}),
        inputs,
        timeoutMs: journey.timeoutMs,
        stepTimeoutMs: journey.stepTimeoutMs,
        signal: this.cut.signal,
      });
    } finally {
      this.release();
    }
    this.each((sink) => {
      sink.runFinished(record);
    });
    return record;
  }

  private each(call: (sink: RunSink) => void): void {
    for (const sink of this.deps.sinks) {
      try {
        call(sink);
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

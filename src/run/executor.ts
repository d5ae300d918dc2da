import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { ChildEvent, GoMessage } from '../protocol/child.js';
import type { Failure } from '../model/reasons.js';
import type { ArtifactRecord, RunInputs, RunRecord, StepRecord, Trigger } from '../model/run-record.js';
import { Redactor } from '../secrets/redactor.js';
import { DEFAULT_RUNNER_RSS_MB } from '../model/runner.js';
import { buildRecord, type MonitorFault } from './record-builder.js';
import { storeArtifacts } from './artifacts.js';
import { RunnerPool, type Runner, type RunnerPoolOptions, type RunnerSpec } from './runner-pool.js';
import { raceTimeout } from '../time/race-timeout.js';

export type { RunnerSpec } from './runner-pool.js';

/** The executor's own settings: where runs go and its limits on a child; how its runners are kept (RunnerPoolOptions). Nothing of a run: that is all in the RunRequest. */
export interface ExecutorOptions extends RunnerPoolOptions {
  /** Run folders go here, one per run id. */
  readonly runsDir: string;
  /** Time past a journey's timeout before the whole child is killed. */
  readonly graceMs?: number;
  /** How long a child may take to load before it counts as broken. */
  readonly readyTimeoutMs?: number;
  /** A runner whose process tree (browser included) holds more resident memory than this (MB) after a run is replaced (config `runs.runnerRssMb`). */
  readonly runnerRssMb?: number;
}

/**
 * One run, whole: the journey, target and secrets, its inputs, and its
 * settings (deadline, step timeout, artifact policy) as the config resolved
 * them (src/config/resolve.ts `journeyRunSettings`). The executor adds no
 * default to any of it. `timeoutMs` and `artifacts` (with journey, target and
 * secrets: RunnerSpec) choose the runner; the step timeout and the inputs
 * travel in the run's go; the trigger and replayOf go into its record.
 */
export interface RunRequest extends RunnerSpec {
  /** The run's id; a new UUID when absent. */
  readonly id?: string;
  readonly trigger: Trigger;
  readonly replayOf?: string;
  readonly inputs: RunInputs;
  /** How long one step may wait, ms (config `stepTimeoutMs`); kept inside the deadline by `stepBudget`. */
  readonly stepTimeoutMs: number;
  /** Aborting it stops the run at once (Ctrl-C): the record says interrupted, outcome `error`. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
}

export type Progress =
  | { readonly type: 'started'; readonly id: string }
  | { readonly type: 'step_begin'; readonly step: string }
  | { readonly type: 'step_end'; readonly step: StepRecord; readonly failure?: Failure };

/**
 * What runs a run: the executor, or a stand-in where none is wanted (a test
 * of what comes after it). `run` resolves with the run's record and never
 * rejects for anything the run met: a fault of the monitor is outcome `error`.
 */
export interface RunExecutor {
  run(request: RunRequest): Promise<RunRecord>;
}

const DEFAULT_GRACE_MS = 5_000;
const DEFAULT_READY_TIMEOUT_MS = 90_000;

/**
 * Runs one journey against one target as a `playwright test` child and
 * returns one run record. Never throws for a failed journey: a fault of the
 * monitor (spawn failure, cut stream, deadline kill, crash) is outcome `error`.
 * Only the executor knows about the child; its runners are kept by its
 * RunnerPool (src/run/runner-pool.ts), the run on one is assembled here.
 */
export class Executor implements RunExecutor {
  private readonly pool: RunnerPool;

  constructor(private readonly options: ExecutorOptions) {
    this.pool = new RunnerPool(options);
  }

  /**
   * Makes sure a child for the spec waits, loaded, for a run (a warm runner
   * that is kept, or a new one); resolves once its next test waits for the
   * go (or the child has died: the run that takes it records that, or
   * replaces it). A spec is a run request's runner part: the same journey,
   * target, secrets, deadline and artifact policy find this child.
   */
  prepare(spec: RunnerSpec): Promise<void> {
    return this.pool.prepare(spec);
  }

  /** No more children loaded ahead (a draining monitor); runs still run. */
  stopPreparing(): void {
    this.pool.stopPreparing();
  }

  /**
   * Stops every child and waits for them to go: a child waiting for a run is
   * killed at once; one whose run has ended gets `graceMs` to close its
   * browser by itself. Nothing of any run is left in the temp folder after.
   */
  close(graceMs?: number): Promise<void> {
    return this.pool.close(graceMs);
  }

  /** Runs `request` on its key's runner and resolves with its record; never rejects (a fault of the monitor is outcome `error`). */
  async run(request: RunRequest): Promise<RunRecord> {
    const id = request.id ?? randomUUID();
    const redactor = new Redactor([request.secrets.password, request.secrets.bypassKey]);
    const startedAt = new Date();
    let reusable = false;
    const state: RunState = { events: [], askedAt: performance.now() };
    const lease = this.pool.lease(request);
    try {
      const runner = await lease.take();
      const outcome = await this.execute(runner, state, request, id, redactor);
      reusable = outcome.reusable;
      return outcome.record;
    } catch (error) {
      // The executor's own bug or an I/O failure: still a record, never a throw.
      const finishedAt = new Date();
      const fault: MonitorFault = { reason: 'monitor_error', message: `executor failed: ${error instanceof Error ? error.message : String(error)}`, evidence: {} };
      return redactor.value(recordOf(request, id, { startedAt, finishedAt, events: state.events, fault, artifacts: [] }));
    } finally {
      lease.end(reusable);
    }
  }

  private async execute(runner: Runner, state: RunState, request: RunRequest, id: string, redactor: Redactor): Promise<{ record: RunRecord; reusable: boolean }> {
    runner.hooks.badLine = undefined;
    let testEnded: () => void = () => undefined;
    const ended = new Promise<void>((resolveEnded) => {
      testEnded = resolveEnded;
    });
    const progress = request.onProgress;
    runner.hooks.listener = (event) => {
      if (event.type === 'secret') redactor.add(event.value);
      // Only the test that took this run's go is this run: a test that ended before any go (its set-up failed) is not.
      if (runner.goFor !== id) return;
      if (event.type === 'test_end' && (event.runId === undefined || event.runId === id)) {
        state.rssBytes = runner.child.residentBytes();
        testEnded();
      }
      if (progress === undefined) return;
      if (event.type === 'step_begin') progress({ type: 'step_begin', step: event.step });
      if (event.type === 'step_end') {
        const step: StepRecord = { name: event.step, status: event.status, startedAt: event.startedAt, durationMs: event.durationMs };
        progress({ type: 'step_end', step, ...(event.failure ? { failure: redactor.value({ step: event.step, ...event.failure }) } : {}) });
      }
    };
    for (const event of runner.events) if (event.type === 'secret') redactor.add(event.value);
    // One listener per run on a signal that lives as long as the monitor: removed when the run ends.
    const stopListening = new AbortController();
    const interrupted = abortOf(request.signal, stopListening.signal);
    try {
      return await this.executeUntil(runner, state, request, id, redactor, interrupted, ended);
    } finally {
      stopListening.abort();
      runner.hooks.listener = undefined;
    }
  }

  private async executeUntil(
    runner: Runner,
    state: RunState,
    request: RunRequest,
    id: string,
    redactor: Redactor,
    interrupted: Promise<void>,
    ended: Promise<void>,
  ): Promise<{ record: RunRecord; reusable: boolean }> {
    const { child } = runner;
    const { timeoutMs } = request;
    // Only what the child printed since its last run ended is this run's evidence (a warm runner printed earlier runs' too).
    const outputMark = runner.outputFrom;
    const graceMs = this.options.graceMs ?? DEFAULT_GRACE_MS;
    const progress = request.onProgress;
    let fault: MonitorFault | undefined;

    // Loading (a cold start) has its own limit; the journey's deadline starts at the go.
    const loaded = Promise.race([runner.gos.next(), child.exited.then(() => undefined), interrupted.then(() => 'interrupted' as const)]);
    const socket = await raceTimeout(loaded, this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, 'timeout' as const);
    // This run's events: those of the test that takes its go (from the end of the test before it), until that test ends.
    state.events = runner.events;
    const startedAt = new Date();
    progress?.({ type: 'started', id });
    if (socket === 'interrupted') {
      fault = interruptedFault(request.signal);
    } else if (socket === undefined || socket === 'timeout') {
      child.kill();
      const exit = await child.exited;
      fault = {
        reason: 'monitor_error',
        message: socket === 'timeout' ? 'the journey did not load in time' : `the journey exited before it started (${describeExit(exit)})`,
        evidence: { output: redactor.text(lastLines(child.outputSince(outputMark))) },
      };
    } else {
      const stepTimeoutMs = stepBudget(request.stepTimeoutMs, timeoutMs);
      const go: GoMessage = { runId: id, inputs: request.inputs, stepTimeoutMs, artifactDir: join(runner.scratch, 'artifacts', id) };
      runner.runsLeft -= 1;
      runner.served += 1;
      runner.goFor = id;
      state.waitedMs = Math.round(performance.now() - state.askedAt);
      socket.end(`${JSON.stringify(go)}\n`);
      const outcome = Promise.race([ended.then(() => 'ended' as const), child.exited.then(() => 'exited' as const), interrupted.then(() => 'interrupted' as const)]);
      const result = await raceTimeout(outcome, timeoutMs + graceMs, 'timeout' as const);
      if (result === 'interrupted') {
        fault = interruptedFault(request.signal);
      } else if (result === 'timeout') {
        child.kill();
        fault = { reason: 'timeout', message: `journey killed at its deadline (${timeoutMs} ms + ${graceMs} ms grace)`, evidence: { deadlineMs: timeoutMs + graceMs } };
      } else if (result === 'exited' && !state.events.some((e) => e.type === 'test_end')) {
        const exit = await child.exited;
        fault = {
          reason: 'monitor_error',
          message: exit.spawnError !== undefined ? `could not start playwright: ${exit.spawnError}` : `the journey process ended without a result (${describeExit(exit)})`,
          evidence: { output: redactor.text(lastLines(child.outputSince(outputMark))) },
        };
      }
    }
    if (fault?.evidence.interrupted !== undefined) {
      // Stopped at once: nothing of the run is worth waiting for.
      await this.pool.dispose(runner);
    }
    if (fault === undefined && runner.hooks.badLine !== undefined) {
      fault = { reason: 'monitor_error', message: `unreadable event stream: ${runner.hooks.badLine}`, evidence: {} };
    }
    const finishedAt = new Date();

    runner.outputFrom = child.outputMark();
    const events = state.events;
    const artifactSources = events.flatMap((event) => (event.type === 'artifact' ? [{ name: event.name, path: event.path }] : []));
    // The child writes its artifacts before it reports its end; a file named outside its own folder is not taken.
    const { stored, problems } = await storeArtifacts(artifactSources, { runDir: join(this.options.runsDir, id), runsRoot: this.options.runsDir, allowedRoot: runner.scratch }, redactor);
    const record = recordOf(request, id, { startedAt, finishedAt, events, fault, artifacts: stored });
    let reusable = fault === undefined && runner.hooks.badLine === undefined && events.some((e) => e.type === 'test_end') && !child.hasExited && runner.runsLeft > 0;
    if (reusable) {
      // Stored: this run's files leave the runner's scratch, so the next run holds none of them.
      await Promise.all([join(runner.scratch, 'artifacts', id), ...artifactSources.map((a) => resolve(a.path))].filter((path) => isInside(path, runner.scratch)).map((path) => rm(path, { recursive: true, force: true })));
    }
    // Which process served the run, its how-manieth run, what its process tree held at the run's end (a leak
    // across runs shows here), and how long the run waited for a loaded runner (a cold start shows here).
    const rssMb = Math.round((state.rssBytes ?? child.residentBytes()) / (1024 * 1024));
    if (rssMb > (this.options.runnerRssMb ?? DEFAULT_RUNNER_RSS_MB)) reusable = false;
    const served = { pid: child.pid ?? 0, run: runner.served, rssMb, waitedMs: state.waitedMs ?? 0 };
    const marks = { ...record.marks, ...(runner.served > 0 ? { runner: served } : {}), ...(problems.length > 0 ? { artifactProblems: problems } : {}) };
    return { record: redactor.value({ ...record, marks }), reusable };
  }
}

function recordOf(
  request: RunRequest,
  id: string,
  run: { startedAt: Date; finishedAt: Date; events: readonly ChildEvent[]; fault: MonitorFault | undefined; artifacts: ArtifactRecord[] },
): RunRecord {
  return buildRecord({
    id,
    journey: request.journey,
    target: request.target.name,
    trigger: request.trigger,
    ...(request.replayOf !== undefined ? { replayOf: request.replayOf } : {}),
    inputs: request.inputs,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    events: run.events,
    ...(run.fault !== undefined ? { monitorFault: run.fault } : {}),
    artifacts: run.artifacts,
  });
}

/**
 * A step's timeout, kept well inside the run's deadline (ms both): a target
 * that hangs must fail its step as the target's `timeout`, with time left to
 * report it and keep its screenshot and trace, before the deadline kill,
 * which is the monitor's `error`. At most half the deadline, or the deadline
 * less 15 s when that is longer; never under 500 ms.
 */
export function stepBudget(stepTimeoutMs: number, timeoutMs: number): number {
  return Math.max(500, Math.min(stepTimeoutMs, Math.max(Math.floor(timeoutMs / 2), timeoutMs - 15_000)));
}

/** What a run holds while the executor runs it: its events, once it knows which test took its go; when it was asked for; its runner's memory at its end. */
interface RunState {
  events: ChildEvent[];
  /** performance.now() when the run was asked for: the wait for a runner is from here to the go. */
  readonly askedAt: number;
  waitedMs?: number;
  /** The runner's resident memory when this run's test ended (before a runner on its last run exits). */
  rssBytes?: number;
}

function describeExit(exit: { code: number | null; signal: string | null; spawnError?: string }): string {
  if (exit.spawnError !== undefined) return exit.spawnError;
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
}

function lastLines(text: string, count = 12): string {
  return text.split('\n').filter((line) => line.trim() !== '').slice(-count).join('\n');
}

/** Settles when the signal aborts (never, without one). */
function abortOf(signal: AbortSignal | undefined, until: AbortSignal): Promise<void> {
  if (signal === undefined) return new Promise<void>(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolveAbort) => {
    signal.addEventListener('abort', () => { resolveAbort(); }, { once: true, signal: until });
  });
}

function interruptedFault(signal: AbortSignal | undefined): MonitorFault {
  const why = typeof signal?.reason === 'string' ? signal.reason : 'interrupted';
  return { reason: 'monitor_error', message: `interrupted (${why}): the run was stopped before it finished`, evidence: { interrupted: why } };
}

/** Whether `path` lies inside `dir` (both absolute). */
function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

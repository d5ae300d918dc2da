import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { CHILD_ENV, type ChildEvent, type GoMessage } from '../protocol/child.js';
import type { JourneyDefinition } from '../model/journey.js';
import type { Failure } from '../model/reasons.js';
import type { ArtifactRecord, RunInputs, RunRecord, StepRecord, Trigger } from '../model/run-record.js';
import type { Target, TargetSecrets } from '../model/target.js';
import { Redactor } from '../secrets/redactor.js';
import { DEFAULT_RUNNER_RSS_MB, DEFAULT_RUNNER_RUNS } from '../model/runner.js';
import { JourneyChild } from './journey-child.js';
import { buildRecord, type MonitorFault } from './record-builder.js';
import { storeArtifacts } from './artifacts.js';
import { childEnvironment } from './child-environment.js';
import { raceTimeout } from '../time/race-timeout.js';

export interface ExecutorOptions {
  readonly projectRoot: string;
  /** Run folders go here, one per run id. */
  readonly runsDir: string;
  readonly configFile?: string;
  /** Time past a journey's timeout before the whole child is killed. */
  readonly graceMs?: number;
  /** How long a child may take to load before it counts as broken. */
  readonly readyTimeoutMs?: number;
  readonly stepTimeoutMs?: number;
  /**
   * Load the next child for a journey and target ahead: `true` once a run ends
   * (its start-up never competes with a run being measured), `'overlap'` as
   * soon as a run starts (back-to-back runs, as in tests, wait less).
   */
  readonly keepWarm?: boolean | 'overlap';
  /** The monitor's environment; a child inherits only its allow-listed part (src/run/child-environment.ts). */
  readonly env?: NodeJS.ProcessEnv;
  /** More variable names a child inherits (config `runs.passEnv`). */
  readonly passEnv?: readonly string[];
  /**
   * Runs one child serves before it is replaced (config `runs.runnerRuns`): a
   * loaded child kept warm serves the next run of its journey and target
   * (a fresh browser context, fixtures and artifact folder each time). Default
   * DEFAULT_RUNNER_RUNS with `keepWarm`, else 1 (a child per run).
   */
  readonly runnerRuns?: number;
  /** A runner whose process tree (browser included) holds more resident memory than this (MB) after a run is replaced (config `runs.runnerRssMb`). */
  readonly runnerRssMb?: number;
  /** A browser run's trace records the screencast too (config `runs.traceScreenshots`; default off: most of tracing's CPU). */
  readonly traceScreenshots?: boolean;
}

export interface RunRequest {
  readonly id?: string;
  readonly journey: JourneyDefinition;
  readonly target: Target;
  readonly secrets: TargetSecrets;
  readonly trigger: Trigger;
  readonly replayOf?: string;
  readonly inputs: RunInputs;
  readonly timeoutMs?: number;
  /** The journey's per-step timeout (config `stepTimeoutMs`); else the executor's default. */
  readonly stepTimeoutMs?: number;
  /** Aborting it stops the run at once (Ctrl-C): the record says interrupted, outcome `error`. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
}

export type Progress =
  | { readonly type: 'started'; readonly id: string }
  | { readonly type: 'step_begin'; readonly step: string }
  | { readonly type: 'step_end'; readonly step: StepRecord; readonly failure?: Failure };

/**
 * A loaded `playwright test` child for one journey and target: a runner. It
 * serves up to `runsLeft` runs in turn (`--repeat-each`): before each, its
 * test connects to the go socket and waits there, browser and context up.
 */
interface Prepared {
  readonly key: string;
  readonly child: JourneyChild;
  /** The events of the run being assembled: from the end of the last run's test (its test_end) to this one's. */
  events: ChildEvent[];
  /** Set by the run that takes the runner: who hears its events, and the first unreadable line. */
  readonly hooks: { listener?: (event: ChildEvent) => void; badLine?: string };
  /** Go connections, one per test, in order: each is a run waiting for its go. */
  readonly gos: GoQueue;
  /** Settles when the runner waits for its first go, or has exited. */
  readonly loaded: Promise<void>;
  /** The child's private folder in the temp dir (its TMPDIR, artifacts, Playwright output): removed once it is gone. */
  readonly scratch: string;
  readonly goServer: Server;
  /** Runs it may still serve; at 0 it has ended its last test and exits by itself. */
  runsLeft: number;
  /** Runs it has been given a go for. */
  served: number;
  /** Where in the child's output the next run's evidence starts: the end of its last run. */
  outputFrom: number;
  /** The run whose go the test in progress took; undefined between tests (a test that ends without one is not a run's). */
  goFor?: string;
  /** Settles once the child and everything it started are gone and the scratch is removed. */
  gone?: Promise<void>;
}

const DEFAULT_GRACE_MS = 5_000;
const DEFAULT_READY_TIMEOUT_MS = 90_000;
const DEFAULT_STEP_TIMEOUT_MS = 15_000;
const EXIT_GRACE_MS = 10_000;
const CLOSE_GRACE_MS = 5_000;

/**
 * Runs one journey against one target as a `playwright test` child and
 * returns one run record. Never throws for a failed journey: a fault of the
 * monitor (spawn failure, cut stream, deadline kill, crash) is outcome `error`.
 * Only the executor knows about the child.
 */
export class Executor {
  private readonly warm = new Map<string, Prepared>();
  private readonly live = new Set<Prepared>();
  /** Children being started ahead, by key: a second prepare for the same key waits for the first, never starts another. */
  private readonly starting = new Map<string, Promise<void>>();
  /** Keys with a run in flight: that run's runner comes back after it, so nothing is started ahead meanwhile. */
  private readonly busy = new Set<string>();
  /**
   * The next runner for a key whose warm runner has one run left: loaded between that runner's runs (never
   * during one), so its last run hands over to a loaded runner and no tick waits for a cold start.
   */
  private readonly successors = new Map<string, Prepared>();
  private closed = false;
  private preparing = true;

  constructor(private readonly options: ExecutorOptions) {}

  /**
   * Makes sure a child for the journey and target waits, loaded, for a run (a
   * warm runner that is kept, or a new one); resolves once its next test
   * waits for the go (or the child has died: the run that takes it records
   * that, or replaces it).
   */
  async prepare(journey: JourneyDefinition, target: Target, secrets: TargetSecrets, timeoutMs = journey.timeoutMs): Promise<void> {
    const key = keyOf(journey, target, secrets, timeoutMs);
    const existing = this.warm.get(key);
    const started = this.starting.get(key);
    // A run in flight for this key: its runner comes back after it, or the run starts the next one.
    if (this.busy.has(key) && this.runnerRuns() > 1) return;
    if (!this.takesChildren() || existing !== undefined || started !== undefined) {
      await (existing !== undefined ? waitingOrGone(existing) : started);
      return;
    }
    // Only the spawn is awaited by others (a run then takes the child and waits for it under its own limits).
    const spawned = this.start(key, journey, target, secrets, timeoutMs);
    // Waiters only need to know the spawn ended; its error goes to this prepare's caller (an unhandled second chain would crash the process).
    this.starting.set(key, spawned.then(
      () => undefined,
      () => undefined,
    ));
    let prepared: Prepared | undefined;
    try {
      prepared = await spawned;
    } finally {
      this.starting.delete(key);
    }
    await prepared?.loaded;
  }

  /** Spawns a child ahead and keeps it warm; undefined when it is not kept. */
  private async start(key: string, journey: JourneyDefinition, target: Target, secrets: TargetSecrets, timeoutMs: number): Promise<Prepared | undefined> {
    const prepared = await this.spawn(key, journey, target, secrets, timeoutMs);
    // Closed meanwhile, or another prepare for the same key finished first: keep one, or none.
    if (!this.takesChildren()) {
      await this.dispose(prepared);
      return undefined;
    }
    if (this.warm.has(key)) {
      void this.retire(prepared);
      return undefined;
    }
    this.warm.set(key, prepared);
    return prepared;
  }

  async run(request: RunRequest): Promise<RunRecord> {
    const id = request.id ?? randomUUID();
    const timeoutMs = request.timeoutMs ?? request.journey.timeoutMs;
    const key = keyOf(request.journey, request.target, request.secrets, timeoutMs);
    const redactor = new Redactor([request.secrets.password, request.secrets.bypassKey]);
    const startedAt = new Date();
    let prepared: Prepared | undefined;
    let reusable = false;
    const state: RunState = { events: [], askedAt: performance.now() };
    this.busy.add(key);
    try {
      // A child being spawned ahead for this key (a moment: a folder and a process) is this run's, never started twice.
      if (!this.warm.has(key)) await this.starting.get(key)?.catch(() => undefined);
      prepared = this.warm.get(key);
      this.warm.delete(key);
      if (prepared?.child.hasExited === true) {
        // A warm runner that died while it waited (its worker crashed, it was killed): replaced, not blamed on this run.
        void this.retire(prepared);
        prepared = undefined;
      }
      prepared ??= await this.spawn(key, request.journey, request.target, request.secrets, timeoutMs);
      // Back-to-back runs (tests) find the next child loaded; a runner that serves many runs is its own next child.
      if (this.options.keepWarm === 'overlap' && this.runnerRuns() === 1) void this.prepare(request.journey, request.target, request.secrets, timeoutMs).catch(() => undefined);
      const outcome = await this.execute(prepared, state, request, id, timeoutMs, redactor);
      reusable = outcome.reusable;
      return outcome.record;
    } catch (error) {
      // The executor's own bug or an I/O failure: still a record, never a throw.
      const finishedAt = new Date();
      const fault: MonitorFault = { reason: 'monitor_error', message: `executor failed: ${error instanceof Error ? error.message : String(error)}`, evidence: {} };
      return redactor.value(recordOf(request, id, { startedAt, finishedAt, events: state.events, fault, artifacts: [] }));
    } finally {
      this.busy.delete(key);
      if (prepared !== undefined) {
        // A runner whose run ended cleanly serves the next run of its journey and target; any other is replaced,
        // by its successor when one was loaded ahead.
        if (reusable && this.takesChildren() && !this.warm.has(key)) {
          this.warm.set(key, prepared);
          if (prepared.runsLeft === 1) void this.prepareSuccessor(key, request, timeoutMs);
        } else {
          void this.retire(prepared);
          const successor = this.successors.get(key);
          this.successors.delete(key);
          if (successor !== undefined && this.takesChildren() && !this.warm.has(key)) this.warm.set(key, successor);
          else if (successor !== undefined) void this.retire(successor);
        }
      }
      if (this.options.keepWarm !== undefined && this.options.keepWarm !== false && !this.closed && !this.warm.has(key)) {
        void this.prepare(request.journey, request.target, request.secrets, timeoutMs).catch(() => undefined);
      }
    }
  }

  private async execute(prepared: Prepared, state: RunState, request: RunRequest, id: string, timeoutMs: number, redactor: Redactor): Promise<{ record: RunRecord; reusable: boolean }> {
    prepared.hooks.badLine = undefined;
    let testEnded: () => void = () => undefined;
    const ended = new Promise<void>((resolveEnded) => {
      testEnded = resolveEnded;
    });
    const progress = request.onProgress;
    prepared.hooks.listener = (event) => {
      if (event.type === 'secret') redactor.add(event.value);
      // Only the test that took this run's go is this run: a test that ended before any go (its set-up failed) is not.
      if (prepared.goFor !== id) return;
      if (event.type === 'test_end' && (event.runId === undefined || event.runId === id)) {
        state.rssBytes = prepared.child.residentBytes();
        testEnded();
      }
      if (progress === undefined) return;
      if (event.type === 'step_begin') progress({ type: 'step_begin', step: event.step });
      if (event.type === 'step_end') {
        const step: StepRecord = { name: event.step, status: event.status, startedAt: event.startedAt, durationMs: event.durationMs };
        progress({ type: 'step_end', step, ...(event.failure ? { failure: redactor.value({ step: event.step, ...event.failure }) } : {}) });
      }
    };
    for (const event of prepared.events) if (event.type === 'secret') redactor.add(event.value);
    // One listener per run on a signal that lives as long as the monitor: removed when the run ends.
    const stopListening = new AbortController();
    const interrupted = abortOf(request.signal, stopListening.signal);
    try {
      return await this.executeUntil(prepared, state, request, id, timeoutMs, redactor, interrupted, ended);
    } finally {
      stopListening.abort();
      prepared.hooks.listener = undefined;
    }
  }

  private async executeUntil(
    prepared: Prepared,
    state: RunState,
    request: RunRequest,
    id: string,
    timeoutMs: number,
    redactor: Redactor,
    interrupted: Promise<void>,
    ended: Promise<void>,
  ): Promise<{ record: RunRecord; reusable: boolean }> {
    const { child } = prepared;
    // Only what the child printed since its last run ended is this run's evidence (a warm runner printed earlier runs' too).
    const outputMark = prepared.outputFrom;
    const graceMs = this.options.graceMs ?? DEFAULT_GRACE_MS;
    const progress = request.onProgress;
    let fault: MonitorFault | undefined;

    // Loading (a cold start) has its own limit; the journey's deadline starts at the go.
    const loaded = Promise.race([prepared.gos.next(), child.exited.then(() => undefined), interrupted.then(() => 'interrupted' as const)]);
    const socket = await raceTimeout(loaded, this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, 'timeout' as const);
    // This run's events: those of the test that takes its go (from the end of the test before it), until that test ends.
    state.events = prepared.events;
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
      const stepTimeoutMs = stepBudget(request.stepTimeoutMs ?? this.options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS, timeoutMs);
      const go: GoMessage = { runId: id, inputs: request.inputs, stepTimeoutMs, artifactDir: join(prepared.scratch, 'artifacts', id) };
      prepared.runsLeft -= 1;
      prepared.served += 1;
      prepared.goFor = id;
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
      await this.dispose(prepared);
    }
    if (fault === undefined && prepared.hooks.badLine !== undefined) {
      fault = { reason: 'monitor_error', message: `unreadable event stream: ${prepared.hooks.badLine}`, evidence: {} };
    }
    const finishedAt = new Date();

    prepared.outputFrom = child.outputMark();
    const events = state.events;
    const artifactSources = events.flatMap((event) => (event.type === 'artifact' ? [{ name: event.name, path: event.path }] : []));
    // The child writes its artifacts before it reports its end; a file named outside its own folder is not taken.
    const { stored, problems } = await storeArtifacts(artifactSources, { runDir: join(this.options.runsDir, id), runsRoot: this.options.runsDir, allowedRoot: prepared.scratch }, redactor);
    const record = recordOf(request, id, { startedAt, finishedAt, events, fault, artifacts: stored });
    let reusable = fault === undefined && prepared.hooks.badLine === undefined && events.some((e) => e.type === 'test_end') && !child.hasExited && prepared.runsLeft > 0;
    if (reusable) {
      // Stored: this run's files leave the runner's scratch, so the next run holds none of them.
      await Promise.all([join(prepared.scratch, 'artifacts', id), ...artifactSources.map((a) => resolve(a.path))].filter((path) => isInside(path, prepared.scratch)).map((path) => rm(path, { recursive: true, force: true })));
    }
    // Which process served the run, its how-manieth run, what its process tree held at the run's end (a leak
    // across runs shows here), and how long the run waited for a loaded runner (a cold start shows here).
    const rssMb = Math.round((state.rssBytes ?? child.residentBytes()) / (1024 * 1024));
    if (rssMb > (this.options.runnerRssMb ?? DEFAULT_RUNNER_RSS_MB)) reusable = false;
    const runner = { pid: child.pid ?? 0, run: prepared.served, rssMb, waitedMs: state.waitedMs ?? 0 };
    const marks = { ...record.marks, ...(prepared.served > 0 ? { runner } : {}), ...(problems.length > 0 ? { artifactProblems: problems } : {}) };
    return { record: redactor.value({ ...record, marks }), reusable };
  }

  /** Runs one child serves: DEFAULT_RUNNER_RUNS when children are kept warm, else 1. */
  private runnerRuns(): number {
    const keepWarm = this.options.keepWarm ?? false;
    return Math.max(1, this.options.runnerRuns ?? (keepWarm === false ? 1 : DEFAULT_RUNNER_RUNS));
  }

  private async spawn(key: string, journey: JourneyDefinition, target: Target, secrets: TargetSecrets, timeoutMs: number): Promise<Prepared> {
    if (this.closed) throw new Error('the executor is closed');
    const root = this.options.projectRoot;
    // In the temp folder, short: the child's TMPDIR holds the browser's profile and sockets (paths of 108 bytes at most).
    const scratch = await mkdtemp(join(tmpdir(), 'gpmon-run-'));
    const childTmp = join(scratch, 'tmp');
    await mkdir(childTmp);
    const socketPath = join(scratch, 'go.sock');
    const goServer = createServer();
    const gos = new GoQueue();
    goServer.on('connection', (socket: Socket) => {
      // A child that dies at the go must not take the daemon with it.
      socket.on('error', () => socket.destroy());
      gos.push(socket);
    });
    try {
      await new Promise<void>((resolveListen, reject) => {
        goServer.once('error', reject);
        goServer.listen(socketPath, resolveListen);
      });
    } catch (error) {
      await rm(scratch, { recursive: true, force: true });
      throw error;
    }
    if (this.isClosed()) {
      // Closed while this child's folder and socket were made: nothing may start after close().
      goServer.close();
      await rm(scratch, { recursive: true, force: true });
      throw new Error('the executor is closed');
    }
    const hooks: Prepared['hooks'] = {};
    const runs = this.runnerRuns();
    // The child's events go to the runner made from it, right after.
    const made: { runner?: Prepared } = {};
    const given: Record<string, string | undefined> = {
      [CHILD_ENV.target]: JSON.stringify(target),
      [CHILD_ENV.goSocket]: socketPath,
      [CHILD_ENV.testTimeoutMs]: String(timeoutMs),
      // Its own target's secret, and nothing of any other target's.
      [CHILD_ENV.password]: secrets.password,
      [CHILD_ENV.bypassKey]: secrets.bypassKey,
      [CHILD_ENV.runnerRuns]: String(runs),
      [CHILD_ENV.traceScreenshots]: this.options.traceScreenshots === true ? '1' : '0',
      [CHILD_ENV.journeyDir]: dirname(resolve(root, journey.file)),
      TMPDIR: childTmp,
      // Playwright's compile cache stays shared (it holds our sources, compiled; nothing of a run):
      // a cold cache per child would cost every load seconds of CPU beside the run being measured.
      PLAYWRIGHT_TRANSFORM_CACHE_DIR: this.options.env?.PLAYWRIGHT_TRANSFORM_CACHE_DIR ?? join(tmpdir(), `playwright-transform-cache-${process.geteuid?.() ?? 0}`),
    };
    const child = new JourneyChild({
      projectRoot: root,
      journeyFile: resolve(root, journey.file),
      configFile: this.options.configFile ?? resolve(root, 'playwright.config.ts'),
      reporterFile: resolve(root, 'src/reporter/ndjson-reporter.ts'),
      outputDir: join(scratch, 'playwright'),
      env: childEnvironment(this.options.env ?? process.env, given, this.options.passEnv),
      runTag: randomUUID(),
      onEvent: (event) => {
        const prepared = made.runner;
        if (prepared === undefined) return;
        // A journey file that declares fewer runs (one plain `test()`) ends sooner: the runner serves that many.
        if (event.type === 'begin' && event.tests !== undefined) prepared.runsLeft = Math.min(prepared.runsLeft, event.tests);
        prepared.events.push(event);
        hooks.listener?.(event);
        if (event.type === 'test_end') {
          // A test that ended without a go (its set-up failed, its go wait timed out) took one of the runner's tests.
          if (prepared.goFor === undefined) prepared.runsLeft = Math.max(0, prepared.runsLeft - 1);
          prepared.goFor = undefined;
          // What follows a test's end belongs to the runner's next test.
          prepared.events = [];
        }
      },
      onBadLine: (error) => {
        hooks.badLine ??= error;
      },
    });
    const loaded = Promise.race([gos.waiting(), child.exited]).then(() => undefined);
    const prepared: Prepared = { key, child, events: [], hooks, gos, loaded, scratch, goServer, runsLeft: runs, served: 0, outputFrom: 0 };
    made.runner = prepared;
    this.live.add(prepared);
    return prepared;
  }

  /**
   * Done with a child. One that has served its last run gets a moment to exit
   * by itself (Playwright closes its browser and removes its profile); one
   * that would wait for another go is not waited for. Then it and everything
   * carrying its tag is killed, and its scratch goes.
   */
  private retire(prepared: Prepared, graceMs = EXIT_GRACE_MS): Promise<void> {
    prepared.goServer.close();
    prepared.gos.close();
    prepared.gone ??= (async () => {
      if (prepared.runsLeft === 0) await raceTimeout(prepared.child.exited, graceMs, 'timeout' as const);
      await this.dispose(prepared);
    })();
    return prepared.gone;
  }

  /** Kills the child and anything it started, waits for them to go, removes its scratch. Never rejects. */
  private async dispose(prepared: Prepared): Promise<void> {
    prepared.goServer.close();
    prepared.gos.close();
    try {
      await prepared.child.killAndWait();
      await rm(prepared.scratch, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A scratch that cannot go (a process outlived the kill and wrote to it) is left, never a crash of the monitor.
    } finally {
      this.live.delete(prepared);
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
    for (const prepared of [...this.warm.values(), ...this.successors.values()]) void this.retire(prepared, 0);
    this.warm.clear();
    this.successors.clear();
  }

  /** Loads the runner that takes over from a warm runner with one run left (between its runs: now). */
  private async prepareSuccessor(key: string, request: RunRequest, timeoutMs: number): Promise<void> {
    if (this.successors.has(key) || !this.takesChildren()) return;
    try {
      const successor = await this.spawn(key, request.journey, request.target, request.secrets, timeoutMs);
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
    await Promise.all(all.map((prepared) => (prepared.gone === undefined ? this.dispose(prepared) : this.retire(prepared, graceMs).then(() => this.dispose(prepared)))));
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

/** A runner serves one journey, target, secrets (held in its environment) and timeout; the secrets enter the key only as a digest. */
function keyOf(journey: JourneyDefinition, target: Target, secrets: TargetSecrets, timeoutMs: number): string {
  const digest = createHash('sha256').update(JSON.stringify([secrets.password ?? null, secrets.bypassKey ?? null])).digest('hex');
  return `${journey.name}\u0000${JSON.stringify(target)}\u0000${digest}\u0000${timeoutMs}`;
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

/** Settles once the runner's next test waits for its go, or the runner has exited. */
function waitingOrGone(prepared: Prepared): Promise<void> {
  return Promise.race([prepared.gos.queued(), prepared.child.exited.then(() => undefined)]);
}

/** Whether `path` lies inside `dir` (both absolute). */
function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * A runner's go connections, in the order its tests open them: each is one
 * test waiting for its go. Closing it hangs up on every one still queued.
 */
class GoQueue {
  private readonly queuedNow: Socket[] = [];
  private readonly onQueued: (() => void)[] = [];
  private waiter: ((socket: Socket) => void) | undefined;
  private closed = false;
  private arrived: () => void = () => undefined;
  private readonly first = new Promise<void>((resolveFirst) => {
    this.arrived = resolveFirst;
  });

  push(socket: Socket): void {
    this.arrived();
    for (const resolveQueued of this.onQueued.splice(0)) resolveQueued();
    if (this.closed) {
      socket.destroy();
      return;
    }
    // A test that dies while it waits (its worker crashed, its wait timed out) hangs up: it is no longer waiting.
    socket.once('close', () => {
      const at = this.queuedNow.indexOf(socket);
      if (at >= 0) this.queuedNow.splice(at, 1);
    });
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter !== undefined) waiter(socket);
    else this.queuedNow.push(socket);
  }

  /** The next test waiting for its go (one caller at a time: a runner serves one run at once). */
  next(): Promise<Socket> {
    let socket = this.queuedNow.shift();
    while (socket?.destroyed === true) socket = this.queuedNow.shift();
    if (socket !== undefined) return Promise.resolve(socket);
    return new Promise<Socket>((resolveNext) => {
      this.waiter = resolveNext;
    });
  }

  /** Settles once the first test waits for its go. */
  waiting(): Promise<void> {
    return this.first;
  }

  /** Settles once a test waits for its go: now, or at the next connection. */
  queued(): Promise<void> {
    if (this.queuedNow.length > 0 || this.closed) return Promise.resolve();
    return new Promise<void>((resolveQueued) => {
      this.onQueued.push(resolveQueued);
    });
  }

  close(): void {
    this.closed = true;
    for (const socket of this.queuedNow.splice(0)) socket.destroy();
    for (const resolveQueued of this.onQueued.splice(0)) resolveQueued();
  }
}

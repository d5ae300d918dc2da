import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CHILD_ENV, type ChildEvent, type GoMessage } from '../protocol/child.js';
import type { JourneyDefinition } from '../model/journeys.js';
import type { Failure } from '../model/reasons.js';
import type { ArtifactRecord, RunInputs, RunRecord, StepRecord, Trigger } from '../model/run-record.js';
import type { Target, TargetSecrets } from '../model/target.js';
import { Redactor } from '../secrets/redactor.js';
import { JourneyChild } from './journey-child.js';
import { buildRecord, type MonitorFault } from './record-builder.js';
import { storeArtifacts } from './artifacts.js';
import type { SharedBrowser } from './shared-browser.js';

export interface ExecutorOptions {
  readonly projectRoot: string;
  /** Run folders go here, one per run id. */
  readonly runsDir: string;
  readonly configFile?: string;
  readonly sharedBrowser?: SharedBrowser;
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
  readonly env?: NodeJS.ProcessEnv;
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
  readonly onProgress?: (progress: Progress) => void;
}

export type Progress =
  | { readonly type: 'started'; readonly id: string }
  | { readonly type: 'step_begin'; readonly step: string }
  | { readonly type: 'step_end'; readonly step: StepRecord; readonly failure?: Failure };

interface Prepared {
  readonly key: string;
  readonly child: JourneyChild;
  readonly events: ChildEvent[];
  /** Set by the run that takes the child: who hears its events, and the first unreadable line. */
  readonly hooks: { listener?: (event: ChildEvent) => void; badLine?: string };
  readonly ready: Promise<Socket>;
  /** Settles when the child waits for its go, or has exited. */
  readonly loaded: Promise<void>;
  readonly scratch: string;
  readonly goServer: Server;
}

const DEFAULT_GRACE_MS = 5_000;
const DEFAULT_READY_TIMEOUT_MS = 90_000;
const DEFAULT_STEP_TIMEOUT_MS = 15_000;
const EXIT_GRACE_MS = 10_000;

/**
 * Runs one journey against one target as a `playwright test` child and
 * returns one run record. Never throws for a failed journey: a fault of the
 * monitor (spawn failure, cut stream, deadline kill, crash) is outcome `error`.
 * Only the executor knows about the child.
 */
export class Executor {
  private readonly warm = new Map<string, Prepared>();
  private readonly live = new Set<Prepared>();
  private closed = false;

  constructor(private readonly options: ExecutorOptions) {}

  /**
   * Starts a child for the journey and target that waits, loaded, for a run;
   * resolves once it waits (or has died: the run that takes it records that).
   */
  async prepare(journey: JourneyDefinition, target: Target, secrets: TargetSecrets, timeoutMs = journey.timeoutMs): Promise<void> {
    const key = keyOf(journey, target, timeoutMs);
    const existing = this.warm.get(key);
    if (this.closed || existing !== undefined) {
      await existing?.loaded;
      return;
    }
    const prepared = await this.spawn(key, journey, target, secrets, timeoutMs);
    // Another prepare for the same key may have finished meanwhile: keep one.
    if (this.warm.has(key)) this.retire(prepared);
    else this.warm.set(key, prepared);
    await prepared.loaded;
  }

  async run(request: RunRequest): Promise<RunRecord> {
    const id = request.id ?? randomUUID();
    const timeoutMs = request.timeoutMs ?? request.journey.timeoutMs;
    const key = keyOf(request.journey, request.target, timeoutMs);
    const redactor = new Redactor([request.secrets.password, request.secrets.bypassKey]);
    const startedAt = new Date();
    let prepared: Prepared | undefined;
    try {
      prepared = this.warm.get(key);
      this.warm.delete(key);
      prepared ??= await this.spawn(key, request.journey, request.target, request.secrets, timeoutMs);
      if (this.options.keepWarm === 'overlap') void this.prepare(request.journey, request.target, request.secrets, timeoutMs).catch(() => undefined);
      return await this.execute(prepared, request, id, timeoutMs, redactor);
    } catch (error) {
      // The executor's own bug or an I/O failure: still a record, never a throw.
      const finishedAt = new Date();
      const fault: MonitorFault = { reason: 'monitor_error', message: `executor failed: ${error instanceof Error ? error.message : String(error)}`, evidence: {} };
      return redactor.value(recordOf(request, id, { startedAt, finishedAt, events: prepared?.events ?? [], fault, artifacts: [] }));
    } finally {
      if (prepared !== undefined) this.retire(prepared);
      if (this.options.keepWarm !== undefined && this.options.keepWarm !== false && !this.closed && !this.warm.has(key)) {
        void this.prepare(request.journey, request.target, request.secrets, timeoutMs).catch(() => undefined);
      }
    }
  }

  private async execute(prepared: Prepared, request: RunRequest, id: string, timeoutMs: number, redactor: Redactor): Promise<RunRecord> {
    const { child } = prepared;
    const graceMs = this.options.graceMs ?? DEFAULT_GRACE_MS;
    let fault: MonitorFault | undefined;
    let testEnded: () => void = () => undefined;
    const ended = new Promise<void>((resolveEnded) => {
      testEnded = resolveEnded;
    });
    const progress = request.onProgress;
    prepared.hooks.listener = (event) => {
      if (event.type === 'secret') redactor.add(event.value);
      if (event.type === 'test_end') testEnded();
      if (progress === undefined) return;
      if (event.type === 'step_begin') progress({ type: 'step_begin', step: event.step });
      if (event.type === 'step_end') {
        const step: StepRecord = { name: event.step, status: event.status, startedAt: event.startedAt, durationMs: event.durationMs };
        progress({ type: 'step_end', step, ...(event.failure ? { failure: redactor.value({ step: event.step, ...event.failure }) } : {}) });
      }
    };
    for (const event of prepared.events) if (event.type === 'secret') redactor.add(event.value);

    // Loading (a cold start) has its own limit; the journey's deadline starts at the go.
    const socket = await raceTimeout(Promise.race([prepared.ready, child.exited.then(() => undefined)]), this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    const startedAt = new Date();
    progress?.({ type: 'started', id });
    if (socket === undefined || socket === 'timeout') {
      child.kill();
      const exit = await child.exited;
      fault = {
        reason: 'monitor_error',
        message: socket === 'timeout' ? 'the journey did not load in time' : `the journey exited before it started (${describeExit(exit)})`,
        evidence: { output: redactor.text(lastLines(child.outputTail)) },
      };
    } else {
      const go: GoMessage = { runId: id, inputs: request.inputs, stepTimeoutMs: this.options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS };
      socket.end(`${JSON.stringify(go)}\n`);
      const result = await raceTimeout(Promise.race([ended.then(() => 'ended' as const), child.exited.then(() => 'exited' as const)]), timeoutMs + graceMs);
      if (result === 'timeout') {
        child.kill();
        fault = { reason: 'timeout', message: `journey killed at its deadline (${timeoutMs} ms + ${graceMs} ms grace)`, evidence: { deadlineMs: timeoutMs + graceMs } };
      } else if (result === 'exited' && !prepared.events.some((e) => e.type === 'test_end')) {
        const exit = await child.exited;
        fault = {
          reason: 'monitor_error',
          message: exit.spawnError !== undefined ? `could not start playwright: ${exit.spawnError}` : `the journey process ended without a result (${describeExit(exit)})`,
          evidence: { output: redactor.text(lastLines(child.outputTail)) },
        };
      }
    }
    if (fault === undefined && prepared.hooks.badLine !== undefined) {
      fault = { reason: 'monitor_error', message: `unreadable event stream: ${prepared.hooks.badLine}`, evidence: {} };
    }
    const finishedAt = new Date();

    const artifactSources = prepared.events.flatMap((event) => (event.type === 'artifact' ? [{ name: event.name, path: event.path }] : []));
    const { stored, problems } = await storeArtifacts(artifactSources, join(this.options.runsDir, id), this.options.runsDir, redactor);
    const record = recordOf(request, id, { startedAt, finishedAt, events: prepared.events, fault, artifacts: stored });
    const withProblems = problems.length > 0 ? { ...record, marks: { ...record.marks, artifactProblems: problems } } : record;
    return redactor.value(withProblems);
  }

  private async spawn(key: string, journey: JourneyDefinition, target: Target, secrets: TargetSecrets, timeoutMs: number): Promise<Prepared> {
    const root = this.options.projectRoot;
    const scratch = join(this.options.runsDir, '.work', randomUUID());
    mkdirSync(scratch, { recursive: true });
    // Unix socket paths are short (108 bytes): keep it in the temp folder.
    const socketPath = join(tmpdir(), `gpmon-${randomUUID().slice(0, 12)}.sock`);
    const goServer = createServer();
    const ready = new Promise<Socket>((resolveReady) => {
      goServer.once('connection', (socket: Socket) => {
        // A child that dies at the go must not take the daemon with it.
        socket.on('error', () => socket.destroy());
        resolveReady(socket);
      });
    });
    await new Promise<void>((resolveListen, reject) => {
      goServer.once('error', reject);
      goServer.listen(socketPath, resolveListen);
    });
    let browserWs: string | undefined;
    try {
      browserWs = journey.kind === 'browser' && this.options.sharedBrowser !== undefined ? await this.options.sharedBrowser.endpoint() : undefined;
      if (this.closed) throw new Error('the executor is closed');
    } catch (error) {
      goServer.close();
      rmSync(scratch, { recursive: true, force: true });
      throw error;
    }
    const events: ChildEvent[] = [];
    const hooks: Prepared['hooks'] = {};
    const given: Record<string, string | undefined> = {
      [CHILD_ENV.target]: JSON.stringify(target),
      [CHILD_ENV.goSocket]: socketPath,
      [CHILD_ENV.artifactDir]: join(scratch, 'artifacts'),
      [CHILD_ENV.testTimeoutMs]: String(timeoutMs),
      [CHILD_ENV.password]: secrets.password,
      [CHILD_ENV.bypassKey]: secrets.bypassKey,
      [CHILD_ENV.browserWs]: browserWs,
    };
    // Only what this run is given: nothing inherited stands in for a missing secret or browser.
    const env: NodeJS.ProcessEnv = Object.fromEntries([
      ...Object.entries(this.options.env ?? process.env).filter(([name]) => !(name in given)),
      ...Object.entries(given).filter(([, value]) => value !== undefined),
    ]);
    const child = new JourneyChild({
      projectRoot: root,
      journeyFile: resolve(root, journey.file),
      configFile: this.options.configFile ?? resolve(root, 'playwright.config.ts'),
      reporterFile: resolve(root, 'src/reporter/ndjson-reporter.ts'),
      outputDir: join(scratch, 'playwright'),
      env,
      runTag: randomUUID(),
      onEvent: (event) => {
        events.push(event);
        hooks.listener?.(event);
      },
      onBadLine: (error) => {
        hooks.badLine ??= error;
      },
    });
    const loaded = Promise.race([ready, child.exited]).then(() => undefined);
    const prepared: Prepared = { key, child, events, hooks, ready, loaded, scratch, goServer };
    this.live.add(prepared);
    return prepared;
  }

  /** After a run: the child gets a moment to exit by itself, then is killed; its scratch goes. */
  private retire(prepared: Prepared): void {
    prepared.goServer.close();
    // A child still waiting for its go hears the socket close and ends itself.
    void prepared.ready.then((socket) => socket.destroy());
    // Kept referenced: the process does not exit while a detached child might outlive it.
    const timer = setTimeout(() => {
      prepared.child.kill();
    }, EXIT_GRACE_MS);
    void prepared.child.exited.then(() => {
      clearTimeout(timer);
      // Anything it started in a group of its own (a browser it launched) goes with it.
      prepared.child.kill();
      rmSync(prepared.scratch, { recursive: true, force: true });
      this.live.delete(prepared);
    });
  }

  /** Kills every child, warm or running, and waits for them to go. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.live];
    this.warm.clear();
    for (const prepared of all) {
      prepared.goServer.close();
      prepared.child.kill();
    }
    await Promise.all(all.map((prepared) => prepared.child.exited));
    for (const prepared of all) rmSync(prepared.scratch, { recursive: true, force: true });
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

function keyOf(journey: JourneyDefinition, target: Target, timeoutMs: number): string {
  return `${journey.name}\u0000${JSON.stringify(target)}\u0000${timeoutMs}`;
}

async function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolveTimeout) => {
    timer = setTimeout(() => {
      resolveTimeout('timeout');
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describeExit(exit: { code: number | null; signal: string | null; spawnError?: string }): string {
  if (exit.spawnError !== undefined) return exit.spawnError;
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
}

function lastLines(text: string, count = 12): string {
  return text.split('\n').filter((line) => line.trim() !== '').slice(-count).join('\n');
}

import { after, afterEach, before } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { JourneyRun, type Attacher, type StepHost } from '../../src/kit/journey-run.js';
import { plainFirstLine, readKitAttachments } from '../../src/reporter/ndjson-reporter.js';
import { buildRecord, type MonitorFault } from '../../src/run/record-builder.js';
import { chromiumLaunchOptions, privateCaFlags } from '../../src/browser/chromium.js';
import { warmBrowser } from '../../src/kit/warm-up.js';
import { pathToFileURL } from 'node:url';
import { DISCOVERY_REGISTRY, type DiscoveryRegistry } from '../../src/kit/journey-declaration.js';
import type { JourneyTestArgs } from '../../src/kit/fixtures.js';
import type { JourneyDefinition } from '../../src/model/journey.js';
import type { ChildEvent } from '../../src/protocol/child.js';
import type { Simulator } from '../../src/simulator/simulator.js';
import { withDefaults, type Target, type TargetSecrets } from '../../src/model/target.js';
import type { RunRecord } from '../../src/model/run-record.js';
import type { TranscriptEntry } from '../../src/kit/transcript.js';
import type { LatencyProfile } from '../../src/simulator/profile.js';
import { PROJECT_ROOT, journeyNamed, startSimulatorTarget } from './journey-harness.js';

/**
 * A journey's own code run in this process, its verdict built by the same
 * record builder from the same kit attachments the NDJSON reporter reads:
 * everything of a monitored run but the `playwright test` child and its
 * transport (which the end-to-end rows and the executor tests cover). A run
 * costs the journey's own time, not a child's start-up, so a fault matrix
 * can grow without the suite growing with it. Browser journeys get a fresh
 * context and page in one Chromium per harness.
 */
export interface InProcessHarness {
  readonly sim: Simulator;
  readonly target: Target;
  readonly secrets: TargetSecrets;
  /** One run; `wsUrl` replaces the target's configured socket URL (as a config would give it), `login` its login strategy, `rotation` its refreshTokenRotation; `withoutCa` drops its caFile. */
  run(journey: string | JourneyDefinition, options?: { stepTimeoutMs?: number; prompt?: string; expectedAnswer?: string; wsUrl?: string; login?: 'form' | 'bypass'; rotation?: boolean; withoutCa?: boolean }): Promise<RunRecord>;
  /** The transcript a run wrote (transcript.jsonl), one entry a line, as an operator downloads it. */
  transcript(runId: string): TranscriptEntry[];
  stop(): Promise<void>;
}

/**
 * Rows that fail by a timeout wait it out, so it is short; a healthy step
 * here takes under a second beside another test file on 2 cores. A step's
 * waits share it (the browser login: the HTTP login, the navigation and the
 * chat page's start), so it leaves room for a loaded machine: the campaign's 5 s.
 */
const DEFAULT_STEP_TIMEOUT_MS = 5000;

type JourneyBody = (args: Pick<JourneyTestArgs, 'run' | 'page'>) => Promise<void>;

/**
 * A journey file's body, as its defineJourney call gives it: the file is
 * imported with a registry that keeps the body (a fresh module instance, so
 * the call runs again), and no Playwright test is declared.
 */
async function journeyBody(journey: JourneyDefinition): Promise<JourneyBody> {
  const holder = globalThis as { [DISCOVERY_REGISTRY]?: DiscoveryRegistry };
  const registry: DiscoveryRegistry = { declared: [], bodies: [] };
  holder[DISCOVERY_REGISTRY] = registry;
  try {
    await import(`${pathToFileURL(join(PROJECT_ROOT, journey.file)).href}?in-process=${randomUUID()}`);
  } finally {
    Reflect.deleteProperty(holder, DISCOVERY_REGISTRY);
  }
  const body = registry.bodies?.[0];
  if (typeof body !== 'function') throw new Error(`${journey.file} declares no journey body`);
  return body as JourneyBody;
}

export async function startInProcess(options: { latency?: Partial<LatencyProfile>; stepTimeoutMs?: number; tls?: boolean } = {}): Promise<InProcessHarness> {
  const { sim, target, secrets } = await startSimulatorTarget(options);
  let browser: Promise<Browser> | undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'gpmon-in-process-'));
  const bodies = new Map<string, Promise<JourneyBody>>();
  return {
    sim,
    target,
    secrets,
    run: async (name, runOptions = {}) => {
      const journey = typeof name === 'string' ? journeyNamed(name) : name;
      const body = bodies.get(journey.file) ?? journeyBody(journey);
      bodies.set(journey.file, body);
      const code = await body;
      const inputs = { prompt: runOptions.prompt ?? 'What is the status of order 42?', expectedAnswer: runOptions.expectedAnswer ?? '^Golden path OK' };
      const steps = new RecordedSteps();
      const id = randomUUID();
      const runTarget =
        runOptions.wsUrl === undefined && runOptions.login === undefined && runOptions.rotation === undefined && runOptions.withoutCa !== true
          ? target
          : withDefaults({
              ...target,
              wsUrl: runOptions.wsUrl ?? target.wsUrl,
              login: runOptions.login ?? target.login,
              ...(runOptions.rotation === undefined ? {} : { refreshTokenRotation: runOptions.rotation }),
              ...(runOptions.withoutCa === true ? { caFile: undefined } : {}),
            });
      const run = new JourneyRun(id, runTarget, secrets, inputs, runOptions.stepTimeoutMs ?? options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS, join(scratch, id), true, steps);
      run.declareSteps(journey.steps);
      const contexts: { close(): Promise<void> }[] = [];
      const page = async () => {
        // Warmed as a monitored run's browser is before its go: a cold Chromium is slow on its first page and socket.
        const launch = chromiumLaunchOptions();
        browser ??= chromium.launch({ ...launch, args: [...launch.args, ...privateCaFlags(target.caFile)] }).then(async (launched) => {
          await warmBrowser(launched);
          return launched;
        });
        const context = await (await browser).newContext();
        contexts.push(context);
        return context.newPage();
      };
      const startedAt = new Date();
      const events: ChildEvent[] = [{ type: 'begin', pid: process.pid }, { type: 'test_begin', at: startedAt.toISOString() }];
      let error: unknown;
      let monitorFault: MonitorFault | undefined;
      let deadline: NodeJS.Timeout | undefined;
      const overDeadline = new Promise<'deadline'>((resolve) => {
        deadline = setTimeout(() => {
          resolve('deadline');
        }, journey.timeoutMs);
      });
      try {
        // A browser journey's page exists before its body runs, as under Playwright (the body reads it at once).
        const work = (journey.kind === 'browser' ? page() : Promise.resolve(undefined)).then((made) => code(made === undefined ? ({ run } as Pick<JourneyTestArgs, 'run' | 'page'>) : { run, page: made }));
        const ended = await Promise.race([work.then(() => 'ended' as const), overDeadline]);
        if (ended === 'deadline') monitorFault = { reason: 'timeout', message: `the in-process run passed its ${journey.timeoutMs} ms deadline`, evidence: {} };
      } catch (thrown) {
        error = thrown;
      } finally {
        clearTimeout(deadline);
      }
      // As in the kit's fixtures: the run's own artifacts go to the test's attachments once the journey is done.
      const attached: { name: string; body: Buffer }[] = [];
      await run.finish((attachment, { body }) => {
        attached.push({ name: attachment, body: Buffer.from(body) });
        return Promise.resolve();
      });
      await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
      events.push(...steps.events, ...readKitAttachments(attached).events);
      const status = error === undefined && monitorFault === undefined ? 'passed' : 'failed';
      events.push({ type: 'test_end', status, durationMs: Date.now() - startedAt.getTime(), ...(error !== undefined ? { error: firstLine(error) } : {}) });
      events.push({ type: 'end', status });
      return buildRecord({
        id,
        journey,
        target: target.name,
        trigger: 'manual',
        inputs,
        startedAt,
        finishedAt: new Date(),
        events,
        artifacts: [],
        ...(monitorFault !== undefined ? { monitorFault } : {}),
      });
    },
    transcript: (runId) =>
      readFileSync(join(scratch, runId, 'transcript.jsonl'), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as TranscriptEntry),
    stop: async () => {
      if (browser !== undefined) await (await browser).close();
      await sim.stop();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** Steps run in this process, reported as the NDJSON reporter reports Playwright's: begin, the kit's events, end. */
class RecordedSteps implements StepHost {
  readonly events: ChildEvent[] = [];

  async step(name: string, body: (attach: Attacher) => Promise<void>): Promise<void> {
    const startedAt = new Date().toISOString();
    const started = performance.now();
    this.events.push({ type: 'step_begin', step: name, at: startedAt });
    const attached: { name: string; body: Buffer }[] = [];
    let error: unknown;
    let failed = false;
    try {
      await body((attachment, { body: content }) => {
        attached.push({ name: attachment, body: Buffer.from(content) });
        return Promise.resolve();
      });
    } catch (thrown) {
      failed = true;
      error = thrown;
    }
    const kit = readKitAttachments(attached);
    this.events.push(...kit.events, {
      type: 'step_end',
      step: name,
      status: failed ? 'failed' : 'passed',
      startedAt,
      durationMs: kit.timing?.durationMs ?? performance.now() - started,
      measured: kit.timing?.measured ?? false,
      ...(kit.failure !== undefined ? { failure: kit.failure } : {}),
      ...(failed ? { error: firstLine(error) } : {}),
    });
    if (failed) throw error;
  }
}

function firstLine(error: unknown): string {
  return plainFirstLine(error instanceof Error ? error.message : String(error));
}

/**
 * A suite's harness: started before its tests, faults cleared after each,
 * stopped after all. Call inside a `describe`; the getter gives the harness
 * to the tests (it throws before the suite has started it).
 */
export function useInProcess(options: Parameters<typeof startInProcess>[0] = {}): () => InProcessHarness {
  let harness: InProcessHarness | undefined;
  before(async () => {
    harness = await startInProcess(options);
  });
  afterEach(() => {
    harness?.sim.state.clearFaults();
  });
  after(async () => {
    await harness?.stop();
  });
  return () => {
    if (harness === undefined) throw new Error('the in-process harness is not started');
    return harness;
  };
}

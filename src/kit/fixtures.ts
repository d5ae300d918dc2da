import { test as base, type BrowserContext, type TestDetails, type PlaywrightTestArgs, type PlaywrightTestOptions, type PlaywrightWorkerArgs, type PlaywrightWorkerOptions, type TestInfo } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { CHILD_ENV, KIT_ATTACHMENT } from '../protocol/child.js';
import { DEBIAN_HEADLESS_SHELL } from '../browser/chromium.js';
import type { Redactor } from '../secrets/redactor.js';
import { redactFiles } from '../secrets/artifact-files.js';
import { resolveTarget, type ResolvedTarget } from './resolve-target.js';
import { waitForGo } from './go.js';
import { JourneyRun } from './journey-run.js';
import { warmBrowser, warmUp } from './warm-up.js';
import { raceTimeout } from '../time/race-timeout.js';
import { recordDeclaration } from './journey-declaration.js';
import { journeyDeclarationSchema, type JourneyDeclaration } from '../model/journey.js';
import { describeIssues } from '../model/zod-issues.js';

// Waiting for the go can take as long as the scheduler's interval: its own slot, not the test's.
const GO_WAIT_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/** Runs by hand whose output folders are redacted when the worker ends (after Playwright wrote its error context). */
interface HandRuns {
  readonly folders: { readonly dir: string; readonly redactor: Redactor }[];
}

/**
 * The journey kit's fixtures: `gpTarget` (worker-scoped: the target and its
 * secrets, or an embedded simulator) and `run` (the run: waits for the go,
 * then hands the journey its JourneyRun, and writes the artifacts after).
 * `page` is set up before `run`: a browser journey's browser, context, page
 * and trace exist before the go, so their start-up is never inside a
 * measured run.
 */
export const test = base.extend<{ run: JourneyRun; /** The run's trace name. */ gpTracing: string }, { gpTarget: ResolvedTarget; gpHandRuns: HandRuns; gpWarmBrowser: undefined; gpWarmProcess: undefined; gpHeadedBrowser: undefined }>({
  gpTarget: [
    async ({}, use) => {
      const resolved = await resolveTarget(process.env);
      await use(resolved);
      await resolved.stop?.();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  gpHandRuns: [
    async ({}, use) => {
      const handRuns: HandRuns = { folders: [] };
      await use(handRuns);
      // Playwright writes a failed test's error context (page snapshot, error) after the test's own fixtures end,
      // before the worker's: here every file a run by hand left is redacted as the executor redacts a monitored run's.
      for (const { dir, redactor } of handRuns.folders) {
        const files = filesUnder(dir);
        const results = await redactFiles(files.map((file) => ({ from: file, to: file })), redactor);
        for (const [i, result] of results.entries()) if (!result.ok) process.stderr.write(`gpmon: could not redact ${files[i] ?? ''}: ${result.problem}\n`);
      }
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  // The kit records the trace itself (the config sets Playwright's off): named for this run alone, and written
  // before Playwright's own teardown, so the sweep above redacts it in a run by hand too. Started before the go,
  // like the browser, context and page: none of their start-up is inside a measured run.
  // The browser's warm-up (gpWarmBrowser, first here: fixtures are set up in the order they are named) comes before
  // the trace starts: tracing records every call's stack and source file on the connection, the warm-up's included.
  gpTracing: async ({ gpWarmBrowser: _warm, context }, use, testInfo) => {
    // DOM snapshots, network and console always; the screencast only when asked for (runs.traceScreenshots): it is most of
    // tracing's cost (measured: 1.4 s of CPU in a 5.8 s browser run), and a failed run keeps its own screenshot anyway.
    const name = `gpmon-${randomUUID()}`;
    await context.tracing.start({ name, title: testInfo.titlePath.join(' › '), screenshots: process.env[CHILD_ENV.traceScreenshots] === '1', snapshots: true, sources: true });
    await use(name);
  },
  // Under the executor, the worker's browser is warmed (and settles) once, before its first go, like the worker's own
  // code paths below; a warm runner's later runs find both warm (but Playwright replaces the worker after a failed test:
  // the run after a failure warms again, inside its own test, which is why the warm-up leaves nothing for Playwright
  // to attach to it: src/kit/warm-up.ts). Their own time limit: a warm-up on a loaded machine must not eat the test's
  // timeout, which is the journey's.
  gpWarmBrowser: [
    async ({ browser }, use) => {
      if (underExecutor()) await warmBrowser(browser);
      await use(undefined);
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  // The headless shell ignores headless: false and runs without a window, silently. A headed run the config could not
  // see (test.use({ headless: false })) is told how to get a window instead of getting none.
  gpHeadedBrowser: [
    async ({ headless, launchOptions }, use) => {
      if (!headless && launchOptions.executablePath === DEBIAN_HEADLESS_SHELL) {
        throw new Error(`a headed run needs a browser that can show a window, and ${DEBIAN_HEADLESS_SHELL} cannot: run with GPMON_HEADED=1 (or --headed), or set GPMON_CHROMIUM to a full Chromium`);
      }
      await use(undefined);
    },
    { scope: 'worker', auto: true },
  ],
  gpWarmProcess: [
    async ({}, use) => {
      if (underExecutor()) await warmUp();
      await use(undefined);
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  // The warm-up first (see gpTracing): before the run's own context, page and trace exist.
  page: async ({ gpWarmBrowser: _warm, page, context, gpTracing: traceName, run }, use, testInfo) => {
    // A protocol journey is measured without a browser: one that asks for a page is declared as the wrong kind.
    if (annotationOf(testInfo, KIND_ANNOTATION) === 'protocol') {
      throw new Error(`the journey is declared kind: 'protocol', and a protocol journey has no browser: declare kind: 'browser' to use page`);
    }
    // An action or navigation the journey gives no timeout waits a step's time, not the whole run's: it fails at its
    // step, as `ui` or `timeout`, never as the deadline's monitor_error.
    context.setDefaultTimeout(run.stepTimeoutMs);
    context.setDefaultNavigationTimeout(run.stepTimeoutMs);
    await use(page);
    await run.bodyEnded();
    await keepTraceOnFailure(context, run, testInfo, traceName);
  },
  run: [
    async ({ gpTarget, gpHandRuns, gpWarmProcess: _warm }, use, testInfo) => {
      const monitored = underExecutor();
      const handStepTimeout = Number(annotationOf(testInfo, STEP_TIMEOUT_ANNOTATION) ?? '');
      const go = await waitForGo(process.env, Number.isInteger(handStepTimeout) && handStepTimeout > 0 ? handStepTimeout : undefined);
      // Names the run this test is, for the executor: a test that never got here is no run's.
      if (monitored) await testInfo.attach(KIT_ATTACHMENT.run, { body: JSON.stringify({ runId: go.runId }), contentType: 'application/json' });
      // By hand, the transcript lies beside Playwright's own output for the test, and is swept with it.
      const artifactDir = monitored ? (go.artifactDir ?? testInfo.outputDir) : testInfo.outputDir;
      const run = new JourneyRun(go.runId, gpTarget.target, gpTarget.secrets, go.inputs, go.stepTimeoutMs, artifactDir, monitored);
      // The steps the file declares (defineJourney puts them on the test as an annotation): no other step may run.
      const declared = annotationOf(testInfo, STEPS_ANNOTATION);
      const file = annotationOf(testInfo, FILE_ANNOTATION);
      if (declared !== undefined) run.declareSteps(declared.split(','), file);
      if (!monitored) gpHandRuns.folders.push({ dir: testInfo.outputDir, redactor: run.redactor });
      await use(run);
      await run.finish((name, options) => testInfo.attach(name, options));
    },
    { timeout: GO_WAIT_TIMEOUT_MS },
  ],
});

/**
 * A failed run's trace, kept as trace.zip and attached; a passing run's is
 * discarded. It is redacted with the run's other files, where all of them
 * are redacted together: by the executor (a monitored run), or when the
 * worker ends (a run by hand).
 */
async function keepTraceOnFailure(context: BrowserContext, run: JourneyRun, testInfo: TestInfo, traceName: string): Promise<void> {
  try {
    // A trace that cannot be stopped (the journey closed its context, the browser went away) costs the trace, never the verdict.
    if (testInfo.status === testInfo.expectedStatus) {
      await withinMs(context.tracing.stop(), TRACE_STOP_MS).catch(() => undefined);
      return;
    }
    const path = testInfo.outputPath('trace.zip');
    try {
      await withinMs(context.tracing.stop({ path }), TRACE_STOP_MS);
    } catch (error) {
      run.mark('traceProblem', run.redactor.text(error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error)));
      return;
    }
    await testInfo.attach('trace', { path, contentType: 'application/zip' });
  } finally {
    // Kept (zipped above) or not, the run's trace files leave the browser's folder: a warm runner's browser outlives
    // many runs, and Playwright leaves a stopped trace's files (network bodies included) until the browser closes.
    const left = await removeTraceFiles(testInfo, traceName);
    if (left !== undefined) run.mark('traceFilesLeft', left);
  }
}

/**
 * Removes a stopped trace's files from the worker's trace folder, where
 * Playwright's test runner points the browser (`<outputDir>/.playwright-artifacts-<worker>/traces`,
 * playwright/lib/runner: artifactsFolderName): `<name>.trace`, `.network`,
 * `.stacks`, and the resources (one context records at a time per worker).
 * Returns the folder when it is not there (a Playwright that moved it: the
 * record says so), else undefined.
 */
async function removeTraceFiles(testInfo: TestInfo, traceName: string): Promise<string | undefined> {
  const dir = join(testInfo.project.outputDir, `.playwright-artifacts-${testInfo.workerIndex}`, 'traces');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return dir;
  }
  await Promise.all(names.filter((name) => name === 'resources' || name.startsWith(`${traceName}.`)).map((name) => rm(join(dir, name), { recursive: true, force: true }).catch(() => undefined)));
  return undefined;
}

/** True in a child the executor started (it waits for a go); false in a run by hand. */
function underExecutor(): boolean {
  return (process.env[CHILD_ENV.goSocket] ?? '') !== '';
}

// A browser that hangs (a frozen renderer) must cost the trace, not the run's deadline.
const TRACE_STOP_MS = 10_000;

/** `work`, or a rejection naming the limit once `ms` pass. */
async function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  const late = Symbol('late');
  const result = await raceTimeout(work, ms, late);
  if (result === late) throw new Error(`did not finish within ${ms} ms`);
  return result;
}

function filesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}

/** What a journey's test body gets: Playwright's own fixtures (page, context, request…) and the kit's (run, gpTarget). */
export type JourneyTestArgs = PlaywrightTestArgs & PlaywrightTestOptions & PlaywrightWorkerArgs & PlaywrightWorkerOptions & { run: JourneyRun; gpTarget: ResolvedTarget };

/**
 * Declares a journey's test. Run by hand, or by a monitor that starts a child
 * per run, it is one test. Under a warm runner (GPMON_RUNNER_RUNS=N, set by
 * the executor) it is declared N times in the one file, so one worker serves
 * N runs in turn, each with fresh test fixtures (context, page, run, trace)
 * and a go of its own. Repetitions with `--repeat-each` would not do: each
 * repetition gets a worker of its own (Playwright keys workers by the
 * repetition), which is the cold start this avoids.
 */
export function journeyTest(title: string, body: (args: JourneyTestArgs, testInfo: TestInfo) => Promise<void>, details: TestDetails = {}): void {
  const runs = runnerRuns(process.env);
  for (let i = 1; i <= runs; i++) test(i === 1 ? title : `${title} (run ${i})`, details, body);
}

/** The description of the test's first annotation of `type` (what defineJourney put on it), if any. */
function annotationOf(testInfo: TestInfo, type: string): string | undefined {
  return testInfo.annotations.find((annotation) => annotation.type === type)?.description;
}

/** The annotation that carries a journey's declared steps to its run (comma-separated; step names are snake_case). */
const STEPS_ANNOTATION = 'gpmon:steps';
/**
 * The annotation that names the journey's file (relative to the working directory). Playwright takes a test's
 * location from the line that calls test(), which for every journey is journeyTest's here: so testInfo.file
 * names this file, and the journey's own is carried beside it.
 */
const FILE_ANNOTATION = 'gpmon:file';
/** The annotation that carries the journey's kind: a protocol journey gets no page. */
const KIND_ANNOTATION = 'gpmon:kind';
/** The annotation that carries the step timeout the file declares (ms) to a run by hand; a monitored run's go names its own. */
const STEP_TIMEOUT_ANNOTATION = 'gpmon:stepTimeoutMs';

/**
 * Declares a journey and its test in one call (docs/journeys-as-code.md):
 * `declaration` is what the monitor discovers (name, kind, steps, defaults),
 * `body` the test Playwright runs. When gpmon's discovery imports the file,
 * the call records the declaration and registers no test; under Playwright it
 * checks the declaration (a bad one is an error at load naming the field) and
 * registers the test as journeyTest does.
 */
export function defineJourney(declaration: JourneyDeclaration, body: (args: JourneyTestArgs, testInfo: TestInfo) => Promise<void>): JourneyDeclaration {
  if (recordDeclaration(declaration, body)) return declaration;
  const parsed = journeyDeclarationSchema.safeParse(declaration);
  if (!parsed.success) throw new Error(`journey declaration: ${describeIssues(parsed.error, declaration, '(declaration)').join('; ')}`);
  const annotation = [
    { type: STEPS_ANNOTATION, description: parsed.data.steps.join(',') },
    { type: KIND_ANNOTATION, description: parsed.data.kind },
  ];
  const file = callerFile();
  // Relative to where Playwright runs when the file is inside it; absolute when it is elsewhere (a journeyDirs folder).
  const shown = file === undefined ? undefined : relative(process.cwd(), file);
  if (file !== undefined) annotation.push({ type: FILE_ANNOTATION, description: shown === undefined || shown === '' || shown.startsWith('..') ? file : shown });
  if (parsed.data.stepTimeoutMs !== undefined) annotation.push({ type: STEP_TIMEOUT_ANNOTATION, description: String(parsed.data.stepTimeoutMs) });
  // The body goes to Playwright as written: it reads the fixtures a test uses from the body's own parameters.
  journeyTest(parsed.data.name, body, { annotation });
  return parsed.data;
}

/** The file that called defineJourney (V8's structured stack, the frame below it), as a path; undefined when V8 gives none. */
function callerFile(): string | undefined {
  const holder: { stack?: unknown } = {};
  // Put back as it was (a static hook V8 calls with no `this`; source-map-support's, under Playwright).
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const previous = Error.prepareStackTrace;
  let frames: unknown;
  Error.prepareStackTrace = (_error, callSites) => callSites;
  try {
    Error.captureStackTrace(holder, defineJourney);
    // V8 formats the stack when it is first read: read it while our formatter is in place.
    frames = holder.stack;
  } finally {
    Error.prepareStackTrace = previous;
  }
  const first = Array.isArray(frames) ? (frames[0] as NodeJS.CallSite | undefined) : undefined;
  const name = typeof first?.getFileName === 'function' ? (first.getFileName() ?? undefined) : undefined;
  if (name === undefined || name === '') return undefined;
  return name.startsWith('file://') ? fileURLToPath(name.replace(/\?.*$/, '')) : name;
}

/** GPMON_RUNNER_RUNS as a count of runs: 1 when unset or not a whole number from 1 to 1000. */
function runnerRuns(env: NodeJS.ProcessEnv): number {
  const runs = Number(env[CHILD_ENV.runnerRuns] ?? '1');
  return Number.isInteger(runs) && runs >= 1 && runs <= 1000 ? runs : 1;
}

export { expect } from '@playwright/test';

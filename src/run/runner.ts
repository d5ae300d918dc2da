import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CHILD_ENV, type ChildEvent } from '../protocol/child.js';
import type { JourneyDefinition } from '../model/journey.js';
import type { ArtifactPolicy } from '../model/run-settings.js';
import type { Target, TargetSecrets } from '../model/target.js';
import { JourneyChild } from './journey-child.js';
import { GoQueue } from './go-queue.js';
import { childEnvironment } from './child-environment.js';

/**
 * What a runner is loaded for: everything of a run that changes its child. A
 * runner serves runs of one journey and target (its secret is in the child's
 * environment), with one deadline (Playwright's test timeout) and one artifact
 * policy (the trace's screencast is set at the child's start). The step
 * timeout and the inputs travel in each run's go, so they are not part of it.
 */
export interface RunnerSpec {
  readonly journey: JourneyDefinition;
  readonly target: Target;
  readonly secrets: TargetSecrets;
  /** The run's deadline, ms: the child's test timeout. */
  readonly timeoutMs: number;
  readonly artifacts: ArtifactPolicy;
}

/** How a runner's child is started, whatever it runs: the executor's, for every runner. */
export interface RunnerChildOptions {
  readonly projectRoot: string;
  /** The Playwright config the child runs with (default `<projectRoot>/playwright.config.ts`). */
  readonly configFile?: string;
  /** The monitor's environment; a child inherits only its allow-listed part (src/run/child-environment.ts). */
  readonly env?: NodeJS.ProcessEnv;
  /** More variable names a child inherits (config `runs.passEnv`). */
  readonly passEnv?: readonly string[];
}

/**
 * A loaded `playwright test` child for one journey and target: a runner. It
 * serves up to `runsLeft` runs in turn (its test declared that many times):
 * before each, its test connects to the go socket and waits there, browser
 * and context up. The executor reads and moves its per-run fields as it
 * assembles a run (src/run/executor.ts); the pool owns its life.
 */
export interface Runner {
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

/** What starting a runner needs from whoever keeps it (src/run/runner-pool.ts). */
export interface RunnerHost {
  readonly options: RunnerChildOptions;
  /** Runs the child is to serve (its test is declared this many times). */
  readonly runs: number;
  /** Whether nothing may start any more (read after each await: a close may come meanwhile). */
  isClosed(): boolean;
  /** The child is spawned: told at once, before anything else can run, so a close from then on finds it. */
  started(runner: Runner): void;
}

/**
 * Starts a runner for `spec` under `key`: a scratch folder in the temp dir
 * (the child's TMPDIR, artifacts, Playwright output), the go socket its tests
 * wait on, and the `playwright test` child with the allow-listed environment
 * (its own target's secret only) declaring its test `host.runs` times. Resolves as
 * soon as the child is spawned (`loaded` settles when it waits for its first
 * go). Rejects when the folder or socket cannot be made, or `host.isClosed()`
 * (read after each await) says nothing may start any more.
 */
export async function spawnRunner(key: string, spec: RunnerSpec, host: RunnerHost): Promise<Runner> {
  const { options, runs } = host;
  if (host.isClosed()) throw new Error('the executor is closed');
  const { journey, target, secrets } = spec;
  const root = options.projectRoot;
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
  if (host.isClosed()) {
    // Closed while this child's folder and socket were made: nothing may start after close().
    goServer.close();
    await rm(scratch, { recursive: true, force: true });
    throw new Error('the executor is closed');
  }
  const hooks: Runner['hooks'] = {};
  // The child's events go to the runner made from it, right after.
  const made: { runner?: Runner } = {};
  const given: Record<string, string | undefined> = {
    [CHILD_ENV.target]: JSON.stringify(target),
    [CHILD_ENV.goSocket]: socketPath,
    [CHILD_ENV.testTimeoutMs]: String(spec.timeoutMs),
    // Its own target's secret, and nothing of any other target's.
    [CHILD_ENV.password]: secrets.password,
    [CHILD_ENV.bypassKey]: secrets.bypassKey,
    [CHILD_ENV.runnerRuns]: String(runs),
    [CHILD_ENV.traceScreenshots]: spec.artifacts.traceScreenshots ? '1' : '0',
    [CHILD_ENV.journeyDir]: dirname(resolve(root, journey.file)),
    TMPDIR: childTmp,
    // Playwright's compile cache stays shared (it holds our sources, compiled; nothing of a run):
    // a cold cache per child would cost every load seconds of CPU beside the run being measured.
    PLAYWRIGHT_TRANSFORM_CACHE_DIR: options.env?.PLAYWRIGHT_TRANSFORM_CACHE_DIR ?? join(tmpdir(), `playwright-transform-cache-${process.geteuid?.() ?? 0}`),
  };
  const child = new JourneyChild({
    projectRoot: root,
    journeyFile: resolve(root, journey.file),
    configFile: options.configFile ?? resolve(root, 'playwright.config.ts'),
    reporterFile: resolve(root, 'src/reporter/ndjson-reporter.ts'),
    outputDir: join(scratch, 'playwright'),
    env: childEnvironment(options.env ?? process.env, given, options.passEnv),
    runTag: randomUUID(),
    onEvent: (event) => {
      const runner = made.runner;
      if (runner === undefined) return;
      // A journey file that declares fewer runs (one plain `test()`) ends sooner: the runner serves that many.
      if (event.type === 'begin' && event.tests !== undefined) runner.runsLeft = Math.min(runner.runsLeft, event.tests);
      runner.events.push(event);
      hooks.listener?.(event);
      if (event.type === 'test_end') {
        // A test that ended without a go (its set-up failed, its go wait timed out) took one of the runner's tests.
        if (runner.goFor === undefined) runner.runsLeft = Math.max(0, runner.runsLeft - 1);
        runner.goFor = undefined;
        // What follows a test's end belongs to the runner's next test.
        runner.events = [];
      }
    },
    onBadLine: (error) => {
      hooks.badLine ??= error;
    },
  });
  const loaded = Promise.race([gos.waiting(), child.exited]).then(() => undefined);
  const runner: Runner = { key, child, events: [], hooks, gos, loaded, scratch, goServer, runsLeft: runs, served: 0, outputFrom: 0 };
  made.runner = runner;
  host.started(runner);
  return runner;
}

/**
 * A runner's key: journey, target, secrets (held in its environment; in the
 * key only as a digest), deadline and artifact policy: every part of a spec.
 */
export function runnerKey(spec: RunnerSpec): string {
  const digest = createHash('sha256').update(JSON.stringify([spec.secrets.password ?? null, spec.secrets.bypassKey ?? null])).digest('hex');
  // Every field of the policy, by name: a field added to ArtifactPolicy fails to compile here until it is in the key.
  const artifacts: Record<keyof ArtifactPolicy, unknown> = { traceScreenshots: spec.artifacts.traceScreenshots };
  return `${spec.journey.name}\u0000${JSON.stringify(spec.target)}\u0000${digest}\u0000${spec.timeoutMs}\u0000${JSON.stringify(artifacts)}`;
}

/** Settles once the runner's next test waits for its go, or the runner has exited. */
export function waitingOrGone(runner: Runner): Promise<void> {
  return Promise.race([runner.gos.queued(), runner.child.exited.then(() => undefined)]);
}

/**
 * `npm run bench`: what a run costs, side by side with the peers, in one
 * bench run on this machine (issue 14). Five sections:
 *
 *  1. CPU and wall per run of `golden-path` and `golden-path-api` under
 *     `gpmon serve` (the warm runner, the default), and, against the same
 *     simulator, plain `npx playwright test` on the browser journey, the same
 *     journey written for `@elastic/synthetics` (bench/peers/elastic, its own
 *     Playwright, Debian's Chromium), and a hand-written `ws` client
 *     (bench/peers/ws-client.mjs) for the protocol path, each started per run
 *     as cron would. CPU is whole process trees (src: bench/lib/proc.ts): the
 *     monitor's tree (its runners and their browsers) over N scheduled runs,
 *     and each peer's process with everything it started. The simulator is a
 *     process of its own and counted in neither.
 *  2. Capacity: the most golden-path runs per minute one monitor sustains
 *     (browser, and protocol): a ladder of loads (targets × cadence), each
 *     held for a window; sustained means no skipped tick, every run passed,
 *     and timing within the accuracy targets.
 *  3. Timing fidelity at that load: each run's figures against the
 *     simulator's own per-run ground truth (bench/lib/fidelity.ts).
 *  4. A 10-minute soak at a realistic mix of the shipped journeys: RSS at
 *     minute 2 and minute 10 (the monitor, its runners, the browsers), the
 *     browser processes left after it stopped, and errors.
 *  5. The cost of a /metrics scrape (p50/p99 over 1,000 scrapes) with 20
 *     journeys × 5 steps × 2 targets of series.
 *
 *   npm run bench                        # all five, about 22 min
 *   npx tsx bench/cost-per-run.ts --sections 1,5 --json out.json
 *
 * Every figure is printed with its unit and sample size; the whole result
 * goes to --json (default bench/results/cost-per-run.json).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECT_ROOT } from '../src/catalog/shipped.js';
import { chooseChromium } from '../src/browser/chromium.js';
import type { RunRecord } from '../src/model/run-record.js';
import { allProcesses, isBrowserProcess, treeCpuMs, treeRssMb } from './lib/proc.js';
import { counterSum, quantile, startServe, startSimulatorProcess, until, type ServeProcess, type SimulatorInfo, type SimulatorProcess } from './lib/monitor.js';
import { fidelityOf, type Fidelity, type ObservedRun } from './lib/fidelity.js';

const USAGE = 'usage: npx tsx bench/cost-per-run.ts [--sections 1,2,3,4,5] [--quick] [--soak-minutes N] [--json FILE]';
let parsed: ReturnType<typeof parseOptions>;
function parseOptions() {
  return parseArgs({
    options: {
      sections: { type: 'string', default: '1,2,3,4,5' },
      json: { type: 'string' },
      'soak-minutes': { type: 'string', default: '10' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
}
try {
  parsed = parseOptions();
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const SECTIONS = new Set(values.sections.split(',').map((s) => Number(s.trim())));
for (const s of SECTIONS) {
  if (![1, 2, 3, 4, 5].includes(s)) {
    console.error(`--sections: "${values.sections}": each must be 1 to 5 (comma-separated)`);
    process.exit(2);
  }
}
const SOAK_MINUTES = Number(values['soak-minutes']);
if (!Number.isFinite(SOAK_MINUTES) || SOAK_MINUTES < 3 || SOAK_MINUTES > 120) {
  console.error(`--soak-minutes: "${values['soak-minutes']}" must be a number from 3 to 120`);
  process.exit(2);
}
/** --quick: fewer runs per figure and shorter windows, to try the bench; the README's figures never come from it. */
const QUICK = values.quick;
/**
 * Where the JSON goes: --json, else bench/results/cost-per-run.json for a
 * whole, full run (the README's), else the temp folder, so a quick or partial
 * run never replaces the results the README quotes. Checked writable now,
 * not after a section's minutes.
 */
const JSON_FILE = values.json ?? (!QUICK && SECTIONS.size === 5 ? join(PROJECT_ROOT, 'bench/results/cost-per-run.json') : join(tmpdir(), `gpmon-bench-${Date.now()}.json`));
try {
  mkdirSync(dirname(JSON_FILE), { recursive: true });
  writeFileSync(JSON_FILE, '{}\n');
} catch (error) {
  console.error(`--json: cannot write ${JSON_FILE}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
/** What a stop by Ctrl-C or SIGTERM must undo: folders written, processes started. */
const cleanups = new Set<() => Promise<void> | void>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping, cleaning up`);
    void Promise.allSettled([...cleanups].map((undo) => Promise.resolve().then(undo))).then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

const PROMPT = 'bench: what does the golden path prove?';
const EXPECTED = '^Golden path OK';
/** The accuracy targets (the timing-accuracy test's): floor ms and share of the truth. */
const ACCURACY = { protocol: { floorMs: 15, share: 0.05 }, browser: { floorMs: 50, share: 0.1 } } as const;

/** A process the bench started, stopped by a Ctrl-C too (and forgotten once stopped). */
function tracked<T extends { stop(): Promise<void> }>(started: T): T {
  const stop = started.stop.bind(started);
  const undo = () => stop();
  cleanups.add(undo);
  return Object.assign(started, {
    stop: async () => {
      cleanups.delete(undo);
      await stop();
    },
  });
}
const trackedServe = async (options: Parameters<typeof startServe>[0]): Promise<ServeProcess> => tracked(await startServe(options));

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const ms = (v: number) => `${Math.round(v).toLocaleString('en-US')} ms`;

// ── 1. CPU and wall per run ────────────────────────────────────────────────

interface CostRow {
  readonly what: string;
  readonly journey: 'golden-path' | 'golden-path-api';
  readonly runs: number;
  /** CPU of the whole process tree per run, ms. */
  readonly cpuMsPerRun: number;
  /** Wall per run, ms: tick to stored verdict for the monitor, process start to exit for a peer. */
  readonly wallMsPerRun: number;
  readonly note: string;
}

/** When the run was asked for (its tick, jitter 0), epoch ms: its go less its wait for a runner. */
function askedAt(record: RunRecord): number {
  return Date.parse(record.startedAt) - (record.marks.runner?.waitedMs ?? 0);
}

/** Tick (the run asked for) to its verdict, ms: the wait for its runner plus the run. */
function tickToVerdictMs(record: RunRecord): number {
  return Date.parse(record.finishedAt) - askedAt(record);
}

function runFolders(serve: ServeProcess): number {
  const dir = join(serve.dir, 'runs');
  return existsSync(dir) ? readdirSync(dir).length : 0;
}

/**
 * The monitor's CPU per run: `gpmon serve` with one journey on a schedule;
 * after `warmup` runs (the runner loaded, its first run), the tree's CPU over
 * the next `runs`, read as each run's folder appears (a poll of the disk by
 * this process: nothing asks the monitor anything meanwhile).
 */
async function monitorCost(sim: SimulatorInfo, journey: CostRow['journey'], schedule: string, runs: number, cadence: string): Promise<CostRow> {
  const serve = await trackedServe({ sim, targets: ['sim'], journeys: { [journey]: { enabled: true, schedule, prompt: PROMPT, expectedAnswer: EXPECTED } } });
  try {
    const warmup = 2;
    await until(`${journey}: ${warmup} runs`, () => Promise.resolve(runFolders(serve) >= warmup), 120_000, 20);
    const cpu0 = treeCpuMs(serve.pid);
    await until(`${journey}: ${warmup + runs} runs`, () => Promise.resolve(runFolders(serve) >= warmup + runs), runs * 30_000, 20);
    const cpu1 = treeCpuMs(serve.pid);
    await sleep(300);
    const records = (await serve.runs(journey, runs + warmup)).slice(0, runs);
    const bad = records.filter((r) => r.outcome !== 'passed');
    if (bad.length > 0) throw new Error(`${journey} under gpmon serve: ${bad.length} of ${records.length} runs did not pass: ${bad[0]?.failure?.message ?? ''}`);
    const wall = records.map(tickToVerdictMs);
    return { what: 'gpmon serve (warm runner)', journey, runs, cpuMsPerRun: (cpu1 - cpu0) / runs, wallMsPerRun: wall.reduce((a, b) => a + b, 0) / wall.length, note: `scheduled ${cadence}; CPU includes the monitor's idle time between runs` };
  } finally {
    await serve.stop();
  }
}

/** Debian's python3 (stdlib only here) runs the subreaper. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/**
 * Runs a command to its end under a subreaper (bench/lib/reap.py): its CPU is
 * that of the command and every process it started, orphans included, and
 * its wall is from its start to its exit (not to its last orphan's).
 */
async function timedProcess(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; cpuMs: number; wallMs: number; output: string }> {
  const child = spawn(PYTHON, [join(PROJECT_ROOT, 'bench/lib/reap.py'), command, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => { resolve(c); }));
  const reaped = /REAP exit=(-?\d+) wall_ms=(\d+) cpu_ms=(\d+)/.exec(output);
  if (reaped === null) throw new Error(`${command}: the subreaper printed no figures (is python3 there?):\n${output.slice(-1000)}`);
  return { code, cpuMs: Number(reaped[3]), wallMs: Number(reaped[2]), output };
}

async function peerCost(what: string, journey: CostRow['journey'], runs: number, note: string, start: () => { command: string; args: readonly string[]; cwd: string; env: NodeJS.ProcessEnv }): Promise<CostRow> {
  // One run first, not counted: the disk cache, as a cron job that has run before finds it.
  const first = start();
  const warm = await timedProcess(first.command, first.args, first);
  if (warm.code !== 0) throw new Error(`${what}: the first run exited ${String(warm.code)}:\n${warm.output.slice(-2000)}`);
  let cpu = 0;
  let wall = 0;
  for (let i = 0; i < runs; i++) {
    const run = start();
    const result = await timedProcess(run.command, run.args, run);
    if (result.code !== 0) throw new Error(`${what}: run ${i + 1} exited ${String(result.code)}:\n${result.output.slice(-2000)}`);
    cpu += result.cpuMs;
    wall += result.wallMs;
  }
  return { what, journey, runs, cpuMsPerRun: cpu / runs, wallMsPerRun: wall / runs, note };
}

function peerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
  for (const name of ['GPMON_CHROMIUM', 'PLAYWRIGHT_BROWSERS_PATH']) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

async function sectionCost(sim: SimulatorInfo): Promise<{ rows: CostRow[]; ratios: Record<string, number>; skipped: string[] }> {
  const rows: CostRow[] = [];
  const skipped: string[] = [];
  const n = QUICK ? { api: 6, browser: 4, peer: 2, ws: 4 } : { api: 20, browser: 12, peer: 5, ws: 10 };
  log(`1/5 cost per run: gpmon serve, golden-path-api, ${n.api} runs`);
  rows.push(await monitorCost(sim, 'golden-path-api', '*/3 * * * * *', n.api, 'every 3 s'));
  log(`1/5 cost per run: gpmon serve, golden-path, ${n.browser} runs`);
  rows.push(await monitorCost(sim, 'golden-path', '*/5 * * * * *', n.browser, 'every 5 s'));
  const target = {
    GPMON_TARGET: 'sim',
    GPMON_APP_URL: sim.app,
    GPMON_AUTH_URL: sim.auth,
    GPMON_API_URL: sim.api,
    GPMON_WS_URL: sim.ws,
    GPMON_LOGIN: 'form',
    GPMON_EMAIL: sim.email,
    GPMON_PASSWORD: sim.password,
  };
  /** A peer that cannot run here is reported as skipped, with why; the monitor's own rows still stand. */
  const peer = async (what: string, measure: () => Promise<CostRow | undefined>) => {
    try {
      const row = await measure();
      if (row !== undefined) rows.push(row);
    } catch (error) {
      const why = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
      skipped.push(`${what}: ${why}`);
      log(`1/5 ${what} skipped: ${why}`);
    }
  };
  await peer('npx playwright test', async () => {
    log(`1/5 cost per run: npx playwright test journeys/golden-path.spec.ts, ${n.peer} runs`);
    return peerCost('plain `npx playwright test`', 'golden-path', n.peer, 'a process per run, as from cron; the same journey file', () => ({
      command: 'npx',
      args: ['playwright', 'test', 'journeys/golden-path.spec.ts', '--reporter=line'],
      cwd: PROJECT_ROOT,
      env: peerEnv(target),
    }));
  });
  await peer('@elastic/synthetics', async () => {
    // Loaded here, so the other sections run without the peer's folder.
    const { elasticRun, ensureElasticPeer } = await import('./peers/elastic-peer.js');
    const elastic = await ensureElasticPeer();
    if (!elastic.ok) throw new Error(elastic.problem);
    const chromium = chooseChromium().executablePath ?? '';
    log(`1/5 cost per run: @elastic/synthetics ${elastic.version}, ${n.peer} runs (${chromium})`);
    return peerCost(`\`@elastic/synthetics\` ${elastic.version}`, 'golden-path', n.peer, `a process per run; ${chromium}`, () => {
      const run = elasticRun({ appUrl: sim.app, username: sim.email, password: sim.password, prompt: PROMPT, expectedAnswer: EXPECTED, chromium });
      return { ...run, env: { ...peerEnv({}), ...run.env } };
    });
  });
  await peer('ws client', async () => {
    log(`1/5 cost per run: hand-written ws client, ${n.ws} runs`);
    return peerCost('a hand-written `ws` client', 'golden-path-api', n.ws, 'node bench/peers/ws-client.mjs, a process per run', () => ({
      command: process.execPath,
      args: [join(PROJECT_ROOT, 'bench/peers/ws-client.mjs')],
      cwd: PROJECT_ROOT,
      env: peerEnv({
        GPMON_PEER_AUTH_URL: sim.auth,
        GPMON_PEER_WS_URL: sim.ws,
        GPMON_PEER_USERNAME: sim.email,
        GPMON_PEER_PASSWORD: sim.password,
        GPMON_PEER_PROMPT: PROMPT,
        GPMON_PEER_EXPECTED: EXPECTED,
      }),
    }));
  });
  const cpu = (what: string, journey: string) => rows.find((r) => r.what.includes(what) && r.journey === journey)?.cpuMsPerRun;
  const ratios: Record<string, number> = {};
  const ratio = (name: string, a: number | undefined, b: number | undefined) => {
    if (a !== undefined && b !== undefined && b > 0) ratios[name] = a / b;
  };
  ratio('browser CPU, gpmon / @elastic/synthetics (target ≤ 0.5)', cpu('gpmon', 'golden-path'), cpu('elastic', 'golden-path'));
  ratio('browser CPU, gpmon / npx playwright test', cpu('gpmon', 'golden-path'), cpu('playwright test', 'golden-path'));
  ratio('protocol CPU, gpmon / ws client (target ≤ 0.25)', cpu('gpmon', 'golden-path-api'), cpu('ws', 'golden-path-api'));
  return { rows, ratios, skipped };
}

// ── 2 and 3. Capacity, and timing fidelity at that load ───────────────────

interface LoadLevel {
  readonly targets: number;
  readonly everySeconds: number;
  readonly runsPerMinute: number;
  readonly runs: number;
  readonly passed: number;
  readonly skippedTicks: number;
  /** Tick to the run's go, ms. */
  readonly startLagMsP50: number;
  readonly startLagMsP99: number;
  readonly tickToVerdictMsP50: number;
  readonly cpuCoresUsed: number;
  readonly fidelity: Fidelity;
  readonly sustained: boolean;
  readonly why: string;
}

interface Capacity {
  readonly journey: string;
  readonly levels: LoadLevel[];
  /** The highest level sustained, runs per minute (0: none). */
  readonly sustainedRunsPerMinute: number;
}

/**
 * Holds each load of the ladder for `windowS` seconds on one monitor with
 * `maxTargets` targets (all the same simulator, each its own runner), every
 * target of a level resumed through the API and the rest paused, so one
 * start-up serves the ladder. Stops at the first load not sustained.
 */
async function capacity(sim: SimulatorProcess, journey: 'golden-path' | 'golden-path-api', ladder: readonly { targets: number; everySeconds: number }[], windowS: number): Promise<Capacity> {
  const maxTargets = Math.max(...ladder.map((l) => l.targets));
  const names = Array.from({ length: maxTargets }, (_, i) => `sim-${i + 1}`);
  const every = Math.min(...ladder.map((l) => l.everySeconds));
  if (!ladder.every((l) => l.everySeconds % every === 0)) throw new Error('capacity ladder: every cadence must be a multiple of the shortest');
  const levels: LoadLevel[] = [];
  const kind = journey === 'golden-path' ? 'browser' : 'protocol';
  const state = await sim.admin<{ latency: { render: number } }>('/state');
  // One monitor, one schedule for the ladder (the shortest cadence); a level's longer cadence pauses between its ticks would not be one monitor's, so a ladder keeps one cadence per journey.
  const serve = await trackedServe({
    sim: sim.info,
    targets: names,
    journeys: { [journey]: { enabled: true, schedule: every === 1 ? '* * * * * *' : `*/${every} * * * * *`, prompt: PROMPT, expectedAnswer: EXPECTED, targets: names } },
    runs: { concurrency: Math.min(64, maxTargets) },
  });
  try {
    // Loaded ahead (one at a time at start), then every target paused until its level.
    await until(`${journey}: every runner loaded and run once`, async () => {
      const records = await serve.runs(journey, 1000);
      return names.every((n) => records.some((r) => r.target === n));
    }, 60_000 + maxTargets * 20_000, 1000);
    if ((await serve.post(`/api/journeys/${journey}/pause`, { reason: 'bench: between loads' })) !== 200) throw new Error('capacity: the pause was refused');
    let resumed = 0;
    for (const level of ladder) {
      if (level.everySeconds !== every) throw new Error('capacity ladder: one cadence per journey');
      while (resumed < level.targets) {
        const status = await serve.post(`/api/journeys/${journey}/resume`, { target: names[resumed] });
        if (status !== 200) throw new Error(`capacity: resume ${names[resumed] ?? ''} answered ${status}`);
        resumed++;
      }
      const runsPerMinute = (level.targets * 60) / level.everySeconds;
      log(`2/5 capacity: ${journey}, ${runsPerMinute} runs/min (${level.targets} target(s) every ${level.everySeconds} s), ${windowS} s`);
      // A moment for the level's first ticks, then the window.
      await sleep(every * 1000 + 500);
      const from = Date.now();
      const skipped0 = counterSum(await serve.metrics(), 'synthetic_scheduler_skipped_runs_total', { journey });
      const cpu0 = treeCpuMs(serve.pid);
      await sleep(windowS * 1000);
      const cpu1 = treeCpuMs(serve.pid);
      const to = Date.now();
      const skippedTicks = counterSum(await serve.metrics(), 'synthetic_scheduler_skipped_runs_total', { journey }) - skipped0;
      // Runs asked for inside the window (a run asked near its end may still run: waited for below).
      await sleep(Math.min(10_000, every * 1000 + 5_000));
      const records = (await serve.runs(journey, 1000)).filter((r) => askedAt(r) >= from && askedAt(r) < to);
      const observed = (await sim.admin<{ runs: ObservedRun[] }>(`/observed-runs?since=${from - 5_000}`)).runs;
      const accuracy = ACCURACY[kind];
      const fidelity = fidelityOf(records.filter((r) => r.outcome === 'passed'), observed, { runsDir: join(serve.dir, 'runs'), ...accuracy, ...(kind === 'browser' ? { renderMs: state.latency.render } : {}) });
      const lags = records.map((r) => Date.parse(r.startedAt) - Math.floor(askedAt(r) / (every * 1000)) * every * 1000);
      const expected = Math.floor((windowS / level.everySeconds) * level.targets);
      const passed = records.filter((r) => r.outcome === 'passed').length;
      const problems: string[] = [];
      if (skippedTicks > 0) problems.push(`${skippedTicks} tick(s) skipped`);
      if (passed < records.length) problems.push(`${records.length - passed} run(s) did not pass (${records.find((r) => r.outcome !== 'passed')?.failure?.message ?? ''})`);
      if (records.length < expected - level.targets) problems.push(`${records.length} runs, ${expected} ticks`);
      if (!fidelity.within) problems.push(`timing outside the accuracy targets: ${fidelity.figures.filter((f) => !f.within).map((f) => `${f.figure} ${f.medianErrorMs.toFixed(1)} ms (±${f.toleranceMs.toFixed(0)})`).join(', ') || 'no run matched its truth'}`);
      const sustained = problems.length === 0;
      levels.push({
        targets: level.targets,
        everySeconds: level.everySeconds,
        runsPerMinute,
        runs: records.length,
        passed,
        skippedTicks,
        startLagMsP50: quantile(lags, 0.5),
        startLagMsP99: quantile(lags, 0.99),
        tickToVerdictMsP50: quantile(records.map(tickToVerdictMs), 0.5),
        cpuCoresUsed: (cpu1 - cpu0) / (to - from),
        fidelity,
        sustained,
        why: sustained ? 'sustained' : problems.join('; '),
      });
      log(`2/5   ${sustained ? 'sustained' : `not sustained: ${problems.join('; ')}`}`);
      if (!sustained) break;
    }
  } finally {
    await serve.stop();
  }
  const best = levels.filter((l) => l.sustained).at(-1);
  return { journey, levels, sustainedRunsPerMinute: best?.runsPerMinute ?? 0 };
}

// ── 4. Soak ───────────────────────────────────────────────────────────────

interface Soak {
  readonly minutes: number;
  readonly mix: Record<string, string>;
  readonly runs: number;
  readonly failed: number;
  readonly errored: number;
  readonly errorLogLines: number;
  /** RSS, MB, the median of the samples in the half minute before the mark. */
  readonly rssAtMinute2: { monitor: number; runners: number; browsers: number };
  readonly rssAtEnd: { monitor: number; runners: number; browsers: number };
  readonly growthMb: { monitor: number; runners: number; browsers: number; total: number };
  readonly browserProcessesLeft: number;
  readonly processesLeft: number;
}

/** The shipped journeys at a realistic mix, sped up so ten minutes holds hundreds of runs and every runner recycles its way once. */
const SOAK_MIX: Record<string, string> = {
  'golden-path': '*/15 * * * * *',
  'golden-path-api': '*/10 * * * * *',
  'thread-follow-up': '5,35 * * * * *',
  'token-refresh': '20 * * * * *',
  'platform-health': '25,55 * * * * *',
  'ws-auth-enforced': '40 * * * * *',
  'concurrent-sessions': '50 * * * * *',
};

async function soak(sim: SimulatorInfo, minutes: number): Promise<Soak> {
  const mark = randomUUID();
  const journeys: Record<string, Record<string, unknown>> = {};
  for (const [name, schedule] of Object.entries(SOAK_MIX)) journeys[name] = { enabled: true, schedule };
  // Browsers get an environment of their own (no mark): those running before the soak are known, any other left after it is the monitor's.
  const browsersBefore = new Set(allProcesses().filter(isBrowserProcess).map((p) => `${p.pid}:${p.startTicks}`));
  const serve = await trackedServe({ sim, targets: ['sim'], journeys, runs: { passEnv: ['BENCH_SOAK_MARK'] }, env: { BENCH_SOAK_MARK: mark } });
  const started = Date.now();
  const samples: { at: number; monitor: number; runners: number; browsers: number }[] = [];
  let records: RunRecord[] = [];
  let errorLogLines: number;
  try {
    while (Date.now() - started < minutes * 60_000) {
      const rss = treeRssMb(serve.pid);
      samples.push({ at: Date.now() - started, monitor: rss.root, runners: rss.others, browsers: rss.browsers });
      await sleep(5_000);
    }
    for (const name of Object.keys(SOAK_MIX)) records = records.concat(await serve.runs(name, 1000));
    errorLogLines = serve.errorLines().length;
  } finally {
    await serve.stop();
  }
  await sleep(2_000);
  const left = allProcesses().filter((p) => {
    if (isBrowserProcess(p)) return !browsersBefore.has(`${p.pid}:${p.startTicks}`);
    try {
      return readFileSync(`/proc/${p.pid}/environ`, 'latin1').includes(`BENCH_SOAK_MARK=${mark}`);
    } catch {
      return false;
    }
  });
  const at = (fromMs: number, toMs: number) => {
    const window = samples.filter((s) => s.at >= fromMs && s.at <= toMs);
    const median = (key: 'monitor' | 'runners' | 'browsers') => quantile(window.map((s) => s[key]), 0.5);
    return { monitor: median('monitor'), runners: median('runners'), browsers: median('browsers') };
  };
  const early = at(90_000, 120_000);
  const late = at(minutes * 60_000 - 30_000, minutes * 60_000);
  const growth = { monitor: late.monitor - early.monitor, runners: late.runners - early.runners, browsers: late.browsers - early.browsers, total: 0 };
  growth.total = growth.monitor + growth.runners + growth.browsers;
  return {
    minutes,
    mix: SOAK_MIX,
    runs: records.length,
    failed: records.filter((r) => r.outcome === 'failed').length,
    errored: records.filter((r) => r.outcome === 'error').length,
    errorLogLines,
    rssAtMinute2: early,
    rssAtEnd: late,
    growthMb: growth,
    browserProcessesLeft: left.filter(isBrowserProcess).length,
    processesLeft: left.length,
  };
}

// ── 5. Scrape cost ────────────────────────────────────────────────────────

interface Scrape {
  readonly journeys: number;
  readonly steps: number;
  readonly targets: number;
  readonly series: number;
  readonly bytes: number;
  readonly scrapes: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly cpuMsPerScrape: number;
}

/**
 * 20 journey files of 5 steps each (never scheduled within the bench) in a
 * folder of their own, for journeyDirs: inside the project, where their
 * import of `golden-path-monitor/kit` resolves (a package's self-reference),
 * as it does in a user's project that installed it.
 */
function scrapeJourneys(count: number): { dir: string; names: string[] } {
  const dir = mkdtempSync(join(PROJECT_ROOT, 'bench', '.journeys-'));
  const names: string[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `scrape-${String(i).padStart(2, '0')}`;
    names.push(name);
    writeFileSync(
      join(dir, `${name}.spec.ts`),
      `import { defineJourney } from 'golden-path-monitor/kit';

const STEPS = ['login', 'connect', 'agent_request', 'live_events', 'ai_response'];

export default defineJourney(
  { name: '${name}', kind: 'protocol', steps: STEPS, schedule: '0 0 0 1 1 *', timeoutMs: 30_000, description: 'bench: series for the scrape cost' },
  async ({ run }) => {
    for (const step of STEPS) await run.step(step, async () => undefined);
  },
);
`,
    );
  }
  return { dir, names };
}

async function scrapeCost(sim: SimulatorInfo, scrapes: number): Promise<Scrape> {
  const { dir, names } = scrapeJourneys(20);
  const removeJourneys = () => {
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(removeJourneys);
  const journeys: Record<string, Record<string, unknown>> = {};
  for (const name of names) journeys[name] = { enabled: true };
  const serve = await trackedServe({ sim, targets: ['sim-a', 'sim-b'], journeys, runs: { prewarm: false }, extra: { journeyDirs: [dir] } });
  try {
    const first = await serve.metrics();
    const series = first.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    const times: number[] = [];
    const cpu0 = treeCpuMs(serve.pid);
    for (let i = 0; i < scrapes; i++) {
      const t0 = performance.now();
      const response = await fetch(`${serve.url}/metrics`);
      // To the last byte; bytes, not text, so the bench's own decoding is not the scrape's time.
      await response.arrayBuffer();
      times.push(performance.now() - t0);
    }
    const cpu1 = treeCpuMs(serve.pid);
    return { journeys: 20, steps: 5, targets: 2, series, bytes: Buffer.byteLength(first), scrapes, p50Ms: quantile(times, 0.5), p99Ms: quantile(times, 0.99), maxMs: Math.max(...times), cpuMsPerScrape: (cpu1 - cpu0) / scrapes };
  } finally {
    await serve.stop();
    removeJourneys();
    cleanups.delete(removeJourneys);
  }
}

// ── main ──────────────────────────────────────────────────────────────────

const began = Date.now();
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString(), chromium: chooseChromium().executablePath ?? 'playwright' };
log(`machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}; browser ${machine.chromium}${QUICK ? '; --quick: not for the README' : ''}`);
const sim = tracked(await startSimulatorProcess());
const result: Record<string, unknown> = { machine, quick: QUICK, sections: [...SECTIONS] };
const failures: string[] = [];
/** Runs one section; a section that fails is reported with why, and the others still run (the JSON so far is kept after each). */
async function section(name: string, key: string, measure: () => Promise<unknown>): Promise<void> {
  try {
    result[key] = await measure();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    failures.push(`${name}: ${why}`);
    log(`${name} failed: ${why}`);
  }
  mkdirSync(dirname(JSON_FILE), { recursive: true });
  writeFileSync(JSON_FILE, `${JSON.stringify({ ...result, failures }, null, 2)}\n`);
}
try {
  if (SECTIONS.has(1)) await section('1. cost per run', 'cost', () => sectionCost(sim.info));
  if (SECTIONS.has(2) || SECTIONS.has(3)) {
    const window = QUICK ? 20 : 25;
    // Doubling ladders, topped where this machine gave out (2 cores): the protocol journey still held 480 a minute, the browser journey 120.
    await section('2. capacity', 'capacity', async () => [
      await capacity(sim, 'golden-path-api', [4, 8, 16, 32].map((targets) => ({ targets, everySeconds: 2 })), window),
      await capacity(sim, 'golden-path', [4, 8, 12, 16].map((targets) => ({ targets, everySeconds: 4 })), window),
    ]);
  }
  if (SECTIONS.has(4)) {
    log(`4/5 soak: ${SOAK_MINUTES} min`);
    await section('4. soak', 'soak', () => soak(sim.info, SOAK_MINUTES));
  }
  if (SECTIONS.has(5)) {
    log(`5/5 scrape cost: ${QUICK ? 200 : 1000} scrapes`);
    await section('5. scrape', 'scrape', () => scrapeCost(sim.info, QUICK ? 200 : 1000));
  }
} finally {
  await sim.stop();
}
result.minutes = (Date.now() - began) / 60_000;
writeFileSync(JSON_FILE, `${JSON.stringify({ ...result, failures }, null, 2)}\n`);
print(result);
if (failures.length > 0) {
  console.log(`\n${failures.length} section(s) failed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
  process.exitCode = 1;
}

function print(r: Record<string, unknown>): void {
  const out: string[] = [];
  out.push(`\ngpmon cost per run, ${machine.date.slice(0, 10)}, ${machine.cpus} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.chromium}${QUICK ? ' (--quick)' : ''}`);
  const cost = r.cost as Awaited<ReturnType<typeof sectionCost>> | undefined;
  if (cost !== undefined) {
    out.push('\n1. CPU and wall per run (whole process trees; healthy runs against the same simulator)');
    out.push(`${'what'.padEnd(40)} ${'journey'.padEnd(16)} ${'runs'.padStart(4)} ${'CPU/run'.padStart(10)} ${'wall/run'.padStart(10)}  note`);
    for (const row of cost.rows) out.push(`${row.what.padEnd(40)} ${row.journey.padEnd(16)} ${String(row.runs).padStart(4)} ${ms(row.cpuMsPerRun).padStart(10)} ${ms(row.wallMsPerRun).padStart(10)}  ${row.note}`);
    for (const [name, value] of Object.entries(cost.ratios)) out.push(`  ${name}: ${value.toFixed(2)}×`);
    for (const s of cost.skipped) out.push(`  skipped: ${s}`);
  }
  const caps = r.capacity as Capacity[] | undefined;
  if (caps !== undefined) {
    out.push('\n2. Capacity: one monitor, each load held for its window; sustained = no skipped tick, every run passed, timing within the accuracy targets');
    for (const cap of caps) {
      out.push(`${cap.journey}: sustained ${cap.sustainedRunsPerMinute} runs/min`);
      for (const l of cap.levels) {
        out.push(`  ${String(l.runsPerMinute).padStart(4)} runs/min (${l.targets} targets × every ${l.everySeconds} s): ${l.runs} runs, ${l.passed} passed, ${l.skippedTicks} skipped ticks, tick to go p50 ${ms(l.startLagMsP50)} p99 ${ms(l.startLagMsP99)}, tick to verdict p50 ${ms(l.tickToVerdictMsP50)}, ${l.cpuCoresUsed.toFixed(2)} cores: ${l.why}`);
      }
    }
    out.push('\n3. Timing fidelity at the highest load sustained (each run against the simulator\'s own truth for it; median error over the runs, tolerance as the timing-accuracy test)');
    for (const cap of caps) {
      const top = cap.levels.filter((l) => l.sustained).at(-1) ?? cap.levels[0];
      if (top === undefined) continue;
      out.push(`${cap.journey} at ${top.runsPerMinute} runs/min (${top.fidelity.matched} runs matched to their truth${top.fidelity.unmatched > 0 ? `, ${top.fidelity.unmatched} not` : ''}):`);
      for (const f of top.fidelity.figures) out.push(`  ${f.figure.padEnd(32)} median error ${f.medianErrorMs.toFixed(1).padStart(6)} ms (tolerance ±${f.toleranceMs.toFixed(0)}), p90 |error| ${f.p90AbsErrorMs.toFixed(1)} ms, max ${f.maxAbsErrorMs.toFixed(1)} ms, n=${f.runs}`);
    }
  }
  const s = r.soak as Soak | undefined;
  if (s !== undefined) {
    out.push(`\n4. Soak: ${s.minutes} min, the shipped journeys (${Object.entries(s.mix).map(([k, v]) => `${k} ${v}`).join('; ')})`);
    out.push(`  ${s.runs} runs: ${s.failed} failed, ${s.errored} monitor errors; ${s.errorLogLines} error log lines`);
    const fmt = (x: { monitor: number; runners: number; browsers: number }) => `monitor ${x.monitor.toFixed(0)} MB, runners ${x.runners.toFixed(0)} MB, browsers ${x.browsers.toFixed(0)} MB`;
    out.push(`  RSS at minute 2: ${fmt(s.rssAtMinute2)}`);
    out.push(`  RSS at minute ${s.minutes}: ${fmt(s.rssAtEnd)}`);
    out.push(`  growth: ${fmt(s.growthMb)}; total ${s.growthMb.total.toFixed(0)} MB (target < 20 MB)`);
    out.push(`  left after the monitor stopped: ${s.browserProcessesLeft} browser processes, ${s.processesLeft} processes of its own (target 0)`);
  }
  const sc = r.scrape as Scrape | undefined;
  if (sc !== undefined) {
    out.push(`\n5. /metrics scrape: ${sc.journeys} journeys × ${sc.steps} steps × ${sc.targets} targets: ${sc.series.toLocaleString('en-US')} series, ${Math.round(sc.bytes / 1024)} KiB`);
    out.push(`  ${sc.scrapes} scrapes: p50 ${sc.p50Ms.toFixed(1)} ms, p99 ${sc.p99Ms.toFixed(1)} ms, max ${sc.maxMs.toFixed(1)} ms (target p99 < 20 ms); ${sc.cpuMsPerScrape.toFixed(1)} ms CPU per scrape`);
  }
  out.push(`\nbench: ${(r.minutes as number).toFixed(1)} min; JSON in ${JSON_FILE}`);
  console.log(out.join('\n'));
}

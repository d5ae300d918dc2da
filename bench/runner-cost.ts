/**
 * CPU and wall per run, a child per run against a warm runner, for both
 * golden paths, as the scheduler drives them (the next run loaded ahead, a
 * pause between runs). CPU is the whole machine's busy time (/proc/stat) over
 * the runs, less the machine's idle busy time measured first, divided by the
 * runs: the monitor, its children (the next one loaded, the last one
 * stopped), their browsers and the in-process simulator together, on an
 * otherwise idle machine. The browser journey runs in the browser the
 * monitor chooses (Debian's headless shell where installed) and, where
 * Debian's full Chromium is there too, in that one (GPMON_CHROMIUM).
 *
 *   npm run bench:runner     # or: npx tsx bench/runner-cost.ts [--runs N] [--json FILE]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator, simulatorTarget } from '../src/simulator/simulator.js';
import { shippedJourney } from '../src/catalog/shipped.js';
import type { JourneyDefinition } from '../src/model/journey.js';
import { Executor } from '../src/run/executor.js';
import { journeyRunSettings } from '../src/config/resolve.js';
import { CHROMIUM_ENV_VAR, DEBIAN_CHROMIUM, chooseChromium } from '../src/browser/chromium.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, json: { type: 'string' } } });
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 2 || RUNS > 1000) {
  console.error(`--runs: "${values.runs}" must be a whole number from 2 to 1000`);
  process.exit(2);
}
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PAUSE_MS = 1500;
const TICK_MS = 10; // USER_HZ: /proc/stat counts in hundredths of a second

/** Busy time of the whole machine so far, ms (every CPU: user, nice, system, irq, softirq, steal). */
function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'latin1').split('\n')[0] ?? '';
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) * TICK_MS;
}

const sim = await startSimulator();
const d = sim.description;
const target = simulatorTarget(d);
const secrets = { password: d.password, bypassKey: d.bypassKey };
const inputs = { prompt: 'bench', expectedAnswer: '^Golden path OK' };
const runsDir = mkdtempSync(join(tmpdir(), 'gpmon-bench-'));

interface Row { journey: string; browser: string; runner: string; runs: number; cpuMsPerRun: number; wallMsPerRun: number }

/** The browsers a browser journey is measured in: the monitor's own choice, and Debian's full Chromium where that is another. */
function browsers(): { label: string; path: string | undefined }[] {
  const chosen = chooseChromium();
  const list = [{ label: chosen.executablePath ?? 'playwright', path: process.env[CHROMIUM_ENV_VAR] }];
  if (chosen.executablePath !== DEBIAN_CHROMIUM && existsSync(DEBIAN_CHROMIUM)) list.push({ label: DEBIAN_CHROMIUM, path: DEBIAN_CHROMIUM });
  return list;
}

/** The machine's busy time per pause with nothing of ours running (the simulator idle, no child): subtracted, so a row is the runs' own cost. */
async function idleBusyMs(): Promise<number> {
  const before = machineBusyMs();
  await sleep(PAUSE_MS * 4);
  return (machineBusyMs() - before) / 4;
}

async function measure(journey: JourneyDefinition, browser: string, runnerRuns: number, idle: number): Promise<Row> {
  const executor = new Executor({ projectRoot: ROOT, runsDir, keepWarm: true, runnerRuns });
  // The run's settings in every request and prepare (the executor has no defaults): the journey's deadline, the step timeout it used to default to.
  const spec = { journey, target, secrets, ...journeyRunSettings(journey, { stepTimeoutMs: 15_000 }) };
  try {
    // The first child's cold start is not a run's cost in either mode: it happens once per process lifetime.
    await executor.prepare(spec);
    const first = await executor.run({ ...spec, trigger: 'schedule', inputs });
    if (first.outcome !== 'passed') throw new Error(`${journey.name}: ${first.outcome} ${first.failure?.message ?? ''}`);
    let wall = 0;
    const cpu0 = machineBusyMs();
    for (let i = 0; i < RUNS; i++) {
      // As the scheduler does: the next child is loaded (or the runner waits) well before the tick.
      await executor.prepare(spec);
      await sleep(PAUSE_MS);
      const tick = performance.now();
      const record = await executor.run({ ...spec, trigger: 'schedule', inputs });
      wall += performance.now() - tick;
      if (record.outcome !== 'passed') throw new Error(`${journey.name}: ${record.outcome} ${record.failure?.message ?? ''}`);
    }
    await executor.prepare(spec);
    const cpu = machineBusyMs() - cpu0 - idle * RUNS;
    return { journey: journey.name, browser, runner: runnerRuns === 1 ? 'a child per run' : `warm runner (${runnerRuns} runs)`, runs: RUNS, cpuMsPerRun: cpu / RUNS, wallMsPerRun: wall / RUNS };
  } finally {
    await executor.close();
  }
}

const rows: Row[] = [];
const idle = await idleBusyMs();
try {
  for (const name of ['golden-path-api', 'golden-path']) {
    const journey = await shippedJourney(name);
    for (const browser of journey.kind === 'browser' ? browsers() : [{ label: '-', path: process.env[CHROMIUM_ENV_VAR] }]) {
      // The executor passes GPMON_CHROMIUM on to its children.
      if (browser.path === undefined) Reflect.deleteProperty(process.env, CHROMIUM_ENV_VAR);
      else process.env[CHROMIUM_ENV_VAR] = browser.path;
      for (const runnerRuns of [1, 50]) {
        const row = await measure(journey, browser.label, runnerRuns, idle);
        process.stderr.write(`runner-cost: ${row.journey}, ${row.browser}, ${row.runner}: ${row.cpuMsPerRun.toFixed(0)} ms CPU, ${row.wallMsPerRun.toFixed(0)} ms wall per run\n`);
        rows.push(row);
      }
    }
  }
} finally {
  await sim.stop();
  rmSync(runsDir, { recursive: true, force: true });
}
console.log(`\nCPU and wall per run, tick to record (${RUNS} runs each, after one run not counted; machine busy time, idle subtracted)`);
console.log('journey           browser                                     runner                      CPU/run     wall/run');
for (const row of rows) console.log(`${row.journey.padEnd(17)} ${row.browser.padEnd(43)} ${row.runner.padEnd(26)} ${row.cpuMsPerRun.toFixed(0).padStart(6)} ms  ${row.wallMsPerRun.toFixed(0).padStart(6)} ms`);
console.log(`(the machine's idle busy time, ${idle.toFixed(0)} ms per ${PAUSE_MS} ms pause, subtracted)`);
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ runs: RUNS, idleBusyMsPerPause: idle, rows }, null, 2)}\n`);

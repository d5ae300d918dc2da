/**
 * Per-run cost of the executor: tick (run asked for) to record, minus the time
 * the journey spent on the target (the sum of its steps as measured where the
 * user is). Scheduled mode (a child loaded ahead of the tick, a shared browser)
 * against cold mode (a child started at the tick, its own browser).
 *
 *   npm run bench:runner     # or: npx tsx bench/run-overhead.ts [--runs N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
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
import type { RunRecord } from '../src/model/run-record.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '8' }, cold: { type: 'string', default: '3' } } });
const RUNS = Number(values.runs);
const COLD = Number(values.cold);
const ROOT = fileURLToPath(new URL('../', import.meta.url));

const sim = await startSimulator();
const d = sim.description;
const target = simulatorTarget(d);
const secrets = { password: d.password, bypassKey: d.bypassKey };
const inputs = { prompt: 'bench', expectedAnswer: '^Golden path OK' };
const runsDir = mkdtempSync(join(tmpdir(), 'gpmon-bench-'));

interface Sample { total: number; target: number; overhead: number }

function sample(record: RunRecord, total: number): Sample {
  if (record.outcome !== 'passed') throw new Error(`run ${record.id} ${record.outcome}: ${record.failure?.reason ?? ''} ${record.failure?.message ?? ''}`);
  const targetTime = record.steps.reduce((sum, step) => sum + (step.durationMs ?? 0), 0);
  return { total, target: targetTime, overhead: total - targetTime };
}

function stats(samples: Sample[], key: keyof Sample): string {
  const sorted = samples.map((s) => s[key]).sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return `median ${pick(0.5).toFixed(0).padStart(5)} ms  p90 ${pick(0.9).toFixed(0).padStart(5)} ms  max ${(sorted.at(-1) ?? NaN).toFixed(0).padStart(5)} ms`;
}

async function measure(journey: JourneyDefinition, executor: Executor, runs: number, warm: boolean): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    if (warm) {
      // As the scheduler does: the child is loaded well before the tick.
      await executor.prepare({ journey, target, secrets, ...journeyRunSettings(journey, { stepTimeoutMs: 15_000 }) });
      await sleep(1500);
    }
    const tick = performance.now();
    const record = await executor.run({ journey, target, secrets, trigger: 'schedule', inputs, ...journeyRunSettings(journey, { stepTimeoutMs: 15_000 }) });
    samples.push(sample(record, performance.now() - tick));
  }
  return samples;
}

const lines: string[] = [];
try {
  for (const name of ['golden-path-api', 'golden-path']) {
    const journey = await shippedJourney(name);
    const scheduled = new Executor({ projectRoot: ROOT, runsDir, keepWarm: true });
    await measure(journey, scheduled, 1, true); // the first child's cold start is not a scheduled run's cost
    const warm = await measure(journey, scheduled, RUNS, true);
    await scheduled.close();
    const coldExecutor = new Executor({ projectRoot: ROOT, runsDir });
    const cold = await measure(journey, coldExecutor, COLD, false);
    await coldExecutor.close();
    lines.push(
      `${name} (target time ${stats(warm, 'target')})`,
      `  scheduled (loaded ahead, browser up)    , ${RUNS} runs: overhead ${stats(warm, 'overhead')}`,
      `  cold (started at the tick), ${COLD} runs:                 overhead ${stats(cold, 'overhead')}`,
    );
  }
} finally {
  await sim.stop();
  rmSync(runsDir, { recursive: true, force: true });
}
console.log('per-run overhead = tick to record minus the journey’s own step time');
for (const line of lines) console.log(line);

/**
 * False-failure check: many healthy runs against the simulator, in scheduled
 * mode, must all pass. Exit 1 on any run that did not.
 *
 *   npm run soak             # or: npx tsx bench/healthy-soak.ts [--api N] [--browser N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startSimulator, simulatorTarget } from '../src/simulator/simulator.js';
import { shippedJourney } from '../src/catalog/shipped.js';
import { Executor } from '../src/run/executor.js';
import { journeyRunSettings } from '../src/config/resolve.js';

const { values } = parseArgs({ options: { api: { type: 'string', default: '50' }, browser: { type: 'string', default: '10' } } });
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const sim = await startSimulator();
const d = sim.description;
const target = simulatorTarget(d);
const secrets = { password: d.password, bypassKey: d.bypassKey };
const runsDir = mkdtempSync(join(tmpdir(), 'gpmon-soak-'));
const executor = new Executor({ projectRoot: ROOT, runsDir, keepWarm: true });
let bad = 0;
try {
  for (const [name, count] of [['golden-path-api', Number(values.api)], ['golden-path', Number(values.browser)]] as const) {
    const journey = await shippedJourney(name);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const record = await executor.run({ journey, target, secrets, trigger: 'schedule', inputs: { prompt: `soak ${i}`, expectedAnswer: '^Golden path OK' }, ...journeyRunSettings(journey, { stepTimeoutMs: 15_000 }) });
      const key = record.outcome === 'passed' ? 'passed' : `${record.outcome} ${record.failure?.step ?? ''}/${record.failure?.reason ?? ''}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (record.outcome !== 'passed') {
        bad++;
        console.log(`  run ${i + 1}: ${key}: ${record.failure?.message ?? ''}`);
      }
    }
    console.log(`${name}: ${count} healthy runs: ${[...outcomes].map(([k, v]) => `${v} ${k}`).join(', ')}`);
  }
} finally {
  await executor.close();
  await sim.stop();
  rmSync(runsDir, { recursive: true, force: true });
}
console.log(bad === 0 ? 'no false failure' : `${bad} false failure(s)`);
process.exitCode = bad === 0 ? 0 : 1;

/**
 * The verdict campaign: every simulator fault × every journey it applies to ×
 * --repeat runs, plus --healthy-api healthy golden-path-api runs and
 * --healthy-browser healthy golden-path runs, and --healthy-platform healthy
 * runs of each of token-refresh, concurrent-sessions and platform-health
 * (platform-health over TLS too), all end to end through the
 * executor (a `playwright test` child per run, loaded ahead as under
 * `gpmon serve`). Prints, per fault and journey, the expected step/reason
 * against what was reported, the confusion table (expected × reported, over
 * every run), and the false failures among the healthy runs; writes the same
 * as JSON. A row is right only when every repetition is.
 *
 *   npm run campaign      # or: npx tsx bench/campaign.ts [--repeat 3] [--healthy-api 300]
 *                         #   [--healthy-browser 50] [--healthy-platform 30] [--step-timeout 5000] [--json FILE]
 *
 * Exit 0 when every row is right and no healthy run failed; 1 otherwise.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startSimulator, simulatorTarget } from '../src/simulator/simulator.js';
import { shippedJourney } from '../src/catalog/shipped.js';
import type { JourneyDefinition } from '../src/model/journey.js';
import { Executor } from '../src/run/executor.js';
import { journeyRunSettings } from '../src/config/resolve.js';
import type { Fault } from '../src/simulator/profile.js';
import type { RunRecord } from '../src/model/run-record.js';
import { FAULT_MATRIX, label, type Expectation } from '../test/helpers/fault-matrix.js';

const USAGE = 'usage: npx tsx bench/campaign.ts [--repeat N] [--healthy-api N] [--healthy-browser N] [--healthy-platform N] [--step-timeout MS] [--json FILE]';
let parsed: ReturnType<typeof parseCampaignArgs>;
function parseCampaignArgs() {
  return parseArgs({
    options: {
      repeat: { type: 'string', default: '3' },
      'healthy-api': { type: 'string', default: '300' },
      'healthy-browser': { type: 'string', default: '50' },
      'healthy-platform': { type: 'string', default: '30' },
      'step-timeout': { type: 'string', default: '5000' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowNegative: false,
  });
}
try {
  parsed = parseCampaignArgs();
} catch (error) {
  console.error(`campaign: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}
if (parsed.values.help) {
  console.log(USAGE);
  process.exit(0);
}
const values = parsed.values;
const count = (name: string, value: string | undefined, min: number): number => {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < min) {
    console.error(`campaign: --${name} must be a whole number ≥ ${min}, not "${value ?? ''}"\n${USAGE}`);
    process.exit(2);
  }
  return Number(value);
};
const REPEAT = count('repeat', values.repeat, 1);
const HEALTHY_API = count('healthy-api', values['healthy-api'], 0);
const HEALTHY_BROWSER = count('healthy-browser', values['healthy-browser'], 0);
const HEALTHY_PLATFORM = count('healthy-platform', values['healthy-platform'], 0);
const STEP_TIMEOUT_MS = count('step-timeout', values['step-timeout'], 1000);
const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** What a run reported, in the table's terms: `pass`, `step/reason`, or `error step/reason` for the monitor's own fault. */
function reported(record: RunRecord): string {
  if (record.outcome === 'passed') return 'pass';
  const where = `${record.failure?.step ?? '?'}/${record.failure?.reason ?? '?'}`;
  return record.outcome === 'error' ? `error ${where}` : where;
}

function expectedLabel(expected: Expectation): string {
  if (expected === 'pass') return 'pass';
  return expected.reason === 'monitor_error' ? `error ${expected.step}/${expected.reason}` : `${expected.step}/${expected.reason}`;
}

interface Row {
  readonly fault: string;
  readonly journey: string;
  readonly expected: string;
  readonly reported: Record<string, number>;
  readonly right: boolean;
  readonly messages: string[];
}

const sim = await startSimulator();
const d = sim.description;
const target = simulatorTarget(d);
// concurrent-sessions needs a user per session: the E2E bypass login gives one per email.
const bypassTarget = simulatorTarget(d, 'bypass');
// The rows about certificates run platform-health against a simulator that serves TLS, its target trusting its CA.
const tlsSim = await startSimulator({ tls: true });
const tlsTarget = simulatorTarget(tlsSim.description);
const tlsSecrets = { password: tlsSim.description.password, bypassKey: tlsSim.description.bypassKey };
const secrets = { password: d.password, bypassKey: d.bypassKey };
const inputs = { prompt: 'campaign', expectedAnswer: '^Golden path OK' };
const runsDir = mkdtempSync(join(tmpdir(), 'gpmon-campaign-'));
const executor = new Executor({ projectRoot: ROOT, runsDir, keepWarm: 'overlap' });
const started = Date.now();
// Ctrl-C stops the campaign with nothing of it left: the children and their browsers, the simulator, the runs folder.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void executor
      .close()
      .then(() => Promise.all([sim.stop(), tlsSim.stop()]))
      .finally(() => {
        rmSync(runsDir, { recursive: true, force: true });
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
  });
}

// Discovered once per journey: a discovery imports the journey files afresh.
const journeys = new Map<string, Promise<JourneyDefinition>>();

async function runOnce(journeyName: string, stepTimeoutMs: number, tls: boolean): Promise<RunRecord> {
  const journey = await (journeys.get(journeyName) ?? journeys.set(journeyName, shippedJourney(journeyName)).get(journeyName));
  if (journey === undefined) throw new Error(journeyName);
  // The row's step timeout over the journey's own settings (deadline, artifact policy): the request carries them whole.
  const settings = journeyRunSettings(journey, { stepTimeoutMs });
  if (tls) return executor.run({ journey, target: tlsTarget, secrets: tlsSecrets, trigger: 'manual', inputs, ...settings });
  return executor.run({ journey, target: journeyName === 'concurrent-sessions' ? bypassTarget : target, secrets, trigger: 'manual', inputs, ...settings });
}

async function cell(fault: Fault | undefined, journey: string, expected: Expectation, runs: number, stepTimeoutMs: number, tls = false): Promise<Row> {
  const tally: Record<string, number> = {};
  const messages: string[] = [];
  const state = tls ? tlsSim.state : sim.state;
  for (let i = 0; i < runs; i++) {
    state.clearFaults();
    if (fault !== undefined) state.enable(fault);
    await state.faultsApplied();
    const record = await runOnce(journey, stepTimeoutMs, tls);
    const got = reported(record);
    tally[got] = (tally[got] ?? 0) + 1;
    if (got !== expectedLabel(expected) && messages.length < 3) messages.push(`${got}: ${record.failure?.message ?? ''}`.slice(0, 200));
  }
  state.clearFaults();
  await state.faultsApplied();
  const row = { fault: fault === undefined ? 'healthy' : label(fault) + (tls ? ' (tls)' : ''), journey, expected: expectedLabel(expected), reported: tally, right: (tally[expectedLabel(expected)] ?? 0) === runs, messages };
  process.stderr.write(`${row.right ? 'ok  ' : 'MISS'} ${row.fault} × ${journey}: ${JSON.stringify(tally)} (${Math.round((Date.now() - started) / 1000)} s)\n`);
  return row;
}

const rows: Row[] = [];
try {
  for (const row of FAULT_MATRIX) {
    const stepTimeoutMs = row.stepTimeoutMs ?? STEP_TIMEOUT_MS;
    rows.push(await cell(row.fault, 'golden-path-api', row.api, REPEAT, stepTimeoutMs));
    if (row.browser !== null) rows.push(await cell(row.fault, 'golden-path', row.browser, REPEAT, stepTimeoutMs));
    if (row.authEnforced !== undefined) rows.push(await cell(row.fault, 'ws-auth-enforced', row.authEnforced, REPEAT, stepTimeoutMs));
    if (row.followUp !== undefined) rows.push(await cell(row.fault, 'thread-follow-up', row.followUp, REPEAT, stepTimeoutMs));
    if (row.tokenRefresh !== undefined) rows.push(await cell(row.fault, 'token-refresh', row.tokenRefresh, REPEAT, stepTimeoutMs));
    if (row.concurrent !== undefined) rows.push(await cell(row.fault, 'concurrent-sessions', row.concurrent, REPEAT, stepTimeoutMs));
    if (row.health !== undefined) rows.push(await cell(row.fault, 'platform-health', row.health, REPEAT, stepTimeoutMs, row.tls === true));
  }
  rows.push(await cell(undefined, 'golden-path-api', 'pass', HEALTHY_API, STEP_TIMEOUT_MS));
  rows.push(await cell(undefined, 'golden-path', 'pass', HEALTHY_BROWSER, STEP_TIMEOUT_MS));
  for (const journey of ['token-refresh', 'concurrent-sessions', 'platform-health']) rows.push(await cell(undefined, journey, 'pass', HEALTHY_PLATFORM, STEP_TIMEOUT_MS));
  rows.push(await cell(undefined, 'platform-health', 'pass', HEALTHY_PLATFORM, STEP_TIMEOUT_MS, true));
} finally {
  await executor.close();
  await sim.stop();
  await tlsSim.stop();
  rmSync(runsDir, { recursive: true, force: true });
}

const faultRows = rows.filter((row) => !row.fault.startsWith('healthy'));
const healthyRows = rows.filter((row) => row.fault.startsWith('healthy'));
const healthyRuns = healthyRows.reduce((sum, row) => sum + Object.values(row.reported).reduce((a, b) => a + b, 0), 0);
const falseFailures = healthyRows.reduce((sum, row) => sum + Object.entries(row.reported).filter(([got]) => got !== 'pass').reduce((a, [, n]) => a + n, 0), 0);

// The confusion table over every run: expected (rows) × reported (columns).
const confusion = new Map<string, Map<string, number>>();
for (const row of rows) {
  const line = confusion.get(row.expected) ?? new Map<string, number>();
  for (const [got, n] of Object.entries(row.reported)) line.set(got, (line.get(got) ?? 0) + n);
  confusion.set(row.expected, line);
}
const columns = [...new Set(rows.flatMap((row) => Object.keys(row.reported)))].sort();

const out: string[] = [];
out.push(`## Verdict campaign, ${new Date().toISOString().slice(0, 10)}: ${faultRows.length} fault × journey rows × ${REPEAT}, ${HEALTHY_API} healthy golden-path-api, ${HEALTHY_BROWSER} healthy golden-path and ${HEALTHY_PLATFORM} healthy runs of each platform journey (step timeout ${STEP_TIMEOUT_MS} ms, ${Math.round((Date.now() - started) / 60_000)} min)`);
out.push('');
out.push('| fault | journey | expected | reported | right |');
out.push('|---|---|---|---|---|');
for (const row of rows) out.push(`| \`${row.fault}\` | ${row.journey} | ${row.expected} | ${Object.entries(row.reported).map(([got, n]) => `${got} ×${n}`).join(', ')} | ${row.right ? 'yes' : '**no**'} |`);
out.push('');
out.push('Confusion table (runs; rows expected, columns reported):');
out.push('');
out.push(`| expected \\ reported | ${columns.join(' | ')} |`);
out.push(`|---|${columns.map(() => '---').join('|')}|`);
for (const [expected, line] of [...confusion.entries()].sort(([a], [b]) => a.localeCompare(b))) out.push(`| ${expected} | ${columns.map((c) => String(line.get(c) ?? '')).join(' | ')} |`);
out.push('');
out.push(`Rows right: ${faultRows.filter((row) => row.right).length} of ${faultRows.length}. False failures: ${falseFailures} of ${healthyRuns} healthy runs.`);
for (const row of rows.filter((r) => !r.right)) out.push(`- ${row.fault} × ${row.journey}: ${row.messages.join(' | ')}`);
console.log(out.join('\n'));
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ date: new Date().toISOString(), repeat: REPEAT, stepTimeoutMs: STEP_TIMEOUT_MS, rows, falseFailures, healthyRuns }, null, 2)}\n`);
process.exit(rows.every((row) => row.right) && falseFailures === 0 ? 0 : 1);

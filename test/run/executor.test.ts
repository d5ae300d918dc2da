import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Executor } from '../../src/run/executor.js';
import { journeyRunSettings } from '../../src/config/resolve.js';
import { CHILD_ENV } from '../../src/protocol/child.js';
import { startSimulator, type Simulator, simulatorTarget } from '../../src/simulator/simulator.js';
import { type Target } from '../../src/model/target.js';
import type { JourneyDefinition } from '../../src/model/journey.js';
import { PROJECT_ROOT, describeRecord } from '../helpers/journey-harness.js';
import { commandOf, descendantsOf, environOf } from '../helpers/processes.js';

/** Faults of the monitor itself are outcome `error`, and a hang never outlives its deadline. */

/** Live Chromium processes this test started (its descendants only: other test files run beside it). */
function chromiumPids(): number[] {
  return descendantsOf(process.pid).filter((pid) => /chrom/i.test(commandOf(pid)));
}

/** Live processes of this test's runs: what a run left behind. */
function runPids(): number[] {
  return descendantsOf(process.pid).filter((pid) => environOf(pid).has(CHILD_ENV.runTag));
}

const fixture = (name: string, steps: string[] = ['login', 'connect']): JourneyDefinition => ({
  name,
  file: `test/fixtures/journeys/${name}.spec.ts`,
  kind: 'browser',
  steps,
  schedule: '0 * * * * *',
  // Playwright's test timeout is the journey's, and a test's context, page and trace start count against it: 10 s
  // leaves room for them on a loaded machine (4 s did not, in CI), while the deadline stays well under the bound below.
  timeoutMs: 10_000,
  description: 'test fixture',
});

describe('executor faults', () => {
  let sim: Simulator;
  let target: Target;
  let runsDir: string;
  let executor: Executor;
  before(async () => {
    sim = await startSimulator();
    const d = sim.description;
    target = simulatorTarget(d);
    runsDir = mkdtempSync(join(tmpdir(), 'gpmon-exec-'));
    executor = new Executor({ projectRoot: PROJECT_ROOT, runsDir, configFile: join(PROJECT_ROOT, 'test/fixtures/playwright.config.ts'), graceMs: 1000 });
  });
  after(async () => {
    await executor.close();
    await sim.stop();
    rmSync(runsDir, { recursive: true, force: true });
  });

  const run = (journey: JourneyDefinition) =>
    executor.run({ journey, target, secrets: { password: sim.description.password }, trigger: 'manual', inputs: { prompt: 'p', expectedAnswer: '.' }, ...journeyRunSettings(journey) });

  it('a hung journey is killed at its deadline: error/timeout, the step in flight failed, no Chromium left', async () => {
    const before = new Set(chromiumPids());
    // Loaded first, as the scheduler loads a run before its tick: the deadline runs from the go, and a cold
    // start on a loaded machine (browser launch and warm-up) is not what this measures.
    await executor.prepare({ journey: fixture('hang'), target, secrets: { password: sim.description.password }, ...journeyRunSettings(fixture('hang')) });
    const started = performance.now();
    const record = await run(fixture('hang'));
    const elapsed = performance.now() - started;
    assert.equal(record.outcome, 'error', describeRecord(record));
    assert.equal(record.failure?.reason, 'timeout', describeRecord(record));
    assert.equal(record.failure.step, 'login');
    assert.deepEqual(record.steps.map((s) => s.status), ['failed', 'skipped']);
    assert.ok(elapsed < 10_000 + 1000 + 15_000, `cut after ${Math.round(elapsed)} ms`);
    // The kill is synchronous; give the kernel a moment to reap.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const left = chromiumPids().filter((pid) => !before.has(pid));
    assert.deepEqual(left, [], 'no new Chromium process survives the kill');
  });

  it('a worker that dies mid-step is a monitor error, not a target failure', async () => {
    const record = await run(fixture('crash'));
    assert.equal(record.outcome, 'error', describeRecord(record));
    assert.equal(record.failure?.reason, 'monitor_error');
  });

  it('a journey file that cannot load is a monitor error with the output as evidence', async () => {
    const record = await run(fixture('broken'));
    assert.equal(record.outcome, 'error', describeRecord(record));
    assert.equal(record.failure?.reason, 'monitor_error');
    assert.match(JSON.stringify(record.failure.evidence), /journey file failed to load/);
  });

  it('a journey file that does not exist is a monitor error', async () => {
    const record = await run(fixture('no-such-journey'));
    assert.equal(record.outcome, 'error', describeRecord(record));
    assert.equal(record.failure?.reason, 'monitor_error');
  });

  it('after every run, no process of a run is left', async () => {
    // A finished child gets a grace period to exit by itself before it is killed.
    const deadline = Date.now() + 15_000;
    while (runPids().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    assert.deepEqual(runPids(), []);
  });
});

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Executor, type ExecutorOptions } from '../../src/run/executor.js';
import { journeyRunSettings } from '../../src/config/resolve.js';
import type { JourneyDefinition } from '../../src/model/journey.js';
import type { Simulator } from '../../src/simulator/simulator.js';
import type { Target, TargetSecrets } from '../../src/model/target.js';
import type { RunRecord } from '../../src/model/run-record.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { PROJECT_ROOT, describeRecord, journeyNamed, startSimulatorTarget } from '../helpers/journey-harness.js';
import { filesOf } from '../helpers/artifact-scan.js';
import { descendantsOf, environOf } from '../helpers/processes.js';
import { CHILD_ENV } from '../../src/protocol/child.js';

/** Live processes of this test's runners. */
function runPids(): number[] {
  return descendantsOf(process.pid).filter((pid) => environOf(pid).has(CHILD_ENV.runTag));
}

/**
 * A warm runner: one loaded `playwright test` child serves its journey's runs
 * in turn (runs.runnerRuns), each with a fresh context, fixtures and artifact
 * folder, and is replaced after N runs, past its memory limit, or once a run
 * ends in a fault of the monitor.
 */
describe('a warm runner', () => {
  let sim: Simulator;
  let target: Target;
  let secrets: TargetSecrets;
  let runsDir: string;
  const executors: Executor[] = [];

  before(async () => {
    ({ sim, target, secrets } = await startSimulatorTarget());
    runsDir = mkdtempSync(join(tmpdir(), 'gpmon-warm-'));
  });
  after(async () => {
    for (const executor of executors) await executor.close();
    await sim.stop();
    rmSync(runsDir, { recursive: true, force: true });
  });

  const executorWith = (options: Partial<ExecutorOptions>): Executor => {
    const executor = new Executor({ projectRoot: PROJECT_ROOT, runsDir, keepWarm: true, ...options });
    executors.push(executor);
    return executor;
  };
  /** The journey's own settings, with an 8 s step timeout and the screencast as asked (config `runs.traceScreenshots`). */
  const settings = (journey: JourneyDefinition, traceScreenshots = false) => journeyRunSettings(journey, { stepTimeoutMs: 8000, traceScreenshots });
  const run = (executor: Executor, journey: string, traceScreenshots = false): Promise<RunRecord> =>
    executor.run({ journey: journeyNamed(journey), target, secrets, trigger: 'manual', inputs: { prompt: 'What is the status of order 42?', expectedAnswer: '^Golden path OK' }, ...settings(journeyNamed(journey), traceScreenshots) });
  const runnerOf = (record: RunRecord): { pid: number; run: number; rssMb: number; waitedMs: number } => {
    const runner = record.marks?.runner;
    assert.ok(runner !== undefined, `the record names its runner: ${JSON.stringify(record.marks)}`);
    return runner;
  };

  it('serves its journey\'s runs in turn in one process, and is replaced after runnerRuns', async () => {
    const executor = executorWith({ runnerRuns: 2 });
    const runners = [];
    let before: number[] = [];
    for (let i = 0; i < 3; i++) {
      if (i === 1) {
        // One run left in the first runner: its successor is loaded now, between runs, not after its last run.
        const runners = () => new Set(runPids().map((pid) => environOf(pid).get(CHILD_ENV.runTag))).size;
        for (let waited = 0; runners() < 2 && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
        before = runPids();
      }
      const record = await run(executor, 'golden-path-api');
      assert.equal(record.outcome, 'passed', describeRecord(record));
      runners.push(runnerOf(record));
    }
    assert.ok(before.includes(runners[2]?.pid ?? -1), `the third run's runner (${runners[2]?.pid ?? '?'}) was already up before the second run (${before.join(', ')})`);
    assert.deepEqual(runners.map((r) => r.run), [1, 2, 1]);
    assert.equal(new Set(runners.slice(0, 2).map((r) => r.pid)).size, 1, 'runs 1 and 2 in one process');
    assert.notEqual(runners[2]?.pid, runners[0]?.pid, 'the third in a new one');
    assert.ok(runners.every((r) => r.rssMb > 0), `resident memory measured at each run's end, the runner's last run included: ${runners.map((r) => r.rssMb).join(', ')}`);
    assert.ok(runners.every((r) => r.waitedMs >= 0), 'the wait for a loaded runner recorded');
  });

  it('a failed run keeps its runner; the next run passes in it, the failed run\'s files hold nothing of the run before, and no failed run\'s hold the warm-up page', async () => {
    // With the screencast asked for (runs.traceScreenshots): two-target-traces.test.ts checks the default has none.
    const executor = executorWith({ runnerRuns: 10 });
    const first = await run(executor, 'golden-path', true);
    assert.equal(first.outcome, 'passed', describeRecord(first));
    const earlier = new Redactor(sim.issuedTokens());
    sim.state.enable({ name: 'close_1011', after: 'agent_thinking' });
    const failed = await run(executor, 'golden-path', true);
    sim.state.clearFaults();
    assert.equal(failed.outcome, 'failed', describeRecord(failed));
    assert.equal(failed.failure?.reason, 'ws_closed');
    // A failed run after a failed run: Playwright replaces the worker after a failed test, so this run's worker
    // warms its browser (src/kit/warm-up.ts) inside this run's own test, as the runner's first run's does.
    sim.state.enable({ name: 'close_1011', after: 'agent_thinking' });
    const failedAgain = await run(executor, 'golden-path', true);
    sim.state.clearFaults();
    assert.equal(failedAgain.outcome, 'failed', describeRecord(failedAgain));
    // A failed run's evidence shows the journey's own page, once, never the monitor's warm-up page.
    for (const record of [failed, failedAgain]) {
      assert.deepEqual(record.artifacts.map((a) => a.name).filter((name) => name.endsWith('.png')), ['screenshot.png'], `run ${runnerOf(record).run}: ${describeRecord(record)}`);
      for (const { name, content } of await filesOf(join(runsDir, record.id))) {
        assert.ok(!content.includes('gpmon warm-up') && !content.includes('/warm.html'), `run ${runnerOf(record).run}: ${name} shows the warm-up page`);
      }
    }
    const next = await run(executor, 'golden-path', true);
    assert.equal(next.outcome, 'passed', describeRecord(next));
    assert.deepEqual([first, failed, failedAgain, next].map((r) => runnerOf(r).run), [1, 2, 3, 4]);
    // Each run's trace files left the browser's trace folder once the run was done with them.
    assert.deepEqual([first, failed, failedAgain, next].map((r) => r.marks?.traceFilesLeft), [undefined, undefined, undefined, undefined]);
    assert.equal(new Set([first, failed, failedAgain, next].map((r) => runnerOf(r).pid)).size, 1);
    // A fresh context per run: the failed run's trace and files carry only its own login.
    const files = await filesOf(join(runsDir, failed.id));
    assert.ok(files.some((f) => f.name.endsWith('.network')), 'the failed run kept its trace');
    for (const { name, content } of files) assert.equal(earlier.find(content), undefined, `${name} holds a token of the run before`);
    // The trace has DOM snapshots, the network, and the screencast asked for.
    const trace = files.filter((f) => f.name.endsWith('.trace')).map((f) => f.content.toString('utf8')).join('\n');
    assert.ok(trace.includes('"frame-snapshot"'), 'DOM snapshots in the trace');
    assert.ok(trace.includes('"screencast-frame"'), 'the screencast, as runs.traceScreenshots asked');
    // Each run's files are its own: the passing run after it has no trace, and nothing of the failed one.
    assert.deepEqual(next.artifacts.map((a) => a.name).sort(), ['console-errors.json', 'transcript.jsonl']);
  });

  it('a runner over its memory limit is replaced after its run', async () => {
    const executor = executorWith({ runnerRuns: 10, runnerRssMb: 100 });
    const records = [await run(executor, 'golden-path-api'), await run(executor, 'golden-path-api')];
    for (const record of records) assert.equal(record.outcome, 'passed', describeRecord(record));
    assert.deepEqual(records.map((r) => runnerOf(r).run), [1, 1]);
    assert.equal(new Set(records.map((r) => runnerOf(r).pid)).size, 2, 'a new process for the second run');
  });

  it('a journey file with one plain test serves one run per process', async () => {
    // Under GPMON_RUNNER_RUNS a kit journey declares its test N times; a file that declares one test runs once.
    const executor = executorWith({ runnerRuns: 10, configFile: join(PROJECT_ROOT, 'test/fixtures/playwright.config.ts') });
    const journey = { ...journeyNamed('golden-path-api'), name: 'one-test', file: 'test/fixtures/journeys/one-test.spec.ts' };
    const records = [];
    for (let i = 0; i < 2; i++) records.push(await executor.run({ journey, target, secrets, trigger: 'manual', inputs: { prompt: 'p', expectedAnswer: '.' }, ...settings(journey) }));
    for (const record of records) assert.equal(record.outcome, 'passed', describeRecord(record));
    assert.deepEqual(records.map((r) => runnerOf(r).run), [1, 1]);
  });

  it('closing while the next runner is still being spawned is quiet: no unhandled rejection (it would end the daemon)', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      // A runner per run: the run's end starts the next one's spawn, which close() then refuses.
      const executor = executorWith({ runnerRuns: 1 });
      assert.equal((await run(executor, 'golden-path-api')).outcome, 'passed');
      await executor.close();
      await sleep(500);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
    assert.deepEqual(rejections.map(String), []);
  });

  it('closing the executor leaves no process of any runner', async () => {
    assert.ok(runPids().length > 0, 'runners wait, loaded, between runs');
    for (const executor of executors.splice(0)) await executor.close();
    assert.deepEqual(runPids(), []);
  });
});

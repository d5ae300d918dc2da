import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { ConfiguredJourney, ConfiguredTarget, MonitorConfig } from '../../src/config/resolve.js';
import { MetricsRenderer, MonitorMetrics, createMetricsRegistry } from '../../src/metrics/monitor-metrics.js';
import type { RunRecord } from '../../src/model/run-record.js';
import { DeployExpectations, type RevisionExpectation } from '../../src/monitor/deploy-expectations.js';
import { RunService, type RunSink } from '../../src/monitor/run-service.js';
import { PRUNE_EVERY_MS, runSinks } from '../../src/monitor/run-sinks.js';
import type { RunExecutor, RunRequest } from '../../src/run/executor.js';
import { HistoryWriter } from '../../src/store/history-writer.js';
import { RunStore } from '../../src/store/run-store.js';
import { parseMetrics } from '../helpers/prom-tools.js';
import { runRecord } from '../helpers/records.js';
import { journeyNamed } from '../helpers/shipped.js';

/**
 * The daemon's sinks (src/monitor/run-sinks.ts) behind a real RunService, with
 * the executor replaced by one that answers each request with a canned record
 * at once: the store (real SQLite), the metrics (a real registry), the deploy
 * expectations and the log each get the run, and a sink that throws costs
 * none of them the run. What a real executor does is test/run's.
 */

const JOURNEY = 'golden-path-api';
const TARGET = 'staging';
const RETENTION: MonitorConfig['retention'] = { maxAgeDays: 7, maxRuns: 100, failedMaxAgeDays: 30, failedMaxRuns: 100 };

const journey: ConfiguredJourney = {
  definition: journeyNamed(JOURNEY),
  enabled: true,
  schedule: '*/15 * * * * *',
  timeoutMs: 30_000,
  stepTimeoutMs: 7_000,
  artifacts: { traceScreenshots: true },
  slo: {},
  inputs: { prompt: 'What is the status of order 42?', expectedAnswer: '^Golden path OK' },
  targets: [TARGET],
  pageAfterFailures: 3,
  intervalSeconds: 30,
};
const target: ConfiguredTarget = {
  target: { name: TARGET, appUrl: 'http://app.invalid', authUrl: 'http://auth.invalid', apiUrl: 'http://api.invalid', wsUrl: 'ws://api.invalid/ws', login: 'form', email: 'u@example.com' },
  secrets: { password: 'not-a-real-password' },
} as ConfiguredTarget;

/** An executor that answers each request at once with the record `answer` makes of it, and keeps the requests. */
function cannedExecutor(answer: (request: RunRequest, id: string) => RunRecord): RunExecutor & { readonly requests: RunRequest[] } {
  const requests: RunRequest[] = [];
  return {
    requests,
    run: (request) => {
      requests.push(request);
      return Promise.resolve(answer(request, request.id ?? 'no-id'));
    },
  };
}

/** The record a failing run of the request would have: the target's fault at connect, revision r2. */
const failedRun = (request: RunRequest, id: string): RunRecord =>
  runRecord({
    id,
    journey: request.journey.name,
    target: request.target.name,
    trigger: request.trigger,
    outcome: 'failed',
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: 1234.4,
    inputs: request.inputs,
    steps: [{ name: 'login', status: 'passed', durationMs: 80 }, { name: 'connect', status: 'failed', durationMs: 20 }],
    failure: { step: 'connect', reason: 'ws_handshake', message: 'the upgrade was refused (403)', evidence: { status: 403 } },
    targetInfo: { version: '1.2.3', revision: 'abcdef1234567' },
  });

describe('run sinks: a run reaches the store, the metrics, the deploys and the log', () => {
  let dir: string;
  let store: RunStore;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpmon-sinks-'));
    store = RunStore.open(join(dir, 'gpmon.db'), join(dir, 'runs'));
  });
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The daemon's wiring around a RunService, with `extra` sinks first and a clock the test moves. */
  function wire(executor: RunExecutor, extra: readonly RunSink[] = []) {
    const registry = createMetricsRegistry();
    const metrics = new MonitorMetrics({ registry, buckets: { step: [1], event: [1], journey: [1, 5] }, version: 't', playwrightVersion: 't' });
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          done();
        },
      }),
    );
    const expectations: RevisionExpectation[] = [];
    const deploys = new DeployExpectations((e) => expectations.push(e));
    const clock = { now: Date.now() };
    const prunes: Date[] = [];
    const pruning = { prune: (policy: MonitorConfig['retention'], now: Date) => (prunes.push(now), store.prune(policy, now)) };
    const sinkErrors: { sink: string; error: unknown }[] = [];
    const sinks = runSinks({ history: new HistoryWriter(store), store: pruning, retention: RETENTION, metrics, deploys, logger, now: () => clock.now });
    const runs = new RunService({
      executor,
      journeys: [journey],
      targets: [target],
      sinks: [...extra, ...sinks],
      concurrency: 1,
      onSinkError: (sink, error) => sinkErrors.push({ sink, error }),
    });
    const values = async () => parseMetrics((await new MetricsRenderer(registry).render(false)).body);
    return { runs, deploys, expectations, lines, clock, prunes, sinkErrors, values, names: sinks.map((s) => s.name) };
  }

  /** Triggers one run and waits until every sink has it. */
  async function runOnce(runs: RunService): Promise<RunRecord> {
    const started = runs.trigger({ journey: JOURNEY, target: TARGET, trigger: 'manual' });
    if (started.kind !== 'started') throw new Error(`not started: ${started.kind}`);
    return started.done;
  }

  it('the daemon\'s sinks, in order: store, metrics, deploys, log', () => {
    assert.deepEqual(wire(cannedExecutor(failedRun)).names, ['store', 'metrics', 'deploys', 'log']);
  });

  it('the executor gets the whole request, as the config resolved the journey: deadline, step timeout, artifact policy, inputs', async () => {
    const executor = cannedExecutor(failedRun);
    const record = await runOnce(wire(executor).runs);
    const [request] = executor.requests;
    assert.ok(request !== undefined);
    assert.equal(request.id, record.id);
    assert.deepEqual(
      { journey: request.journey.name, target: request.target.name, secrets: request.secrets, trigger: request.trigger, timeoutMs: request.timeoutMs, stepTimeoutMs: request.stepTimeoutMs, artifacts: request.artifacts, inputs: request.inputs },
      { journey: JOURNEY, target: TARGET, secrets: target.secrets, trigger: 'manual', timeoutMs: 30_000, stepTimeoutMs: 7_000, artifacts: { traceScreenshots: true }, inputs: journey.inputs },
    );
  });

  it('each sink gets the run: the store holds it, the metrics count it, the deploys see its revision, the log has its line', async () => {
    const w = wire(cannedExecutor(failedRun));
    w.deploys.expect(TARGET, 'abcdef1', 60_000);
    const record = await runOnce(w.runs);

    assert.equal(store.get(record.id)?.outcome, 'failed', 'the store holds the finished run');
    assert.equal(store.get(record.id)?.failure?.reason, 'ws_handshake');

    const m = await w.values();
    assert.equal(m.get(`synthetic_journey_runs_total{journey="${JOURNEY}",target="${TARGET}",outcome="failed",trigger="manual"}`), 1);
    assert.equal(m.get(`synthetic_journey_success{journey="${JOURNEY}",target="${TARGET}"}`), 0);
    assert.equal(m.get(`synthetic_step_failures_total{journey="${JOURNEY}",target="${TARGET}",step="connect",reason="ws_handshake"}`), 1);

    assert.equal(w.deploys.get(TARGET)?.observed, 'abcdef1234567', 'the run\'s revision reached the deploy expectation');
    assert.ok(w.deploys.get(TARGET)?.liveAt !== undefined, 'and made it live (a short SHA matches)');

    const line = w.lines.find((l) => l.msg === 'run failed');
    assert.ok(line !== undefined, `the run's log line: ${JSON.stringify(w.lines)}`);
    assert.deepEqual(
      { run: line.run, journey: line.journey, target: line.target, trigger: line.trigger, outcome: line.outcome, durationMs: line.durationMs, step: line.step, reason: line.reason, message: line.message, level: line.level },
      { run: record.id, journey: JOURNEY, target: TARGET, trigger: 'manual', outcome: 'failed', durationMs: 1234, step: 'connect', reason: 'ws_handshake', message: 'the upgrade was refused (403)', level: 40 },
    );
    assert.deepEqual(w.sinkErrors, []);
  });

  it('the log says passed at info and the monitor\'s own error at error', async () => {
    const outcomes = ['passed', 'error'] as const;
    let next = 0;
    const w = wire(cannedExecutor((request, id) => runRecord({ id, journey: request.journey.name, target: request.target.name, outcome: outcomes[next++] ?? 'error' })));
    await runOnce(w.runs);
    await runOnce(w.runs);
    assert.deepEqual(w.lines.filter((l) => typeof l.run === 'string').map((l) => [l.msg, l.level]), [['run passed', 30], ['run errored (the monitor)', 50]]);
  });

  it('a sink that throws is reported by name and costs the others nothing', async () => {
    const broken: RunSink = {
      name: 'broken',
      runStarted: () => {
        throw new Error('cannot start');
      },
      runFinished: () => {
        throw new Error('cannot finish');
      },
    };
    const w = wire(cannedExecutor(failedRun), [broken]);
    const record = await runOnce(w.runs);
    assert.deepEqual(w.sinkErrors.map((e) => [e.sink, e.error instanceof Error ? e.error.message : String(e.error)]), [['broken', 'cannot start'], ['broken', 'cannot finish']]);
    assert.equal(store.get(record.id)?.outcome, 'failed', 'the store still got the run');
    assert.equal((await w.values()).get(`synthetic_journey_runs_total{journey="${JOURNEY}",target="${TARGET}",outcome="failed",trigger="manual"}`), 1, 'the metrics too');
    assert.ok(w.lines.some((l) => l.run === record.id), 'and the log');
  });

  it('a sink that rejects is reported too, and the sinks after it still get the run', async () => {
    const seen: string[] = [];
    const rejecting: RunSink = { name: 'slow', runFinished: () => Promise.reject(new Error('gone')) };
    const after: RunSink = { name: 'after', runFinished: (record) => { seen.push(record.id); } };
    const w = wire(cannedExecutor(failedRun), [rejecting, after]);
    const record = await runOnce(w.runs);
    assert.deepEqual(w.sinkErrors.map((e) => e.sink), ['slow']);
    assert.deepEqual(seen, [record.id]);
  });

  it('retention: the first finished run prunes the history, the next only once PRUNE_EVERY_MS has passed', async () => {
    const w = wire(cannedExecutor(failedRun));
    // A pass older than retention.maxAgeDays: the prune removes it.
    store.runFinished(runRecord({ id: 'old-pass', journey: JOURNEY, target: TARGET, outcome: 'passed', startedAt: '2020-01-01T00:00:00.000Z' }));
    const first = await runOnce(w.runs);
    assert.deepEqual(w.prunes.map((d) => d.getTime()), [w.clock.now], 'pruned as of the sinks\' clock');
    await waitFor(() => w.lines.some((l) => l.msg === 'retention: old runs removed'));
    assert.equal(store.get('old-pass'), undefined, 'the old pass is gone');
    assert.equal(store.get(first.id)?.id, first.id, 'the run just finished is kept');

    w.clock.now += PRUNE_EVERY_MS;
    await runOnce(w.runs);
    assert.equal(w.prunes.length, 1, 'not again within PRUNE_EVERY_MS');
    w.clock.now += 1;
    await runOnce(w.runs);
    assert.equal(w.prunes.length, 2, 'again once it has passed');
  });
});

/** Waits (up to 2 s) until `done()` holds: the prune's log line comes after its background delete. */
async function waitFor(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 10) {
    if (waited > 2000) throw new Error('not within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

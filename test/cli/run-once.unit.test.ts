import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfiguredJourney, ConfiguredTarget } from '../../src/config/resolve.js';
import type { RunRecord } from '../../src/model/run-record.js';
import type { RunSink } from '../../src/monitor/run-service.js';
import type { RunExecutor, RunRequest } from '../../src/run/executor.js';
import { runOnce, wasInterrupted } from '../../src/cli/run-once.js';
import type { CliIo } from '../../src/cli/usage.js';
import { runRecord } from '../helpers/records.js';
import { journeyNamed } from '../helpers/shipped.js';

/**
 * One run at the terminal goes through a RunService, as the daemon's runs do:
 * the step table from the service's progress, the summary and then the
 * command's sinks (history, push) in order, the exit code from the outcome,
 * and a signal cutting the run through RunService.abort. The executor here
 * answers from a script; test/cli/run-cli.test.ts runs the real command.
 */

const journey: ConfiguredJourney = {
  definition: journeyNamed('golden-path-api'),
  enabled: true,
  schedule: '*/15 * * * * *',
  timeoutMs: 12_000,
  stepTimeoutMs: 3_000,
  artifacts: { traceScreenshots: false },
  slo: {},
  inputs: { prompt: 'config prompt', expectedAnswer: '.' },
  targets: ['sim'],
  pageAfterFailures: 3,
  intervalSeconds: 30,
};
const target = { target: { name: 'sim' }, secrets: { password: 'pw' } } as unknown as ConfiguredTarget;
const inputs = { prompt: 'the command\'s prompt', expectedAnswer: '^ok' };

/** What the command printed, in order, each line tagged with its stream. */
function terminal(stop: Promise<string> = new Promise(() => undefined)): { io: CliIo; lines: string[] } {
  const lines: string[] = [];
  return { lines, io: { out: (line) => lines.push(`out ${line}`), err: (line) => lines.push(`err ${line}`), env: {}, stopSignal: stop } };
}

/**
 * An executor that reports login passed and connect as `outcome` says, and
 * resolves with that record; with `hang`, it waits for the run's signal and
 * records the interruption as the real one does.
 */
function scripted(outcome: RunRecord['outcome'], options: { hang?: boolean; log?: string[] } = {}): RunExecutor & { requests: RunRequest[] } {
  const requests: RunRequest[] = [];
  return {
    requests,
    run: async (request) => {
      requests.push(request);
      options.log?.push('executor');
      const id = request.id ?? '';
      request.onProgress?.({ type: 'step_begin', step: 'login' });
      request.onProgress?.({ type: 'step_end', step: { name: 'login', status: 'passed', durationMs: 40 } });
      if (options.hang === true) {
        const signal = request.signal;
        await new Promise<void>((resolve) => {
          signal?.addEventListener('abort', () => {
            resolve();
          }, { once: true });
        });
        const why = String(signal?.reason);
        return runRecord({ id, outcome: 'error', target: 'sim', trigger: request.trigger, steps: [{ name: 'login', status: 'passed', durationMs: 40 }], failure: { step: 'connect', reason: 'monitor_error', message: `interrupted (${why})`, evidence: { interrupted: why } } });
      }
      const failure = outcome === 'passed' ? undefined : { step: 'connect', reason: outcome === 'failed' ? ('ws_handshake' as const) : ('monitor_error' as const), message: 'no', evidence: {} };
      return runRecord({ id, outcome, target: 'sim', trigger: request.trigger, steps: [{ name: 'login', status: 'passed', durationMs: 40 }, { name: 'connect', status: failure === undefined ? 'passed' : 'failed', durationMs: 5 }], ...(failure === undefined ? {} : { failure }) });
    },
  };
}

const options = { json: false, runsDir: '/tmp/gpmon-runs' };

describe('gpmon run at the terminal, through the run service', () => {
  it('the executor gets the whole request: the journey\'s deadline, step timeout and artifact policy, the command\'s inputs', async () => {
    const executor = scripted('passed');
    const { io } = terminal();
    const run = await runOnce({ executor, journey, target, trigger: 'replay', replayOf: 'earlier-run', inputs }, io, options);
    const [request] = executor.requests;
    assert.deepEqual(
      { id: request?.id, journey: request?.journey.name, target: request?.target.name, secrets: request?.secrets, trigger: request?.trigger, replayOf: request?.replayOf, timeoutMs: request?.timeoutMs, stepTimeoutMs: request?.stepTimeoutMs, artifacts: request?.artifacts, inputs: request?.inputs },
      { id: run.record.id, journey: 'golden-path-api', target: 'sim', secrets: { password: 'pw' }, trigger: 'replay', replayOf: 'earlier-run', timeoutMs: 12_000, stepTimeoutMs: 3_000, artifacts: { traceScreenshots: false }, inputs },
    );
  });

  it('header, a row per step as it ends, the summary, then each sink in order; the sinks see the run start before the executor does', async () => {
    const log: string[] = [];
    const { io, lines } = terminal();
    const sink = (name: string): RunSink => ({
      name,
      runStarted: async (start) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push(`${name} started ${start.journey}`);
      },
      runFinished: async (record) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        io.out(`${name} has ${record.id}`);
      },
    });
    const run = await runOnce({ executor: scripted('passed', { log }), journey, target, trigger: 'manual', inputs, sinks: [sink('history'), sink('push')] }, io, options);
    assert.equal(run.exitCode, 0);
    assert.equal(run.interrupted, false);
    assert.deepEqual(log, ['history started golden-path-api', 'push started golden-path-api', 'executor']);
    const at = (text: string) => lines.findIndex((line) => line.includes(text));
    assert.ok(lines[0]?.startsWith('out gpmon run golden-path-api against sim'), lines.join('\n'));
    assert.ok(at('login') < at('connect'), 'the live row of login, then connect in the summary');
    assert.ok(at('PASSED in') < at('history has') && at('history has') < at('push has'), lines.join('\n'));
    assert.equal(lines.filter((line) => line.includes('login')).length, 1, 'a step printed live is not printed again');
    assert.ok(lines.includes(`out run folder: /tmp/gpmon-runs/${run.record.id}`));
  });

  for (const [outcome, code] of [['failed', 1], ['error', 2]] as const) {
    it(`${outcome}: exit ${code}`, async () => {
      const { io, lines } = terminal();
      const run = await runOnce({ executor: scripted(outcome), journey, target, trigger: 'manual', inputs }, io, options);
      assert.equal(run.exitCode, code);
      assert.ok(lines.some((line) => line.startsWith(`out ${outcome.toUpperCase()} at connect`)), lines.join('\n'));
    });
  }

  it('--json: the record as JSON is all of stdout', async () => {
    const { io, lines } = terminal();
    const run = await runOnce({ executor: scripted('passed'), journey, target, trigger: 'manual', inputs }, io, { ...options, json: true });
    assert.equal(lines.length, 1);
    assert.equal((JSON.parse(lines[0]?.slice(4) ?? '') as RunRecord).id, run.record.id);
  });

  it('a signal cuts the run through the service: interrupted, 143 for SIGTERM, the sinks still get the record', async () => {
    let stop: (name: string) => void = () => undefined;
    const { io, lines } = terminal(new Promise((resolve) => (stop = resolve)));
    const got: RunRecord[] = [];
    const running = runOnce({ executor: scripted('passed', { hang: true }), journey, target, trigger: 'manual', inputs, sinks: [{ name: 'history', runFinished: (record) => { got.push(record); } }] }, io, options);
    await new Promise((resolve) => setTimeout(resolve, 20));
    stop('SIGTERM');
    const run = await running;
    assert.deepEqual([run.exitCode, run.interrupted, wasInterrupted(run.record)], [143, true, true]);
    assert.equal(run.record.failure?.evidence.interrupted, 'SIGTERM');
    assert.ok(lines.includes('err gpmon: SIGTERM: stopping the run'), lines.join('\n'));
    assert.deepEqual(got.map((r) => r.id), [run.record.id]);
  });

  it('a sink that throws fails the command, once the sinks after it have the record', async () => {
    const { io } = terminal();
    const after: string[] = [];
    const sinks: RunSink[] = [
      { name: 'history', runFinished: () => { throw new Error('disk full'); } },
      { name: 'push', runFinished: (record) => { after.push(record.id); } },
    ];
    await assert.rejects(runOnce({ executor: scripted('passed'), journey, target, trigger: 'manual', inputs, sinks }, io, options), /disk full/);
    assert.equal(after.length, 1);
  });
});

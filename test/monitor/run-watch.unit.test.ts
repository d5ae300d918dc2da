import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunExecutor, RunRequest } from '../../src/run/executor.js';
import type { ConfiguredJourney, ConfiguredTarget } from '../../src/config/resolve.js';
import type { RunRecord } from '../../src/model/run-record.js';
import { RunService, type RunProgressEvent } from '../../src/monitor/run-service.js';
import { runRecord } from '../helpers/records.js';

/**
 * Following a run: RunService fans the executor's progress out to watchers. The executor here is scripted
 * (the test says when each step begins and ends), so what a watcher sees at each moment is known exactly;
 * test/http/console-actions.test.ts follows real runs of a real daemon.
 */

const STEPS = ['login', 'connect', 'ai_response'];

/** An executor whose one run moves only when the test says so. */
function scriptedExecutor() {
  let request: RunRequest | undefined;
  let finish: (record: RunRecord) => void = () => undefined;
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const executor: RunExecutor = {
    run: (r: RunRequest) => {
      request = r;
      r.onProgress?.({ type: 'started', id: r.id ?? '' });
      markStarted();
      return new Promise<RunRecord>((resolve) => {
        finish = resolve;
      });
    },
  };
  return {
    executor,
    started,
    begin: (step: string) => request?.onProgress?.({ type: 'step_begin', step }),
    end: (step: string, status: 'passed' | 'failed') =>
      request?.onProgress?.({ type: 'step_end', step: { name: step, status, durationMs: 12 }, ...(status === 'failed' ? { failure: { step, reason: 'ui', message: '<b>not</b> rendered', evidence: {} } } : {}) }),
    finish: (outcome: 'passed' | 'failed') => {
      finish(runRecord({ id: request?.id ?? '', outcome }));
    },
  };
}

function service(executor: RunExecutor, errors: unknown[] = []): RunService {
  const journey = { definition: { name: 'j', steps: STEPS }, targets: ['t'], inputs: { prompt: 'p', expectedAnswer: '.' }, timeoutMs: 10_000, stepTimeoutMs: 1000 } as unknown as ConfiguredJourney;
  const target = { target: { name: 't' }, secrets: {} } as unknown as ConfiguredTarget;
  return new RunService({ executor, journeys: [journey], targets: [target], sinks: [], concurrency: 1, onSinkError: (_sink, error) => errors.push(error) });
}

const names = (events: readonly RunProgressEvent[]) => events.map((e) => (e.type === 'step_begin' ? `begin:${e.step}` : e.type === 'step_end' ? `end:${e.step.name}:${e.step.status}` : `finished:${e.outcome}`));

describe('RunService: following a run', () => {
  it('hands each step to watchers as it happens; a late watcher gets what it missed first; finished ends it', async () => {
    const script = scriptedExecutor();
    const runs = service(script.executor);
    const result = runs.trigger({ journey: 'j', target: 't', trigger: 'manual' });
    assert.equal(result.kind, 'started');
    if (result.kind !== 'started') return;
    const early: RunProgressEvent[] = [];
    const stopEarly = runs.watch(result.id, (event) => early.push(event));
    assert.ok(stopEarly !== undefined);
    assert.deepEqual(runs.progress(result.id)?.steps, STEPS);
    await script.started;
    script.begin('login');
    assert.deepEqual(names(early), ['begin:login'], 'the watcher hears a step begin at once');
    script.end('login', 'passed');
    script.begin('connect');
    const late: RunProgressEvent[] = [];
    runs.watch(result.id, (event) => late.push(event));
    assert.deepEqual(names(late), ['begin:login', 'end:login:passed', 'begin:connect'], 'a late watcher first gets what already happened');
    assert.equal(runs.watcherCount(result.id), 2);
    stopEarly();
    assert.equal(runs.watcherCount(result.id), 1, 'a watcher that stops is removed');
    script.end('connect', 'failed');
    script.finish('failed');
    await result.done;
    assert.deepEqual(names(late), ['begin:login', 'end:login:passed', 'begin:connect', 'end:connect:failed', 'finished:failed']);
    assert.deepEqual(names(early), ['begin:login', 'end:login:passed', 'begin:connect'], 'a stopped watcher hears nothing more');
    const failure = late.find((e) => e.type === 'step_end' && e.step.status === 'failed');
    assert.equal(failure?.type === 'step_end' ? failure.failure?.message : undefined, '<b>not</b> rendered');
    assert.equal(runs.progress(result.id), undefined, 'a finished run is no longer in flight');
    assert.equal(runs.watch(result.id, () => undefined), undefined, 'a finished run cannot be watched: read the store');
    assert.equal(runs.watcherCount(result.id), 0);
  });

  it('a watcher that throws is dropped and reported; the others still hear the run', async () => {
    const script = scriptedExecutor();
    const errors: unknown[] = [];
    const runs = service(script.executor, errors);
    const result = runs.trigger({ journey: 'j', target: 't', trigger: 'manual' });
    if (result.kind !== 'started') throw new Error(result.kind);
    const heard: RunProgressEvent[] = [];
    runs.watch(result.id, () => {
      throw new Error('broken watcher');
    });
    runs.watch(result.id, (event) => heard.push(event));
    await script.started;
    script.begin('login');
    script.begin('connect');
    assert.equal(errors.length, 1, 'reported once, then dropped');
    assert.equal(runs.watcherCount(result.id), 1);
    script.finish('passed');
    await result.done;
    assert.deepEqual(names(heard), ['begin:login', 'begin:connect', 'finished:passed']);
  });

  it('an unknown id cannot be watched', () => {
    const runs = service(scriptedExecutor().executor);
    assert.equal(runs.watch('no-such-run', () => undefined), undefined);
    assert.equal(runs.progress('no-such-run'), undefined);
  });
});

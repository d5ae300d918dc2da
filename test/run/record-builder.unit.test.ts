import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRecord, type RecordInput } from '../../src/run/record-builder.js';
import type { JourneyDefinition } from '../../src/model/journey.js';
import type { ChildEvent } from '../../src/protocol/child.js';

// A journey as discovery gives it (the record builder reads its name and steps).
const journey: JourneyDefinition = {
  name: 'golden-path-api',
  file: 'journeys/golden-path-api.spec.ts',
  kind: 'protocol',
  steps: ['login', 'connect', 'agent_request', 'live_events', 'ai_response'],
  schedule: '*/15 * * * * *',
  timeoutMs: 30_000,
  description: 'the golden path without a browser',
};
const at = '2026-01-01T00:00:00.000Z';
const passed = (step: string, durationMs = 10): ChildEvent[] => [
  { type: 'step_begin', step, at },
  { type: 'step_end', step, status: 'passed', startedAt: at, durationMs, measured: true },
];
const base = (events: ChildEvent[], extra: Partial<RecordInput> = {}): RecordInput => ({
  id: 'r1',
  journey,
  target: 'sim',
  trigger: 'manual',
  inputs: { prompt: 'p', expectedAnswer: 'x' },
  startedAt: new Date('2026-01-01T00:00:00.000Z'),
  finishedAt: new Date('2026-01-01T00:00:01.500Z'),
  events,
  artifacts: [],
  ...extra,
});
const testEnd = (status: string): ChildEvent => ({ type: 'test_end', status, durationMs: 1400 });

describe('run record from child events', () => {
  it('a passing run: every step passed, marks, events by latency, target info', () => {
    const record = buildRecord(
      base([
        ...['login', 'connect', 'agent_request', 'live_events', 'ai_response'].flatMap((s) => passed(s)),
        { type: 'mark', name: 'targetInfo', value: { version: '1.2', revision: 'abc' } },
        { type: 'mark', name: 'eventLatencyMs', value: { agent_completed: 500, agent_started: 80 } },
        testEnd('passed'),
      ]),
    );
    assert.equal(record.outcome, 'passed');
    assert.equal(record.failure, undefined);
    assert.deepEqual(record.steps.map((s) => s.status), ['passed', 'passed', 'passed', 'passed', 'passed']);
    assert.deepEqual(record.events, [{ type: 'agent_started', atMs: 80 }, { type: 'agent_completed', atMs: 500 }]);
    assert.deepEqual(record.targetInfo, { version: '1.2', revision: 'abc' });
    assert.equal(record.durationMs, 1500);
    assert.equal('targetInfo' in record.marks, false);
  });

  it("marks: a known mark of another shape is left out and named; a journey's own marks pass as they are", () => {
    const record = buildRecord(
      base([
        ...['login', 'connect', 'agent_request', 'live_events', 'ai_response'].flatMap((s) => passed(s)),
        { type: 'mark', name: 'maxGapMs', value: 'long' },
        { type: 'mark', name: 'answer', value: { chars: 12, excerpt: 'Golden path' } },
        { type: 'mark', name: 'eventLatencyMs', value: { agent_started: 80, agent_finished: 90 } },
        { type: 'mark', name: 'targetInfo', value: { version: 2 } },
        { type: 'mark', name: 'cartItems', value: { count: 3 } },
        testEnd('passed'),
      ]),
    );
    assert.deepEqual(record.marks, {
      answer: { chars: 12, excerpt: 'Golden path' },
      cartItems: { count: 3 },
      badMarks: [
        'maxGapMs: Invalid input: expected number, received string',
        'eventLatencyMs: Unrecognized key: "agent_finished"',
        'targetInfo: version Invalid input: expected string, received number; revision Invalid input: expected string, received undefined',
      ],
    });
    assert.deepEqual(record.events, [], 'no arrivals from a latency mark that was left out');
    assert.deepEqual(record.targetInfo, { version: null, revision: null });
  });

  it("a run that ended without a result in the middle of a step (Playwright's test timeout) names that step, failed, never skipped", () => {
    const record = buildRecord(
      base([
        ...passed('login'),
        { type: 'step_begin', step: 'connect', at },
        { type: 'test_end', status: 'timedOut', durationMs: 30_000, error: 'Test timeout of 30000ms exceeded.' },
      ]),
    );
    assert.equal(record.outcome, 'error');
    assert.deepEqual(record.failure, { step: 'connect', reason: 'monitor_error', message: 'Test timeout of 30000ms exceeded.', evidence: { testStatus: 'timedOut', notPassed: ['connect', 'agent_request', 'live_events', 'ai_response'] } });
    assert.deepEqual(record.steps.map((s) => s.status), ['passed', 'failed', 'skipped', 'skipped', 'skipped']);
  });

  it('a failed step names the failure; later steps are skipped, never failed', () => {
    const record = buildRecord(
      base([
        ...passed('login'),
        { type: 'step_begin', step: 'connect', at },
        {
          type: 'step_end', step: 'connect', status: 'failed', startedAt: at, durationMs: 5, measured: true,
          failure: { reason: 'ws_subprotocol', message: 'bad echo', evidence: { selected: 'jwt-auth' } },
          error: '[ws_subprotocol] bad echo',
        },
        testEnd('failed'),
      ]),
    );
    assert.equal(record.outcome, 'failed');
    assert.deepEqual(record.failure, { step: 'connect', reason: 'ws_subprotocol', message: 'bad echo', evidence: { selected: 'jwt-auth' } });
    assert.deepEqual(record.steps.map((s) => s.status), ['passed', 'failed', 'skipped', 'skipped', 'skipped']);
  });

  it("Playwright's own test timeout inside a step is the target's timeout", () => {
    const record = buildRecord(base([...passed('login'), { type: 'step_end', step: 'connect', status: 'failed', startedAt: at, durationMs: 5, measured: false, error: 'Test timeout of 30000ms exceeded.' }, testEnd('timedOut')]));
    assert.equal(record.outcome, 'failed');
    assert.equal(record.failure?.reason, 'timeout');
  });

  it('a monitor_error failure is outcome error', () => {
    const record = buildRecord(base([{ type: 'step_end', step: 'login', status: 'failed', startedAt: at, durationMs: 5, measured: true, failure: { reason: 'monitor_error', message: 'browser went away', evidence: {} } }, testEnd('failed')]));
    assert.equal(record.outcome, 'error');
  });

  it('a deadline kill: outcome error, reason timeout, the step in flight failed', () => {
    const record = buildRecord(base([...passed('login'), { type: 'step_begin', step: 'connect', at }], { monitorFault: { reason: 'timeout', message: 'killed', evidence: {} } }));
    assert.equal(record.outcome, 'error');
    assert.deepEqual(record.failure, { step: 'connect', reason: 'timeout', message: 'killed', evidence: {} });
    assert.deepEqual(record.steps.map((s) => s.status), ['passed', 'failed', 'skipped', 'skipped', 'skipped']);
  });

  it('a target failure stays a failure when a monitor fault follows it (a slow teardown killed)', () => {
    const record = buildRecord(
      base(
        [...passed('login'), { type: 'step_end', step: 'connect', status: 'failed', startedAt: at, durationMs: 5, measured: true, failure: { reason: 'ws_auth', message: 'refused', evidence: {} } }],
        { monitorFault: { reason: 'timeout', message: 'killed at deadline', evidence: {} } },
      ),
    );
    assert.equal(record.outcome, 'failed');
    assert.deepEqual(record.failure, { step: 'connect', reason: 'ws_auth', message: 'refused', evidence: { afterwards: 'killed at deadline' } });
  });

  it('no result at all is a monitor error, not a pass', () => {
    const record = buildRecord(base([]));
    assert.equal(record.outcome, 'error');
    assert.equal(record.failure?.reason, 'monitor_error');
  });

  it('a journey that passed without running all its steps is a monitor error', () => {
    const record = buildRecord(base([...passed('login'), testEnd('passed')]));
    assert.equal(record.outcome, 'error');
    assert.match(record.failure?.message ?? '', /did not run connect, agent_request, live_events, ai_response/);
  });
});

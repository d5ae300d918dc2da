import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventCollector, mergeFrame } from '../../src/kit/event-collector.js';
import { answerFrom } from '../../src/kit/answer.js';

type Shape = 'data' | 'payload' | 'root';
function frame(type: string, fields: Record<string, unknown>, shape: Shape = 'data'): string {
  if (shape === 'root') return JSON.stringify({ type, ...fields, critical: true });
  return JSON.stringify({ type, [shape]: fields });
}

/** Feeds a run: [type, atMs, fields?, shape?] after a request sent at 0. */
function feed(frames: [string, number, Record<string, unknown>?, Shape?][]): EventCollector {
  const collector = new EventCollector();
  collector.receive(frame('connection_established', { user_id: 'u1' }), -50);
  collector.requestSent(0);
  for (const [type, at, fields, shape] of frames) collector.receive(frame(type, { run_id: 'r1', ...fields }, shape), at);
  return collector;
}

const HEALTHY: [string, number, Record<string, unknown>?, Shape?][] = [
  ['agent_started', 80, {}, 'data'],
  ['agent_thinking', 200, {}, 'payload'],
  ['tool_executing', 260, {}, 'root'],
  ['tool_completed', 410, {}, 'data'],
  ['agent_thinking', 411, {}, 'payload'],
  ['agent_completed', 510, { result: 'the answer' }, 'root'],
];

describe('event collector', () => {
  it('a long answer as 2,500 thinking frames: every event seen, the stream healthy, the evidence its shape not its length', () => {
    const thinking: [string, number, Record<string, unknown>?, Shape?][] = Array.from({ length: 2500 }, (_, i) => ['agent_thinking', 200 + i * 0.01, { reasoning: `token ${i}` }, 'payload']);
    const collector = feed([...HEALTHY.slice(0, 1), ...thinking, ...HEALTHY.slice(2)]);
    assert.equal(collector.completed, true);
    assert.equal(collector.streamProblem(), undefined);
    assert.deepEqual(collector.arrivals, ['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_thinking', 'agent_completed']);
    assert.equal(collector.answer(), 'the answer');
  });

  it('merges payload and data onto the root, data last', () => {
    assert.deepEqual(mergeFrame({ type: 't', a: 1, payload: { b: 2, c: 1 }, data: { c: 3 } }), { type: 't', a: 1, b: 2, c: 3, payload: { b: 2, c: 1 }, data: { c: 3 } });
  });

  it('a healthy run: first arrivals from the request, no problem, the answer, the longest gap', () => {
    const c = feed(HEALTHY);
    assert.deepEqual(c.latencies(), { agent_started: 80, agent_thinking: 200, tool_executing: 260, tool_completed: 410, agent_completed: 510 });
    assert.equal(c.streamProblem(), undefined);
    assert.equal(c.answer(), 'the answer');
    assert.equal(c.maxGapMs, 150);
    assert.equal(c.runId, 'r1');
    assert.equal(c.established?.user_id, 'u1');
    assert.equal(c.establishedAt, -50);
  });

  it('ignores frames of another run and unknown types', () => {
    const c = feed([...HEALTHY.slice(0, 2), ['tool_executing', 230, { run_id: 'other' }], ['mystery', 240], ...HEALTHY.slice(2)]);
    assert.equal(c.latencies().tool_executing, 260);
    assert.equal(c.streamProblem(), undefined);
  });

  it('names a missing event', () => {
    const c = feed(HEALTHY.filter(([type]) => type !== 'tool_completed'));
    assert.deepEqual(c.streamProblem(), {
      reason: 'event_missing',
      message: 'tool_completed never arrived',
      evidence: { missing: ['tool_completed'], seen: ['agent_started', 'agent_thinking', 'tool_executing', 'agent_thinking', 'agent_completed'] },
    });
  });

  it('names events out of order: tool_completed before tool_executing', () => {
    const c = feed([['agent_started', 1], ['agent_thinking', 2], ['tool_completed', 3], ['tool_executing', 4], ['agent_completed', 5, { result: 'x' }]]);
    const problem = c.streamProblem();
    assert.equal(problem?.reason, 'event_order');
    assert.equal(problem.message, 'tool_completed arrived before tool_executing');
  });

  it('names an unpaired tool_completed even when first arrivals look ordered', () => {
    const c = feed([['agent_started', 1], ['agent_thinking', 2], ['tool_executing', 3], ['tool_completed', 4], ['tool_completed', 5], ['agent_completed', 6, { result: 'x' }]]);
    assert.equal(c.streamProblem()?.message, 'tool_completed arrived without a tool_executing before it');
  });

  it('names a tool call that never completed', () => {
    const c = feed([['agent_started', 1], ['agent_thinking', 2], ['tool_executing', 3], ['tool_completed', 4], ['tool_executing', 5], ['agent_completed', 6, { result: 'x' }]]);
    assert.equal(c.streamProblem()?.reason, 'event_missing');
  });

  it('keeps the first error of the run with its code and message, whatever the envelope', () => {
    const c = feed([['agent_started', 1]]);
    c.receive(JSON.stringify({ type: 'agent_error', data: { run_id: 'r1', error_message: 'model down', error_code: 'E1' } }), 5);
    assert.deepEqual(c.error, { type: 'agent_error', code: 'E1', message: 'model down' });
  });

  it('before connection_established, an error_message is the server refusing us', () => {
    const c = new EventCollector();
    c.receive(JSON.stringify({ type: 'error_message', error_code: 'AUTH_FAILED', error_message: 'bad token' }), 1);
    assert.deepEqual(c.error, { type: 'error_message', code: 'AUTH_FAILED', message: 'bad token' });
  });

  it('counts frames that are not JSON objects with a type, and carries on', () => {
    const c = feed([['agent_started', 1]]);
    c.receive('not json', 2);
    c.receive('[1,2]', 3);
    assert.equal(c.unparsable, 2);
    assert.deepEqual(c.lastTypes.slice(-2), ['<unparsable>', '<no type>']);
  });

  it('the longest gap counts the silence between the request and the first event', () => {
    const c = feed([['agent_started', 700], ['agent_completed', 750, { result: 'x' }]]);
    assert.equal(c.maxGapMs, 700);
  });
});

describe('answer extraction (contract §5 precedence)', () => {
  const cases: [string, Record<string, unknown>, string | undefined, string][] = [
    ['result string', { result: 'A' }, 'Z', 'A'],
    ['result.content', { result: { content: 'B' } }, undefined, 'B'],
    ['result.text', { result: { text: 'C' } }, undefined, 'C'],
    ['result.summary', { result: { summary: 'D' } }, undefined, 'D'],
    ['result.message', { result: { message: 'E' } }, undefined, 'E'],
    ['final_response over response', { result: { status: 'ok' }, final_response: 'F', response: 'G' }, undefined, 'F'],
    ['response', { response: 'G' }, undefined, 'G'],
    ['agent_response content last', { result: { status: 'ok' } }, 'H', 'H'],
    ['a blank result is not an answer', { result: '   ' }, undefined, ''],
    ['nothing', {}, undefined, ''],
  ];
  for (const [name, completed, response, expected] of cases) {
    it(name, () => {
      assert.equal(answerFrom(completed, response), expected);
    });
  }
});

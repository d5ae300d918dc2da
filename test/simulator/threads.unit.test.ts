import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_REQUEST_CHARS, DEFAULT_MAX_THREADS, ThreadStore } from '../../src/simulator/threads.js';
import { SimulatorState } from '../../src/simulator/state.js';
import { answerFor, followUpAnswerFor } from '../../src/simulator/agent-run.js';

/** The simulator's memory of threads: who owns each, its first request, and a bound on both. */
describe('the thread store', () => {
  it('remembers each thread with its owner and first request; another owner, or an unknown id, finds nothing', () => {
    const store = new ThreadStore();
    const thread = store.create('user_a', 'Where is order 42?');
    assert.match(thread.id, /^thread_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(thread, { id: thread.id, owner: 'user_a', firstRequest: 'Where is order 42?' });
    assert.deepEqual(store.find(thread.id, 'user_a'), thread);
    assert.equal(store.find(thread.id, 'user_b'), undefined);
    assert.equal(store.find('thread_nope', 'user_a'), undefined);
    assert.notEqual(store.create('user_a', 'Where is order 42?').id, thread.id);
    assert.equal(store.size, 2);
  });

  it('keeps at most maxThreads, forgetting the oldest first', () => {
    const store = new ThreadStore({ maxThreads: 3 });
    const made = ['one', 'two', 'three', 'four', 'five'].map((request) => store.create('user_a', request));
    assert.equal(store.size, 3);
    assert.deepEqual(
      made.map((thread) => store.find(thread.id, 'user_a')?.firstRequest),
      [undefined, undefined, 'three', 'four', 'five'],
    );
  });

  it('the simulator keeps 10,000 threads: the 10,001st forgets only the first', () => {
    const state = new SimulatorState({});
    assert.equal(state.threads.maxThreads, 10_000);
    assert.equal(DEFAULT_MAX_THREADS, 10_000);
    const first = state.threads.create('user_a', 'first');
    const second = state.threads.create('user_a', 'second');
    for (let i = 2; i < 10_000; i++) state.threads.create('user_a', `request ${i}`);
    assert.equal(state.threads.size, 10_000);
    assert.equal(state.threads.find(first.id, 'user_a')?.firstRequest, 'first');
    const newest = state.threads.create('user_b', 'one more');
    assert.equal(state.threads.size, 10_000);
    assert.equal(state.threads.find(first.id, 'user_a'), undefined);
    assert.equal(state.threads.find(second.id, 'user_a')?.firstRequest, 'second');
    assert.equal(state.threads.find(newest.id, 'user_b')?.firstRequest, 'one more');
  });

  it('keeps a bounded prefix of a first request, enough for every answer to read as with the whole of it', () => {
    const store = new ThreadStore();
    assert.equal(store.maxRequestChars, DEFAULT_MAX_REQUEST_CHARS);
    const huge = 'x'.repeat(500_000);
    const thread = store.create('user_a', huge);
    assert.equal(thread.firstRequest, 'x'.repeat(1000));
    assert.equal(followUpAnswerFor(thread.firstRequest, 'next'), followUpAnswerFor(huge, 'next'));
    assert.equal(followUpAnswerFor(thread.firstRequest, 'next'), `Golden path OK. Following up on "${'x'.repeat(200)}…": the agent processed your request: "next"`);
    const edge = 'y'.repeat(201);
    const small = new ThreadStore({ maxRequestChars: 201 });
    assert.equal(followUpAnswerFor(small.create('user_a', edge + 'z'.repeat(50)).firstRequest, 'n'), followUpAnswerFor(edge, 'n'));
  });

  it('refuses a bound that is not a whole number from 1', () => {
    for (const maxThreads of [0, -1, 1.5]) assert.throws(() => new ThreadStore({ maxThreads }), RangeError);
    assert.throws(() => new ThreadStore({ maxRequestChars: 0 }), RangeError);
  });
});

describe('the answers', () => {
  it('a follow-up names the first request; both quoted as answerFor quotes, 200 characters then an ellipsis', () => {
    assert.equal(answerFor('hi'), 'Golden path OK. The agent processed your request: "hi"');
    assert.equal(followUpAnswerFor('Where is order 42?', 'And when?'), 'Golden path OK. Following up on "Where is order 42?": the agent processed your request: "And when?"');
    assert.equal(followUpAnswerFor('a'.repeat(200), 'b'.repeat(201)), `Golden path OK. Following up on "${'a'.repeat(200)}": the agent processed your request: "${'b'.repeat(200)}…"`);
    assert.match(followUpAnswerFor('x', 'y'), /^Golden path OK/);
  });
});

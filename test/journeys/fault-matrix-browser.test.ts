import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useInProcess } from '../helpers/in-process-run.js';
import { assertExpected, browserRowTests } from '../helpers/fault-matrix.js';

/**
 * Every simulator fault, as the browser journey sees it through the web app:
 * its code runs in this process, a fresh context and page for each run in
 * one Chromium (test/helpers/in-process-run.ts). journeys-e2e.test.ts runs a
 * few rows through the executor, with the screenshot and trace they keep.
 * The matrix's rows are split between this file and
 * fault-matrix-browser-2.test.ts, so two test lanes share them.
 */
describe('browser journey against every fault (in-process)', () => {
  const h = useInProcess();

  it('healthy: golden-path passes', async () => {
    assertExpected(await h().run('golden-path'), 'pass');
  });

  it('a wsUrl given with its path is used as given: golden-path passes, the page\'s socket found', async () => {
    assertExpected(await h().run('golden-path', { wsUrl: `${h().sim.description.ws}/ws` }), 'pass');
  });

  it('a wsUrl with a query, or the API host spelt another way than the page spells it: the page\'s socket is still found', async () => {
    const ws = h().sim.description.ws;
    assertExpected(await h().run('golden-path', { wsUrl: `${ws}/ws?v=2` }), 'pass');
    const other = await h().run('golden-path', { wsUrl: `${ws.replace('127.0.0.1', 'localhost')}/ws` });
    assertExpected(other, 'pass');
    assert.equal(other.marks.pageSocketUrl, `${ws}/ws`, 'found by its path, and said so');
  });

  it('close 1011 and the page reconnects at once: the close is the failure, with its code and reason, as it happens', async () => {
    h().sim.state.enable({ name: 'close_1011', after: 'agent_thinking', reconnect: true });
    const record = await h().run('golden-path', { stepTimeoutMs: 8000 });
    assertExpected(record, { step: 'live_events', reason: 'ws_closed' });
    assert.equal(record.failure?.evidence.closeCode, 1011);
    assert.equal(record.failure.evidence.closeReason, 'Internal error');
    assert.equal(record.marks.pageSockets, 2, 'the page did reconnect');
    const liveEvents = record.steps.find((step) => step.name === 'live_events');
    assert.ok((liveEvents?.durationMs ?? Infinity) < 2000, `reported at the close, not at the 8 s step timeout: ${liveEvents?.durationMs ?? 'no'} ms`);
  });

  it("a socket opened in a Web Worker is read through Playwright's relay: the run passes and says how it read it", async () => {
    h().sim.state.enable({ name: 'socket_in_worker' });
    const record = await h().run('golden-path');
    assertExpected(record, 'pass');
    const relayed = record.marks.socketRelayed as { url?: string; why?: string } | undefined;
    assert.equal(relayed?.url, `${h().sim.description.ws}/ws`);
    assert.match(relayed.why ?? '', /Web Worker/);
    const transcript = h().transcript(record.id);
    assert.ok(transcript.some((entry) => entry.event === 'connect' && entry.detail?.relayed === true), 'the relayed socket is in the transcript');
    assert.ok(transcript.some((entry) => entry.dir === 'out' && /start_agent/.test(entry.data ?? '')), 'with the request the page sent');
    assert.ok(transcript.some((entry) => entry.dir === 'in' && /agent_completed/.test(entry.data ?? '')), 'and the stream to its end');
  });

  it('a socket in a Web Worker that opens and never speaks: connect/timeout, saying what the relay cannot show, within the step', async () => {
    h().sim.state.enable({ name: 'socket_in_worker' });
    h().sim.state.enable({ name: 'welcome_stall' });
    const record = await h().run('golden-path', { stepTimeoutMs: 3000 });
    assertExpected(record, { step: 'connect', reason: 'timeout' });
    assert.match(record.failure?.message ?? '', /no frame arrived .*outside the page's scripts.*whether the server answered the upgrade is not visible/);
    const connect = record.steps.find((step) => step.name === 'connect');
    assert.ok((connect?.durationMs ?? Infinity) < 3400, `connect ended at ${connect?.durationMs ?? 'no'} ms, its step timeout 3000 ms`);
  });

  browserRowTests(h, 0);
});

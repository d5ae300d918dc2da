import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/journey-harness.js';
import { assertExpected } from '../helpers/fault-matrix.js';

/**
 * The healthy rows end to end: the executor, a prepared `playwright test`
 * child per run, the NDJSON reporter, the stored artifacts. The whole matrix
 * runs in-process (fault-matrix-*.test.ts) through the same kit and record
 * builder. Failures end to end, with what they keep (screenshot, trace,
 * transcript), are in secret-scan, two-target-traces, run-cli and the alert
 * end-to-end test.
 */
describe('journeys end to end through the executor', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  afterEach(() => {
    h.sim.state.clearFaults();
  });
  after(async () => {
    await h.stop();
  });

  it('healthy: golden-path passes, with a transcript stored and no trace', async () => {
    const record = await h.run('golden-path');
    assertExpected(record, 'pass');
    assert.ok(record.artifacts.some((a) => a.name === 'transcript.jsonl' && a.bytes > 0));
    assert.equal(record.artifacts.some((a) => a.name.endsWith('.zip')), false, 'no trace kept for a pass');
  });

  it('a deadline no longer than the step timeout: a stalled login is still the target\'s login/timeout, never the monitor\'s error', async () => {
    h.sim.state.enable({ name: 'login_stall', mode: 'stall' });
    const record = await h.run('golden-path-api', { timeoutMs: 5000 });
    assertExpected(record, { step: 'login', reason: 'timeout' });
  });

  it('healthy: golden-path-api and ws-auth-enforced pass', async () => {
    assertExpected(await h.run('golden-path-api'), 'pass');
    assertExpected(await h.run('ws-auth-enforced'), 'pass');
  });

  it("thread-follow-up, a journey that builds on the golden path: passes, its own step recorded, and a lost thread fails that step only", async () => {
    const healthy = await h.run('thread-follow-up');
    assertExpected(healthy, 'pass');
    assert.deepEqual(healthy.steps.map((s) => s.name), ['login', 'connect', 'agent_request', 'live_events', 'ai_response', 'follow_up']);
    const followUp = healthy.marks.followUp as { thread?: unknown; excerpt?: unknown } | undefined;
    assert.match(String(followUp?.thread), /^thread_/);
    assert.match(String(followUp?.excerpt), /^Golden path OK\. Following up on "Remember this code word for later: gpmon-[0-9a-f]{8}\./);
    h.sim.state.enable({ name: 'thread_lost', mode: 'context' });
    const lost = await h.run('thread-follow-up');
    assertExpected(lost, { step: 'follow_up', reason: 'response_mismatch' });
    assert.deepEqual(lost.steps.map((s) => s.status), ['passed', 'passed', 'passed', 'passed', 'passed', 'failed']);
  });
});

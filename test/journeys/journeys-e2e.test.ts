import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/journey-harness.js';
import { assertExpected } from '../helpers/fault-matrix.js';

/**
 * A few fault-matrix rows end to end: the executor, a prepared `playwright
 * test` child per run, the NDJSON reporter, the stored artifacts. The whole
 * matrix runs in-process (fault-matrix-*.test.ts) through the same kit and
 * record builder; these rows prove the transport gives the same verdicts.
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

  it('healthy: golden-path-api and ws-auth-enforced pass', async () => {
    assertExpected(await h.run('golden-path-api'), 'pass');
    assertExpected(await h.run('ws-auth-enforced'), 'pass');
  });

  it('close_1011 mid-stream: golden-path fails at live_events (ws_closed), with a screenshot and a trace', async () => {
    h.sim.state.enable({ name: 'close_1011', after: 'agent_thinking' });
    const record = await h.run('golden-path');
    assertExpected(record, { step: 'live_events', reason: 'ws_closed' });
    const names = record.artifacts.map((a) => a.name);
    assert.ok(names.some((n) => n.endsWith('.png')), `a screenshot on failure: ${names.join(', ')}`);
    assert.ok(names.some((n) => n.endsWith('.zip')), `a trace on failure: ${names.join(', ')}`);
  });

  it('subprotocol_mismatch: golden-path-api fails at connect (ws_subprotocol)', async () => {
    h.sim.state.enable({ name: 'subprotocol_mismatch' });
    assertExpected(await h.run('golden-path-api'), { step: 'connect', reason: 'ws_subprotocol' });
  });
});

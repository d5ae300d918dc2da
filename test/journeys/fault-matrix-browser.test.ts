import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/journey-harness.js';
import { FAULT_MATRIX, assertExpected, label } from '../helpers/fault-matrix.js';

/** Every simulator fault, as the browser journey sees it through the web app. */
describe('browser journey against every fault', () => {
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

  it('healthy: golden-path passes, with the answer rendered and a transcript stored', async () => {
    const record = await h.run('golden-path');
    assertExpected(record, 'pass');
    assert.ok(record.artifacts.some((a) => a.name === 'transcript.jsonl' && a.bytes > 0));
    assert.equal(record.artifacts.some((a) => a.name.endsWith('.zip')), false, 'no trace kept for a pass');
  });

  for (const row of FAULT_MATRIX) {
    it(`${label(row.fault)}: golden-path ${row.browser === 'pass' ? 'passes' : `fails at ${row.browser.step} (${row.browser.reason})`}`, async () => {
      h.sim.state.enable(row.fault);
      const record = await h.run('golden-path');
      assertExpected(record, row.browser);
      if (row.browser !== 'pass') {
        const names = record.artifacts.map((a) => a.name);
        assert.ok(names.some((n) => n.endsWith('.png')), `a screenshot on failure: ${names.join(', ')}`);
        assert.ok(names.some((n) => n.endsWith('.zip')), `a trace on failure: ${names.join(', ')}`);
      }
    });
  }
});

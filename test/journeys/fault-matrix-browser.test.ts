import { after, afterEach, before, describe, it } from 'node:test';
import { startInProcess, type InProcessHarness } from '../helpers/in-process-run.js';
import { FAULT_MATRIX, assertExpected, label } from '../helpers/fault-matrix.js';

/**
 * Every simulator fault, as the browser journey sees it through the web app:
 * its code runs in this process, a fresh context and page for each run in
 * one Chromium (test/helpers/in-process-run.ts). journeys-e2e.test.ts runs a
 * few rows through the executor, with the screenshot and trace they keep.
 */
describe('browser journey against every fault (in-process)', () => {
  let h: InProcessHarness;
  before(async () => {
    h = await startInProcess();
  });
  afterEach(() => {
    h.sim.state.clearFaults();
  });
  after(async () => {
    await h.stop();
  });

  it('healthy: golden-path passes', async () => {
    assertExpected(await h.run('golden-path'), 'pass');
  });

  for (const row of FAULT_MATRIX) {
    it(`${label(row.fault)}: golden-path ${row.browser === 'pass' ? 'passes' : `fails at ${row.browser.step} (${row.browser.reason})`}`, async () => {
      h.sim.state.enable(row.fault);
      assertExpected(await h.run('golden-path'), row.browser);
    });
  }
});

import { after, afterEach, before, describe, it } from 'node:test';
import { startInProcess, type InProcessHarness } from '../helpers/in-process-run.js';
import { assertExpected, browserRows, label } from '../helpers/fault-matrix.js';

/** The browser fault matrix's second half (fault-matrix-browser.test.ts has the first): a lane of its own. */
describe('browser journey against every fault (in-process), second half', () => {
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

  for (const row of browserRows(1)) {
    const expected = row.browser;
    if (expected === null) continue;
    it(`${label(row.fault)}: golden-path ${expected === 'pass' ? 'passes' : `fails at ${expected.step} (${expected.reason})`}`, async () => {
      h.sim.state.enable(row.fault);
      assertExpected(await h.run('golden-path', row.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: row.stepTimeoutMs }), expected);
    });
  }
});

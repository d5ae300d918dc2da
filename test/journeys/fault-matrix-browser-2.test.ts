import { describe } from 'node:test';
import { useInProcess } from '../helpers/in-process-run.js';
import { browserRowTests } from '../helpers/fault-matrix.js';

/** The browser fault matrix's second half (fault-matrix-browser.test.ts has the first): a lane of its own. */
describe('browser journey against every fault (in-process), second half', () => {
  const h = useInProcess();

  browserRowTests(h, 1);
});

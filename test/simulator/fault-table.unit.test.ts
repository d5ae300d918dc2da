import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FAULT_NAMES } from '../../src/simulator/profile.js';
import { FAULT_MATRIX } from '../helpers/fault-matrix.js';
import { PROJECT_ROOT } from '../helpers/journey-harness.js';

/** A fault an operator can switch on is documented, and its verdict in each journey is a row of the matrices. */
describe('the fault table', () => {
  const readme = readFileSync(`${PROJECT_ROOT}README.md`, 'utf8');
  for (const name of FAULT_NAMES) {
    it(`${name}: a row of the README's fault table and of the fault matrix`, () => {
      assert.match(readme, new RegExp(`^\\| \`${name}\` \\|`, 'm'), `README fault table row for ${name}`);
      assert.ok(FAULT_MATRIX.some((row) => row.fault.name === name), `a fault-matrix row for ${name}`);
    });
  }
});

#!/usr/bin/env node
// Runs the test files under test/ with node's own test runner (through tsx),
// so the last lines of the output are the runner's summary.
//
//   node scripts/run-tests.js            every test file
//   node scripts/run-tests.js --unit     the in-process lane (*.unit.test.ts): seconds
//   node scripts/run-tests.js NAME...    the files whose path contains a NAME
//
// The whole suite runs in two passes: first the files that measure time
// against a ground truth (SERIAL), alone, since a loaded machine would move
// what they measure; then every other file, three at a time (each test counts
// and kills only its own processes and listens on ports chosen at run time).
// The second pass's summary is the last output.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const SERIAL = ['test/journeys/timing-accuracy.test.ts'];
// The longest files start first, so the two lanes end together.
const LONG_FIRST = ['secret-scan', 'daemon.test', 'alert-e2e', 'two-target', 'fault-matrix-browser', 'journeys-e2e', 'image-runtime', 'dashboard-data', 'by-hand', 'lifecycle', 'push.test', 'run-cli'];
const rank = (file) => {
  const at = LONG_FIRST.findIndex((part) => file.includes(part));
  return at < 0 ? LONG_FIRST.length : at;
};
// Three at a time on 2 cores: much of a test's time is waiting (timeouts, scrapes, alert windows), not CPU.
const CONCURRENCY = process.env.GPMON_TEST_CONCURRENCY ?? '3';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

function run(files, concurrency) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const args = process.argv.slice(2);
const unit = args.includes('--unit');
const filter = args.filter((arg) => arg !== '--unit');
const files = find('test')
  .filter((file) => !unit || file.endsWith('.unit.test.ts'))
  .filter((file) => filter.length === 0 || filter.some((part) => file.includes(part)))
  .sort()
  .sort((a, b) => rank(a) - rank(b));
if (files.length === 0) {
  console.error(`no test files match ${filter.join(' ')}`);
  process.exit(1);
}
const serial = files.filter((file) => SERIAL.includes(file));
const rest = files.filter((file) => !SERIAL.includes(file));
let failed = 0;
if (serial.length > 0) failed += await run(serial, 1);
if (rest.length > 0) failed += await run(rest, CONCURRENCY);
process.exit(failed === 0 ? 0 : 1);

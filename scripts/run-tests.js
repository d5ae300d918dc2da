#!/usr/bin/env node
// Runs the test files under test/ with node's own test runner (through tsx),
// so the last lines of the output are the runner's summary.
//
//   node scripts/run-tests.js            every test file
//   node scripts/run-tests.js --unit     the in-process lane (*.unit.test.ts): seconds
//   node scripts/run-tests.js NAME...    the files whose path contains a NAME
//   node scripts/run-tests.js --checks   lint and the type check too (npm test)
//
// The whole suite runs in two passes: first the files that measure time
// against a ground truth (SERIAL), alone, since a loaded machine would move
// what they measure; then every other file, three at a time (each test counts
// and kills only its own processes and listens on ports chosen at run time).
// The second pass's summary is the last output. With --checks, lint and the
// type check run beside the second pass (a lane of their own; they take
// seconds, the pass minutes), their output printed as each ends, and any
// failure fails the whole.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const SERIAL = ['test/journeys/timing-accuracy.test.ts'];
// The longest files start first, so the lanes end together: in the order of their times in a clean-clone
// `.ci/run` (2026-11-30: alert-e2e 184 s, warm-runner 147 s, image-runtime 123 s, run-record and run-cli 109 s, …).
const LONG_FIRST = ['alert-e2e', 'warm-runner', 'image-runtime', 'run-record', 'run-cli', 'fault-matrix-browser', 'console-views', 'fault-matrix-protocol', 'push.test', 'rules.test', 'dashboard-data', 'runs-show', 'executor.test', 'new-journey', 'two-target', 'by-hand', 'config.test', 'verify-cli', 'console-actions', 'lifecycle', 'live-progress', 'serve-cli', 'journeys-e2e', 'tls.test', 'secret-scan', 'daemon.test', 'simulated-app', 'process-environment', 'simulator-cli', 'journeys-cli', 'deploy-gate'];
const rank = (file) => {
  const at = LONG_FIRST.findIndex((part) => file.includes(part));
  return at < 0 ? LONG_FIRST.length : at;
};
// Three at a time on 2 cores: a test waits much of its time (timeouts, scrapes, alert windows); four at a time
// was slower still (measured: the 2 cores are busy throughout the pass).
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

/** Runs an npm script with its output kept, and prints it when it ends: resolves to its exit code. */
function check(script) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => {
      process.stderr.write(`${script}: could not start: ${error.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      const status = code ?? (signal ? 1 : 0);
      const text = Buffer.concat(output).toString('utf8').trim();
      process.stderr.write(`# ${script}: ${status === 0 ? 'ok' : `FAILED (exit ${status})`}\n${status === 0 || text === '' ? '' : `${text}\n`}`);
      resolve(status);
    });
  });
}

const args = process.argv.slice(2);
const unit = args.includes('--unit');
const checks = args.includes('--checks');
const filter = args.filter((arg) => arg !== '--unit' && arg !== '--checks');
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
const checked = checks ? Promise.all([check('lint'), check('typecheck')]) : Promise.resolve([]);
if (rest.length > 0) failed += await run(rest, CONCURRENCY);
for (const status of await checked) failed += status;
process.exit(failed === 0 ? 0 : 1);

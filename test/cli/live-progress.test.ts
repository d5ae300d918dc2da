import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { main } from '../../src/cli/main.js';
import { liveProgress } from '../../src/cli/live-progress.js';
import type { CliIo } from '../../src/cli/usage.js';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { envTargetOf } from '../helpers/sim-client.js';
import { PROJECT_ROOT } from '../helpers/journey-harness.js';

/** A redraw of the live line: clear the line, then the step and its running time. */
const REDRAW = new RegExp(String.raw`\r\u001b\[2K {2}\S (\S+) +(\d+\.\d) s`, 'g');
const SLOW_LOGIN_MS = 1500;

/** What a terminal would show, as written: raw redraws and whole lines, in order. */
function terminalIo(env: NodeJS.ProcessEnv, tty: boolean): { io: CliIo; written: () => string } {
  const chunks: string[] = [];
  const io: CliIo = {
    out: (line) => chunks.push(`${line}\n`),
    err: (line) => chunks.push(`${line}\n`),
    env,
    stopSignal: new Promise(() => undefined),
    tty,
    write: (text) => chunks.push(text),
  };
  return { io, written: () => chunks.join('') };
}

/** The login step's redraws before its final row, as [name, seconds]; and where the row is. */
function loginRedraws(text: string): { times: number[]; rowAt: number } {
  // The row follows the cleared live line, on the same line of the terminal.
  const rowAt = text.search(/ {2}login +passed +\d+ ms$/m);
  assert.ok(rowAt > 0, text);
  const times = [...text.slice(0, rowAt).matchAll(REDRAW)].filter((m) => m[1] === 'login').map((m) => Number(m[2]));
  return { times, rowAt };
}

/**
 * `gpmon run` on a terminal: the step that runs, with a running timer,
 * redrawn in place until its row replaces it; off a terminal, plain lines.
 */
describe('live progress of gpmon run', () => {
  let sim: Simulator;
  let runsDir: string;
  before(async () => {
    sim = await startSimulator();
    runsDir = mkdtempSync(join(tmpdir(), 'gpmon-live-'));
  });
  afterEach(() => {
    sim.state.clearFaults();
  });
  after(async () => {
    await sim.stop();
    rmSync(runsDir, { recursive: true, force: true });
  });
  const env = () => ({ ...envTargetOf(sim.description, 'cli.live@gpmon.test'), GPMON_RUNS_DIR: runsDir });

  it('on a terminal: a slow step is redrawn with a growing time before its row replaces it', async () => {
    sim.state.enable({ name: 'slow_phase', phase: 'login', ms: SLOW_LOGIN_MS });
    const { io, written } = terminalIo(env(), true);
    const code = await main(['run', 'golden-path-api', '--target', 'env', '--no-record'], io);
    const text = written();
    assert.equal(code, 0, text);
    const { times, rowAt } = loginRedraws(text);
    // About every 125 ms for 1.5 s: many redraws, the time going up, reaching the step's length.
    assert.ok(times.length >= 5, `${times.length} redraws: ${times.join(', ')}`);
    for (let i = 1; i < times.length; i++) assert.ok((times[i] ?? 0) >= (times[i - 1] ?? 0), `times go up: ${times.join(', ')}`);
    assert.ok((times.at(-1) ?? 0) >= 1.2, `the last redraw says ${times.at(-1) ?? 0} s`);
    assert.ok((times[0] ?? 1) < 0.5, `the first says ${times[0] ?? 1} s`);
    // The live line is cleared before the row: the row starts a clean line.
    assert.equal(text.slice(rowAt - '\r\u001b[2K'.length, rowAt), '\r\u001b[2K');
    // Once the run is over nothing is drawn: the summary's lines are plain.
    const summary = text.slice(text.search(/^PASSED in/m));
    assert.ok(!summary.includes('\r'), summary);
  });

  it('off a terminal (the same run, tty unset): plain lines only, no carriage return', async () => {
    sim.state.enable({ name: 'slow_phase', phase: 'login', ms: 600 });
    const { io, written } = terminalIo(env(), false);
    const code = await main(['run', 'golden-path-api', '--target', 'env', '--no-record'], io);
    assert.equal(code, 0, written());
    assert.ok(!written().includes('\r'), written());
    assert.match(written(), /^ {2}login +passed +\d+ ms$/m);
  });

  const script = spawnSync('script', ['--version']).status === 0;
  it('through a real pseudo-terminal (the process sets tty from stdout), the redraws are there', { skip: !script && 'util-linux script is not installed' }, async () => {
    sim.state.enable({ name: 'slow_phase', phase: 'login', ms: SLOW_LOGIN_MS });
    const command = `${process.execPath} ${join(PROJECT_ROOT, 'bin/gpmon.js')} run golden-path-api --target env --no-record`;
    const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...process.env, ...env(), TERM: 'xterm' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, text);
    const { times } = loginRedraws(text.replaceAll('\r\n', '\n'));
    assert.ok(times.length >= 5, `${times.length} redraws: ${times.join(', ')}`);
    assert.ok((times.at(-1) ?? 0) >= 1.2, text);
  });
});

describe('liveProgress', () => {
  const io = (tty: boolean, env: NodeJS.ProcessEnv = {}) => {
    const written: string[] = [];
    const lines: string[] = [];
    const value: CliIo = { out: (line) => lines.push(line), err: (line) => lines.push(`err: ${line}`), env, stopSignal: new Promise(() => undefined), tty, write: (text) => written.push(text) };
    return { value, written, lines };
  };
  /** True when nothing more is drawn over a few intervals: the redraw timer is gone. */
  const quiet = async (written: readonly string[]) => {
    const count = written.length;
    await delay(60);
    return written.length === count;
  };

  it('redraws on its interval until the step ends, and then draws no more', async () => {
    const { value, written, lines } = io(true);
    let now = 0;
    const live = liveProgress(value, { intervalMs: 10, now: () => now });
    live.begin('agent_request');
    for (let i = 1; i <= 4; i++) {
      now = i * 1000;
      await delay(25);
    }
    live.end('agent_request');
    live.print(['  agent_request   passed   4000 ms']);
    const shown = written.join('');
    assert.match(shown, new RegExp(String.raw`^\r\u001b\[2K {2}⠋ agent_request +0\.0 s`));
    assert.match(shown, /agent_request +[34]\.0 s/);
    assert.ok(shown.endsWith('\r\u001b[2K'), 'cleared before the row');
    assert.deepEqual(lines, ['  agent_request   passed   4000 ms']);
    assert.ok(await quiet(written), 'the timer is gone once the step ended');
    live.stop();
    live.stop();
  });

  it('stop() mid-step (an error, a signal) ends the timer and clears the line', async () => {
    const { value, written } = io(true);
    const live = liveProgress(value, { intervalMs: 10 });
    live.begin('connect');
    await delay(30);
    live.stop();
    assert.equal(written.at(-1), '\r\u001b[2K');
    assert.ok(await quiet(written));
  });

  it('a line printed while a step runs (a warning) clears the live line first, then draws it again', () => {
    const { value, written, lines } = io(true);
    const live = liveProgress(value, { intervalMs: 1000 });
    live.begin('live_events');
    const drawn = written.length;
    live.print(['gpmon: SIGINT: stopping the run'], 'err');
    live.stop();
    assert.equal(written[drawn], '\r\u001b[2K');
    assert.match(written[drawn + 1] ?? '', /live_events/);
    assert.deepEqual(lines, ['err: gpmon: SIGINT: stopping the run']);
  });

  for (const [name, tty, env] of [['not a terminal', false, {}], ['TERM=dumb', true, { TERM: 'dumb' }]] as const) {
    it(`${name}: nothing drawn, the rows as plain lines`, async () => {
      const { value, written, lines } = io(tty, env);
      const live = liveProgress(value, { intervalMs: 10 });
      live.begin('login');
      await delay(30);
      live.end('login');
      live.print(['  login   passed   40 ms']);
      live.stop();
      assert.deepEqual(written, []);
      assert.deepEqual(lines, ['  login   passed   40 ms']);
    });
  }
});

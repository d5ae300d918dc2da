import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { RunStore } from '../../src/store/run-store.js';
import type { RunRecord } from '../../src/model/run-record.js';
import { envTargetOf } from '../helpers/sim-client.js';
import { gpmon, gpmonInProcess } from '../helpers/gpmon-cli.js';
import { PROJECT_ROOT } from '../helpers/journey-harness.js';
import { runRecord } from '../helpers/records.js';

/** Anything a terminal acts on but the newline: C0 controls, DEL, C1 controls, bidirectional overrides. */
// eslint-disable-next-line no-control-regex -- the test looks for exactly these
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const HOSTILE_PROMPT = 'status? \u001b[2J\u001b]0;owned\u0007 thanks';

/**
 * `gpmon runs` and `gpmon show` on a history of real runs: `gpmon run` (the
 * real process) against the simulator, passing and with faults on, recorded
 * where the config says; plus records put in with the store API for what a
 * run cannot easily make (a journey no longer configured, a run in flight, a
 * long hostile transcript, an artifact that points out of its folder).
 */
describe('gpmon runs and gpmon show', () => {
  let sim: Simulator;
  let dir: string;
  let runsDir: string;
  let database: string;
  let config: string;
  let env: Record<string, string>;
  const ids = { passed: '', failed: '', browser: '', hostile: '' };
  const retiredId = 'retired-run-0001';
  const transcriptId = 'hostile-transcript-0001';
  const escapeId = 'escaping-artifact-0001';
  const inFlightId = 'in-flight-0001';

  /** `gpmon run` as a process: the run's record (its --json). */
  const run = async (args: string[]): Promise<RunRecord> => {
    const { stdout, stderr } = await gpmon(['run', ...args, '--config', config, '--target', 'env', '--json'], env);
    try {
      return JSON.parse(stdout) as RunRecord;
    } catch {
      throw new Error(`gpmon run ${args.join(' ')} printed no record:\n${stdout}\n${stderr}`);
    }
  };
  /** The command in this process, through main (src/cli/main.ts), as the real process runs it. */
  const cli = (args: string[], extraEnv: Record<string, string> = {}) => gpmonInProcess(args, { ...env, ...extraEnv });

  before(async () => {
    sim = await startSimulator();
    dir = mkdtempSync(join(tmpdir(), 'gpmon-runs-show-'));
    runsDir = join(dir, 'runs');
    database = join(runsDir, 'gpmon.db');
    config = join(dir, 'monitor.config.json');
    // connect's SLO of 1 ms: any connect is over it, so the passed run shows a step over its SLO.
    writeFileSync(config, JSON.stringify({ runs: { dir: runsDir }, journeys: { 'golden-path-api': { slo: { connect: 1 } } } }));
    env = envTargetOf(sim.description, 'cli.show@gpmon.test');
    ids.passed = (await run(['golden-path-api'])).id;
    sim.state.enable({ name: 'subprotocol_mismatch' });
    ids.failed = (await run(['golden-path-api'])).id;
    sim.state.clearFaults();
    sim.state.enable({ name: 'agent_error' });
    ids.browser = (await run(['golden-path'])).id;
    sim.state.clearFaults();
    ids.hostile = (await run(['golden-path-api', '--prompt', HOSTILE_PROMPT, '--expect', '^never$'])).id;

    const store = RunStore.open(database, runsDir);
    const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
    store.runFinished(runRecord({ id: retiredId, journey: 'retired-journey', target: 'staging-sim', outcome: 'error', startedAt: ago(3 * 24 * 3600_000), finishedAt: ago(3 * 24 * 3600_000) }));
    mkdirSync(join(runsDir, transcriptId));
    const frames = Array.from({ length: 150 }, (_, i) =>
      JSON.stringify(i === 0 ? { t: 1, dir: 'in', data: 'evil \u001b[2J\u001b[H\u001b]52;c;cHduZWQ=\u0007\u009b31m' } : { t: i + 1, dir: 'in', data: `frame ${String(i + 1)}` }),
    );
    writeFileSync(join(runsDir, transcriptId, 'transcript.jsonl'), `${frames.join('\n')}\n`);
    store.runFinished(
      runRecord({
        id: transcriptId,
        target: 'staging-sim',
        outcome: 'failed',
        startedAt: ago(120_000),
        failure: { step: 'live_events', reason: 'ws_closed', message: 'closed \u001b[31m1011\u001b[0m', evidence: { closeReason: 'bye\u001b]0;x\u0007' } },
        artifacts: [{ name: 'transcript.jsonl', path: `${transcriptId}/transcript.jsonl`, bytes: 1 }],
      }),
    );
    // An artifact whose file is a symlink out of the run's folder: never followed.
    mkdirSync(join(runsDir, escapeId));
    writeFileSync(join(dir, 'outside.png'), 'not the run’s');
    symlinkSync(join(dir, 'outside.png'), join(runsDir, escapeId, 'screenshot.png'));
    store.runFinished(runRecord({ id: escapeId, target: 'staging-sim', outcome: 'failed', startedAt: ago(180_000), artifacts: [{ name: 'screenshot.png', path: `${escapeId}/screenshot.png`, bytes: 12 }] }));
    store.runStarted({ id: inFlightId, journey: 'golden-path-api', target: 'staging-sim', trigger: 'manual', startedAt: ago(1000), inputs: { prompt: 'p', expectedAnswer: '.' }, steps: ['login'] });
    store.close();
  });
  after(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('gpmon runs', () => {
    it('lists the runs newest first: when, journey, target, trigger, outcome, duration, failing step and reason, id', async () => {
      const { code, stdout } = await cli(['runs', '--config', config]);
      assert.equal(code, 0, stdout);
      const rows = stdout.split('\n');
      assert.match(rows[0] ?? '', /^STARTED\s+AT \(UTC\)\s+JOURNEY\s+TARGET\s+TRIGGER\s+OUTCOME\s+DURATION\s+FAILURE\s+RUN$/);
      const order = [ids.hostile, ids.browser, ids.failed, ids.passed, retiredId].map((id) => rows.findIndex((row) => row.endsWith(id)));
      assert.ok(order.every((at, i) => at > 0 && (i === 0 || at > (order[i - 1] ?? 0))), `newest first: ${order.join(', ')}\n${stdout}`);
      assert.match(stdout, new RegExp(`^\\S.*ago\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\s+golden-path-api\\s+staging-sim\\s+manual\\s+failed\\s+\\d+ ms\\s+connect: ws_subprotocol\\s+${ids.failed}$`, 'm'));
      assert.match(stdout, new RegExp(`golden-path\\s+staging-sim\\s+manual\\s+failed\\s+.*live_events: agent_error\\s+${ids.browser}$`, 'm'));
      assert.match(stdout, new RegExp(`golden-path-api\\s+staging-sim\\s+manual\\s+passed\\s+.*\\s-\\s+${ids.passed}$`, 'm'));
      assert.match(stdout, /^gpmon show <run id> shows one run/m);
      assert.doesNotMatch(stdout, new RegExp(inFlightId), 'a run in flight is not in the history yet');
    });

    it('--failed, --journey, --target and --since narrow it; a journey no longer configured is still listable', async () => {
      const failed = await cli(['runs', '--config', config, '--failed']);
      assert.equal(failed.code, 0, failed.stderr);
      assert.doesNotMatch(failed.stdout, new RegExp(ids.passed));
      for (const id of [ids.failed, ids.browser, ids.hostile, retiredId]) assert.match(failed.stdout, new RegExp(id));
      const browser = await cli(['runs', '--config', config, '--journey', 'golden-path']);
      assert.deepEqual(runIds(browser.stdout), [ids.browser]);
      const recent = await cli(['runs', '--config', config, '--since', '1d', '--target', 'staging-sim', '--failed']);
      assert.ok(!runIds(recent.stdout).includes(retiredId), 'three days ago is not within a day');
      assert.ok(runIds(recent.stdout).includes(ids.failed));
      const retired = await cli(['runs', '--config', config, '--journey', 'retired-journey']);
      assert.equal(retired.code, 0, retired.stderr);
      assert.deepEqual(runIds(retired.stdout), [retiredId]);
      const none = await cli(['runs', '--config', config, '--journey', 'ws-auth-enforced', '--since', '1h']);
      assert.equal(none.code, 0);
      assert.match(none.stdout, new RegExp(`^no runs match in ${database}: journey ws-auth-enforced, started in the last 1h \\(since \\S+\\)$`, 'm'));
    });

    it('--limit caps the list and says how to see more', async () => {
      const { code, stdout } = await cli(['runs', '--config', config, '--limit', '2']);
      assert.equal(code, 0);
      assert.equal(runIds(stdout).length, 2);
      assert.match(stdout, /^the newest 2 matching runs; --limit N \(up to 1000\) lists more$/m);
    });

    it('--json prints the stored records, newest first, as a JSON array', async () => {
      const { code, stdout } = await cli(['runs', '--config', config, '--json', '--failed', '--journey', 'golden-path-api', '--since', '1h']);
      assert.equal(code, 0);
      const records = JSON.parse(stdout) as RunRecord[];
      assert.ok(records.length >= 2 && records.every((r) => r.journey === 'golden-path-api' && r.outcome !== 'passed'), stdout);
      assert.ok(records.some((r) => r.id === ids.failed) && records.some((r) => r.id === ids.hostile));
      assert.ok(records.every((r, i) => i === 0 || r.startedAt <= (records[i - 1]?.startedAt ?? '')), 'newest first');
      assert.equal(records.find((r) => r.id === ids.failed)?.failure?.reason, 'ws_subprotocol');
      assert.doesNotMatch(stdout, ACTIVE, 'the hostile prompt is escaped in the JSON too');
    });

    const refused: [string, string[], RegExp][] = [
      ['a --since that is not a duration', ['--since', 'lately'], /^gpmon runs: --since: "lately" is not a duration \(90s, 10m, 1h\)$/m],
      ['a --since past a year', ['--since', '400d'], /^gpmon runs: --since: "400d" must be from 1 second to 365 days$/m],
      ['a --limit of 0', ['--limit', '0'], /^gpmon runs: --limit: "0" is not a whole number from 1 to 1000$/m],
      ['a --limit over 1000', ['--limit', '5000'], /^gpmon runs: --limit: "5000" is not a whole number from 1 to 1000$/m],
      ['an unknown journey, with the nearest', ['--journey', 'golden-pth'], /^gpmon runs: --journey: unknown journey "golden-pth" \(did you mean "golden-path"\?\); known \(configured, or in the history\): .*retired-journey/m],
      ['an unknown target', ['--target', 'prod'], /^gpmon runs: --target: unknown target "prod"; known \(configured, or in the history\): staging-sim$/m],
      ['a --limit with no value', ['--limit'], /^gpmon runs: option '--limit <n>' argument missing$/m],
    ];
    for (const [what, args, message] of refused) {
      it(`exits 2 on ${what}, naming the flag`, async () => {
        const { code, stdout, stderr } = await cli(['runs', '--config', config, ...args]);
        assert.equal(code, 2, stdout);
        assert.match(stderr, message);
        assert.equal(stdout, '');
      });
    }
  });

  describe('gpmon show', () => {
    it('a failed run: header, the steps against their SLOs, the failing step with reason, message and evidence, the transcript, the artifacts, the inputs', async () => {
      const { code, stdout } = await cli(['show', ids.failed, '--config', config], { COLUMNS: '120' });
      assert.equal(code, 0, stdout);
      assert.match(stdout, /^golden-path-api against staging-sim: FAILED at connect \(ws_subprotocol\)$/m);
      assert.match(stdout, /^ {2}target\s+staging-sim \(version 1\.42\.0, revision [0-9a-f]{12}\)$/m);
      assert.match(stdout, /^ {2}trigger\s+manual$/m);
      assert.match(stdout, /^ {2}started\s+.+ ago \(\d{4}-\d\d-\d\dT[\d:.]+Z\)$/m);
      assert.match(stdout, /^ {2}login\s+passed\s+\d+ ms\s+[█·|]+\s+within its SLO of 3\.0 s$/m);
      assert.match(stdout, /^ {2}connect\s+FAILED\s+\d+ ms\s+[█·|]+\s+OVER its SLO of 1 ms by \d+ ms$/m);
      assert.match(stdout, /^ {2}agent_request\s+skipped$/m);
      for (const line of stdout.split('\n').filter((l) => /^ {2}(login|connect) /.test(l))) assert.ok(line.length <= 120, `fits 120 columns: ${line}`);
      assert.match(stdout, /^failure\n {2}step\s+connect\n {2}reason\s+ws_subprotocol\n {2}message\s+server answered subprotocol "jwt-auth", which was not offered/m);
      assert.match(stdout, /^ {4}selected\s+jwt-auth$/m);
      assert.match(stdout, /^WebSocket transcript \(transcript\.jsonl\): page 1 of 1, lines 1-\d+ of \d+/m);
      assert.match(stdout, /^\s+\d+ ms\s+event\s+connect \{"url":"ws:/m);
      const transcript = new RegExp(`^ {2}transcript\\s+transcript\\.jsonl\\s+\\d+ B\\s+(\\S+/${ids.failed}/transcript\\.jsonl)$`, 'm').exec(stdout);
      assert.ok(transcript?.[1] !== undefined && existsSync(transcript[1]), `the transcript's path is on disk:\n${stdout}`);
      assert.match(stdout, /^ {2}prompt\s+gpmon synthetic check/m);
      assert.match(stdout, new RegExp(`^run it again: gpmon replay ${ids.failed} --config ${config}$`, 'm'));
    });

    it('a failed browser run: the screenshot and the trace on disk, and the command that opens the trace', async () => {
      const { code, stdout } = await cli(['show', ids.browser, '--config', config]);
      assert.equal(code, 0, stdout);
      assert.match(stdout, /FAILED at live_events \(agent_error\)/);
      assert.match(stdout, /^ {4}errorCode\s+AGENT_EXECUTION_FAILED$/m);
      const screenshot = /^ {2}screenshot\s+screenshot\.png\s+[\d.]+ KiB\s+(\S+)$/m.exec(stdout)?.[1];
      assert.ok(screenshot !== undefined && existsSync(screenshot), stdout);
      const trace = /^trace: npx playwright show-trace (\S+\/trace\.zip)$/m.exec(stdout)?.[1];
      assert.ok(trace !== undefined && existsSync(trace), `the trace command names a file on disk:\n${stdout}`);
      assert.ok(trace.startsWith(join(runsDir, ids.browser)));
    });

    it('a passed run: no failure, events with the longest gap, a step over its SLO said in words', async () => {
      const { code, stdout } = await cli(['show', ids.passed, '--config', config]);
      assert.equal(code, 0, stdout);
      assert.match(stdout, /^golden-path-api against staging-sim: passed$/m);
      assert.doesNotMatch(stdout, /^failure$/m);
      assert.match(stdout, /^ {2}connect\s+passed\s+\d+ ms\s+[█·|]+\s+OVER its SLO of 1 ms by \d+ ms$/m);
      assert.match(stdout, /^events: time from the agent request to each one's first arrival$/m);
      assert.match(stdout, /^ {2}agent_completed\s+\d+ ms\s+\+\d+ ms/m);
      assert.match(stdout, /longest gap: \d+ ms before \w+; longest silence in the stream: \d+ ms/);
      assert.match(stdout, /^answer\s+\d+ characters: Golden path OK/m);
      assert.doesNotMatch(stdout, /show-trace/, 'a pass keeps no trace');
    });

    it("a hostile answer and prompt from the run print as visible escapes, never as the terminal's commands", async () => {
      const { code, stdout } = await cli(['show', ids.hostile, '--config', config]);
      assert.equal(code, 0, stdout);
      assert.doesNotMatch(stdout, ACTIVE);
      assert.match(stdout, /reason\s+response_mismatch/);
      assert.match(stdout, /status\? \\x1b\[2J\\x1b\]0;owned\\x07 thanks/);
      const json = await cli(['show', ids.hostile, '--config', config, '--json']);
      assert.equal(json.code, 0);
      assert.doesNotMatch(json.stdout, ACTIVE);
      assert.equal((JSON.parse(json.stdout) as RunRecord).inputs.prompt, HOSTILE_PROMPT, '--json is the record, exactly');
    });

    it('pages a long transcript, frames with escape sequences printed harmlessly, and hints the next page', async () => {
      const first = await cli(['show', transcriptId, '--config', config]);
      assert.equal(first.code, 0, first.stderr);
      assert.doesNotMatch(first.stdout, ACTIVE);
      assert.match(first.stdout, /^\s+1 ms\s+recv\s+evil \\x1b\[2J\\x1b\[H\\x1b\]52;c;cHduZWQ=\\x07\\x9b31m$/m);
      assert.match(first.stdout, /message\s+closed \\x1b\[31m1011\\x1b\[0m/);
      assert.match(first.stdout, /page 1 of 2, lines 1-100 of 150/);
      assert.match(first.stdout, new RegExp(`^ {2}next page: gpmon show ${transcriptId} --page 2 --config ${config}$`, 'm'));
      const second = await cli(['show', transcriptId, '--config', config, '--page', '2']);
      assert.equal(second.code, 0);
      assert.match(second.stdout, /page 2 of 2, lines 101-150 of 150/);
      assert.match(second.stdout, /^\s+150 ms\s+recv\s+frame 150$/m);
      assert.doesNotMatch(second.stdout, /next page/);
    });

    it('never follows an artifact out of its run folder', async () => {
      const { code, stdout } = await cli(['show', escapeId, '--config', config]);
      assert.equal(code, 0);
      assert.match(stdout, /^ {2}screenshot\s+screenshot\.png\s+12 B\s+not in the run folder any more/m);
      assert.doesNotMatch(stdout, /outside\.png/);
    });

    const refused: [string, () => string[], RegExp][] = [
      ['an unknown id, naming the history', () => ['show', 'no-such-run'], /^gpmon show: no run no-such-run in \S+gpmon\.db \(gpmon runs lists the runs there; retention removes old ones\)$/m],
      ['an id cut short, with the whole one', () => ['show', ids.failed.slice(0, 8)], /^gpmon show: no run \w{8} in \S+; did you mean [0-9a-f-]{36}\?$/m],
      ['what is not a run id', () => ['show', '../etc/passwd'], /^gpmon show: "..\/etc\/passwd" is not a run id/m],
      ['a run still in flight', () => ['show', inFlightId], /^gpmon show: run in-flight-0001 is still in flight; show it again once it has finished/m],
      ['a --page that is not a number', () => ['show', transcriptId, '--page', 'two'], /^gpmon show: --page: "two" is not a whole number from 1$/m],
      ['a --page past the last', () => ['show', transcriptId, '--page', '3'], /^gpmon show: --page: "3" is past the transcript's last page, 2$/m],
      ['--page with --json', () => ['show', transcriptId, '--page', '2', '--json'], /^gpmon show: --page pages the transcript in the text view, and --json prints the whole record: give one of them$/m],
      ['--page for a run with no transcript', () => ['show', retiredId, '--page', '1'], /^gpmon show: --page: run retired-run-0001 kept no WebSocket transcript$/m],
    ];
    for (const [what, args, message] of refused) {
      it(`exits 2 on ${what}`, async () => {
        const { code, stdout, stderr } = await cli([...args(), '--config', config]);
        assert.equal(code, 2, stdout);
        assert.match(stderr, message);
        assert.equal(stdout, '');
      });
    }
  });

  it('the real process: gpmon runs --failed and gpmon show, exit codes and output', async () => {
    const listed = await gpmon(['runs', '--failed', '--config', config, '--limit', '3'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(runIds(listed.stdout).length, 3);
    const shown = await gpmon(['show', ids.failed, '--config', config], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /FAILED at connect \(ws_subprotocol\)/);
    const unknown = await gpmon(['show', 'nope', '--config', config], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^gpmon show: no run nope in /m);
  });

  it('a history not there yet: said plainly, exit 0 (show: 2), and nothing is created by reading', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'gpmon-runs-none-'));
    try {
      const freshConfig = join(fresh, 'monitor.config.json');
      const freshDb = join(fresh, 'history', 'gpmon.db');
      writeFileSync(freshConfig, JSON.stringify({ runs: { dir: join(fresh, 'history') } }));
      const listed = await cli(['runs', '--config', freshConfig]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(listed.stdout, `no runs recorded in ${freshDb} yet\n`);
      const json = await cli(['runs', '--config', freshConfig, '--json']);
      assert.deepEqual([json.code, json.stdout, json.stderr], [0, '[]\n', `no runs recorded in ${freshDb} yet\n`]);
      const shown = await cli(['show', 'any-run', '--config', freshConfig]);
      assert.equal(shown.code, 2);
      assert.match(shown.stderr, new RegExp(`^gpmon show: no run any-run: no runs are recorded in ${freshDb} yet$`, 'm'));
      assert.equal(existsSync(join(fresh, 'history')), false, 'no folder, no empty database');
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it("reads with a config whose targets' secrets the shell does not hold: reading needs none", async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'gpmon-runs-nosecret-'));
    try {
      const prodConfig = join(fresh, 'monitor.config.json');
      const prod = { name: 'prod', appUrl: 'https://app.example.test', authUrl: 'https://auth.example.test', apiUrl: 'https://api.example.test', wsUrl: 'wss://api.example.test', login: 'bypass', email: 'probe@example.test', bypassKeyEnv: 'PROD_BYPASS_KEY_NOT_SET' };
      writeFileSync(prodConfig, JSON.stringify({ targets: [prod], runs: { dir: join(fresh, 'runs') } }));
      const store = RunStore.open(join(fresh, 'runs', 'gpmon.db'), join(fresh, 'runs'));
      store.runFinished(runRecord({ id: 'prod-run-1', outcome: 'passed', target: 'prod', startedAt: new Date().toISOString() }));
      store.close();
      const { code, stdout, stderr } = await gpmonInProcess(['runs', '--config', prodConfig, '--target', 'prod'], {});
      assert.equal(code, 0, stderr);
      assert.deepEqual(runIds(stdout), ['prod-run-1']);
      const shown = await gpmonInProcess(['show', 'prod-run-1', '--config', prodConfig], {});
      assert.equal(shown.code, 0, shown.stderr);
      assert.doesNotMatch(shown.stdout, /not-needed/, 'the placeholder reaches no output');
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('a history another process keeps locked: a brief wait, then exit 2 saying so', async () => {
    const locked = mkdtempSync(join(tmpdir(), 'gpmon-runs-locked-'));
    const lockedConfig = join(locked, 'monitor.config.json');
    const lockedDb = join(locked, 'runs', 'gpmon.db');
    writeFileSync(lockedConfig, JSON.stringify({ runs: { dir: join(locked, 'runs') } }));
    const store = RunStore.open(lockedDb, join(locked, 'runs'));
    store.runFinished(runRecord({ id: 'locked-run', outcome: 'passed' }));
    store.close();
    // An exclusive lock blocks readers too (a plain write transaction would not, in WAL mode).
    const script = `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(lockedDb)}); db.pragma('locking_mode = EXCLUSIVE'); db.exec('BEGIN EXCLUSIVE'); db.exec('COMMIT'); console.log('locked'); process.stdin.once('data', () => { db.close(); process.exit(0); });`;
    const holder = spawn(process.execPath, ['-e', script], { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await once(holder.stdout, 'data');
      const started = performance.now();
      const { code, stdout, stderr } = await cli(['runs', '--config', lockedConfig]);
      const waited = performance.now() - started;
      assert.equal(code, 2, stdout);
      assert.match(stderr, new RegExp(`^gpmon runs: the run history ${lockedDb} is locked by another process .* try again in a moment$`, 'm'));
      assert.ok(waited < 15_000, `gave up after ${String(Math.round(waited))} ms`);
    } finally {
      holder.stdin.end('go\n');
      if (holder.exitCode === null) await once(holder, 'exit');
      rmSync(locked, { recursive: true, force: true });
    }
  });
});

/** The run ids at the ends of a `gpmon runs` table's rows. */
function runIds(table: string): string[] {
  return table
    .split('\n')
    .slice(1)
    .map((row) => /\s(\S+)$/.exec(row)?.[1] ?? '')
    .filter((id) => /^[A-Za-z0-9]+(-[A-Za-z0-9]+)+$/.test(id) && !/^gpmon/.test(id));
}

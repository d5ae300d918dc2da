import { envTargetOf } from '../helpers/sim-client.js';
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import type { RunRecord } from '../../src/model/run-record.js';
import { gpmon } from '../helpers/gpmon-cli.js';
import { RunStore } from '../../src/store/run-store.js';
import { runRecord } from '../helpers/records.js';

/** `gpmon run`: the live step table, the exit codes, --json, and bad usage. */
describe('gpmon run', () => {
  let sim: Simulator;
  let runsDir: string;
  let env: Record<string, string | undefined>;
  before(async () => {
    sim = await startSimulator();
    runsDir = mkdtempSync(join(tmpdir(), 'gpmon-cli-'));
    env = { ...envTargetOf(sim.description, 'cli.probe@gpmon.test'), GPMON_RUNS_DIR: runsDir };
  });
  afterEach(() => {
    sim.state.clearFaults();
  });
  after(async () => {
    await sim.stop();
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('a passing run against an env target: a row per step, latencies, the run folder, where it was recorded, exit 0', async () => {
    const { code, stdout } = await gpmon(['run', 'golden-path-api', '--target', 'env'], env);
    assert.equal(code, 0, stdout);
    // Piped, not a terminal: plain lines, never a redraw.
    assert.ok(!stdout.includes('\r') && !stdout.includes('\u001b'), 'no carriage return or escape sequence');
    assert.match(stdout, /^gpmon run golden-path-api against staging-sim$/m);
    for (const step of ['login', 'connect', 'agent_request', 'live_events', 'ai_response']) {
      assert.match(stdout, new RegExp(`^  ${step}\\s+passed\\s+\\d+ ms$`, 'm'));
    }
    assert.match(stdout, /^ {2}agent_completed\s+\d+ ms$/m);
    assert.match(stdout, /^PASSED in \d+ ms {3}run [0-9a-f-]{36}$/m);
    assert.match(stdout, new RegExp(`^run folder: ${runsDir}/[0-9a-f-]{36}$`, 'm'));
    // GPMON_RUNS_DIR is another folder than the config's runs.dir: the run is in that folder's own history, and the hint finds it there.
    const id = /run ([0-9a-f-]{36})$/m.exec(stdout)?.[1] ?? '';
    assert.match(stdout, new RegExp(`^recorded in ${runsDir}/gpmon\\.db \\(.*\\): GPMON_RUNS_DIR=${runsDir} gpmon show ${id} {3}GPMON_RUNS_DIR=${runsDir} gpmon replay ${id}$`, 'm'));
    const store = RunStore.open(join(runsDir, 'gpmon.db'), runsDir);
    try {
      assert.equal(store.get(id)?.outcome, 'passed');
    } finally {
      store.close();
    }
  });

  it('a failing run: the failing step with reason and evidence, the rest skipped, exit 1', async () => {
    sim.state.enable({ name: 'subprotocol_mismatch' });
    const { code, stdout } = await gpmon(['run', 'golden-path-api'], env);
    assert.equal(code, 1, stdout);
    assert.match(stdout, /^ {2}connect\s+FAILED\s+\d+ ms {2}ws_subprotocol: server answered subprotocol "jwt-auth", which was not offered/m);
    assert.match(stdout, /selected=jwt-auth/);
    for (const step of ['agent_request', 'live_events', 'ai_response']) assert.match(stdout, new RegExp(`^  ${step}\\s+skipped$`, 'm'));
    assert.match(stdout, /^FAILED at connect: ws_subprotocol/m);
  });

  it('--json prints the run record', async () => {
    const { code, stdout } = await gpmon(['run', 'ws-auth-enforced', '--json', '--target', 'env'], env);
    assert.equal(code, 0, stdout);
    const record = JSON.parse(stdout) as RunRecord;
    assert.equal(record.journey, 'ws-auth-enforced');
    assert.equal(record.target, 'staging-sim');
    assert.equal(record.trigger, 'manual');
    assert.deepEqual(record.steps.map((s) => [s.name, s.status]), [['no_token', 'passed'], ['forged_token', 'passed']]);
  });

  /** A config in `dir` whose target "staging" is the simulator (secret in STAGING_BYPASS_KEY), with `extra` keys: its path. */
  const stagingConfig = (dir: string, extra: Record<string, unknown>): string => {
    const d = sim.description;
    const target = { name: 'staging', appUrl: d.app, authUrl: d.auth, apiUrl: d.api, wsUrl: d.ws, login: 'bypass', email: 'cli.config@gpmon.test', bypassKeyEnv: 'STAGING_BYPASS_KEY' };
    const file = join(dir, 'monitor.config.json');
    writeFileSync(file, JSON.stringify({ targets: [target], ...extra }));
    return file;
  };

  it("a named target from the config runs with that journey's configured step timeout and prompt, as the daemon would", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-cli-config-'));
    try {
      const configFile = stagingConfig(dir, { journeys: { 'golden-path-api': { stepTimeoutMs: 1500, prompt: 'What is the status of order 7?', expectedAnswer: '^Golden path OK' } } });
      sim.state.enable({ name: 'agent_never_completes' });
      const { code, stdout } = await gpmon(['run', 'golden-path-api', '--target', 'staging', '--config', configFile, '--json'], { ...env, STAGING_BYPASS_KEY: sim.description.bypassKey });
      assert.equal(code, 1, stdout);
      const record = JSON.parse(stdout) as RunRecord;
      assert.equal(record.inputs.prompt, 'What is the status of order 7?');
      assert.equal(record.failure?.step, 'live_events');
      assert.match(record.failure.message, /within 1500 ms/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gpmon replay runs a stored run again against its target, with the journey's configured step timeout and the run's own inputs", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-cli-replay-'));
    try {
      const configFile = stagingConfig(dir, { journeys: { 'golden-path-api': { stepTimeoutMs: 1500 } }, runs: { dir: join(dir, 'runs'), database: join(dir, 'runs', 'gpmon.db') } });
      const store = RunStore.open(join(dir, 'runs', 'gpmon.db'), join(dir, 'runs'));
      store.runFinished(runRecord({ id: 'stored-run', outcome: 'passed', target: 'staging', inputs: { prompt: 'What is the status of order 9?', expectedAnswer: '^Golden path OK' } }));
      store.close();
      sim.state.enable({ name: 'agent_never_completes' });
      // The config's history: GPMON_RUNS_DIR would name another.
      const { code, stdout } = await gpmon(['replay', 'stored-run', '--config', configFile, '--json'], { ...env, GPMON_RUNS_DIR: undefined, STAGING_BYPASS_KEY: sim.description.bypassKey });
      assert.equal(code, 1, stdout);
      const record = JSON.parse(stdout) as RunRecord;
      assert.deepEqual([record.trigger, record.replayOf, record.target, record.inputs.prompt], ['replay', 'stored-run', 'staging', 'What is the status of order 9?']);
      assert.equal(record.failure?.step, 'live_events');
      assert.match(record.failure.message, /within 1500 ms/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with no target configured, runs against an embedded simulator', async () => {
    const { code, stdout } = await gpmon(['run', 'golden-path-api', '--runs-dir', runsDir], { GPMON_APP_URL: undefined });
    assert.equal(code, 0, stdout);
    assert.match(stdout, /against cli-simulator/);
  });

  const usage: [string, string[], Record<string, string | undefined>, RegExp][] = [
    ['an unknown journey', ['run', 'golden-pathh'], {}, /unknown journey "golden-pathh" \(did you mean "golden-path"\?\); known: concurrent-sessions, golden-path-api, golden-path, platform-health, thread-follow-up, token-refresh, ws-auth-enforced$/m],
    ['no journey', ['run'], {}, /name a journey/],
    ['an unknown target', ['run', 'golden-path', '--target', 'prod'], {}, /unknown target "prod"/],
    ['a bad --expect', ['run', 'golden-path', '--expect', '(['], {}, /--expect: Invalid regular expression/],
    ['a bad --timeout', ['run', 'golden-path', '--timeout', 'soon'], {}, /--timeout: "soon" is not a positive integer/],
    [
      'every missing target variable at once',
      ['run', 'golden-path', '--target', 'env'],
      { GPMON_APP_URL: undefined, GPMON_WS_URL: undefined, GPMON_EMAIL: undefined, GPMON_LOGIN: 'form', GPMON_PASSWORD: undefined },
      /GPMON_APP_URL is not set\n\s+GPMON_AUTH_URL is not set\n\s+GPMON_API_URL is not set\n\s+GPMON_WS_URL is not set\n\s+GPMON_EMAIL is not set\n\s+GPMON_PASSWORD is not set \(GPMON_LOGIN=form\)/,
    ],
  ];
  for (const [name, args, extraEnv, message] of usage) {
    it(`exits 2 naming ${name}`, async () => {
      const { code, stderr } = await gpmon(args, { GPMON_AUTH_URL: undefined, GPMON_API_URL: undefined, ...extraEnv });
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
    });
  }
});

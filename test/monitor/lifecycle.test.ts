import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { RunStore } from '../../src/store/run-store.js';
import { targetFor } from '../helpers/daemon-harness.js';
import { spawnServe } from '../helpers/serve-child.js';
import { gpmon, startGpmon } from '../helpers/gpmon-cli.js';
import { waitFor } from '../helpers/prom-tools.js';
import { commandOf, descendantsOf } from '../helpers/processes.js';
import { onlyJourneys } from '../helpers/shipped.js';

const TOKEN = 'lifecycle-token-0123456789';

function alive(pids: readonly number[]): string[] {
  return pids.map((pid) => commandOf(pid)).filter((command) => command !== '');
}

describe('start-up failures exit 2 with one line', () => {
  let dir: string;
  let busy: Server;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpmon-start-'));
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    port = (busy.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((resolve) => busy.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  // Each with the embedded simulator (no target configured): the simulator must not keep a failed start alive.
  const cases: [string, () => { args: string[]; config: Record<string, unknown> }, RegExp][] = [
    ['the port is in use', () => ({ args: [], config: { server: { port } } }), /^gpmon serve: cannot listen on 127\.0\.0\.1:\d+: the port is in use/],
    ['the run history is not a database', () => {
      mkdirSync(join(dir, 'garbage'), { recursive: true });
      writeFileSync(join(dir, 'garbage', 'gpmon.db'), 'this is not a SQLite database, just text\n'.repeat(200));
      return { args: [], config: { server: { port: 0 }, runs: { dir: join(dir, 'garbage') } } };
    }, /^gpmon serve: .*gpmon\.db: cannot open the run history: file is not a database/],
    ['the host does not resolve', () => ({ args: ['--host', 'no-such-host.invalid'], config: { server: { port: 0 } } }), /^gpmon serve: cannot listen on no-such-host\.invalid:0: the host name does not resolve/],
  ];
  for (const [name, setup, expected] of cases) {
    it(`${name}: one line naming it, exit 2, nothing left running`, async () => {
      const { args, config } = setup();
      const file = join(dir, `${name.replace(/\W+/g, '-')}.config.mjs`);
      writeFileSync(file, `export default ${JSON.stringify({ runs: { dir: join(dir, 'runs') }, ...config })};\n`);
      // It must exit by itself: a half-alive process is killed at 30 s and fails the test.
      const result = await gpmon(['serve', '--config', file, ...args], { GPMON_LOG_LEVEL: 'warn' }, { withinMs: 30_000, cwd: dir });
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? '', expected);
    });
  }
});

describe('signals', () => {
  let sim: Simulator;
  let dir: string;
  before(async () => {
    sim = await startSimulator();
    dir = mkdtempSync(join(tmpdir(), 'gpmon-signals-'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  });
  after(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM during a healthy browser run: the run finishes and is recorded, then exit 0', async () => {
    const config = {
      targets: [targetFor(sim)],
      journeys: onlyJourneys({ 'golden-path': { schedule: '0 0 0 1 1 *', stepTimeoutMs: 10_000, timeoutMs: 40_000 } }),
      server: { port: 0 },
      runs: { dir: join(dir, 'runs') },
    };
    writeFileSync(join(dir, 'drain.config.ts'), `export default ${JSON.stringify(config)};\n`);
    const { child, url } = await spawnServe(join(dir, 'drain.config.ts'), { GPMON_API_TOKEN: TOKEN, SIM_BYPASS_KEY: sim.description.bypassKey });
    // The run takes a few seconds more than usual: the agent starts 3 s late.
    sim.state.enable({ name: 'slow_phase', phase: 'agent_start', ms: 3000 });
    try {
      const answer = await fetch(`${url}/api/journeys/golden-path/runs`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(answer.status, 202);
      const { id } = (await answer.json()) as { id: string };
      await waitFor('the browser run under way', () => Promise.resolve(descendantsOf(child.pid ?? -1).some((pid) => /chrom/i.test(commandOf(pid))) ? true : undefined), 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const processes = descendantsOf(child.pid ?? -1);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
      const store = RunStore.open(join(dir, 'runs', 'gpmon.db'), join(dir, 'runs'));
      const record = store.get(id);
      store.close();
      assert.equal(record?.outcome, 'passed', JSON.stringify(record?.failure));
      await waitFor('the run processes gone', () => Promise.resolve(alive(processes).length === 0 ? true : undefined), 5_000).catch(() => undefined);
      assert.deepEqual(alive(processes), []);
    } finally {
      sim.state.clearFaults();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('while draining no new run starts (503); a second SIGTERM cuts the run in flight, records it interrupted, exits 143', async () => {
    const config = {
      targets: [targetFor(sim)],
      journeys: onlyJourneys({ 'golden-path-api': { schedule: '0 0 0 1 1 *', stepTimeoutMs: 60_000, timeoutMs: 120_000 } }),
      server: { port: 0 },
      runs: { dir: join(dir, 'runs-force') },
    };
    writeFileSync(join(dir, 'force.config.ts'), `export default ${JSON.stringify(config)};\n`);
    const { child, url } = await spawnServe(join(dir, 'force.config.ts'), { GPMON_API_TOKEN: TOKEN, SIM_BYPASS_KEY: sim.description.bypassKey });
    // The agent never completes: the run would wait 60 s for its events.
    sim.state.enable({ name: 'agent_never_completes' });
    try {
      const post = () => fetch(`${url}/api/journeys/golden-path-api/runs`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      const answer = await post();
      assert.equal(answer.status, 202);
      const { id } = (await answer.json()) as { id: string };
      await waitFor('the run under way', async () => {
        const journeys = ((await (await fetch(`${url}/api/journeys`)).json()) as { journeys: { name: string; running: string | null }[] }).journeys;
        return journeys.find((j) => j.name === 'golden-path-api')?.running === id ? true : undefined;
      }, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const processes = descendantsOf(child.pid ?? -1);
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const refused = await post();
      assert.equal(refused.status, 503, 'no new run while the monitor drains');
      const sent = performance.now();
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 143);
      assert.ok(performance.now() - sent < 10_000, 'stopped at once, not at the run\'s deadline');
      const store = RunStore.open(join(dir, 'runs-force', 'gpmon.db'), join(dir, 'runs-force'));
      const record = store.get(id);
      store.close();
      assert.equal(record?.outcome, 'error');
      assert.match(record.failure?.message ?? '', /interrupted \(the monitor was stopped\)/);
      await waitFor('the run processes gone', () => Promise.resolve(alive(processes).length === 0 ? true : undefined), 5_000).catch(() => undefined);
      assert.deepEqual(alive(processes), []);
    } finally {
      sim.state.clearFaults();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('Ctrl-C on gpmon run: the run stops at once, reported as interrupted, exit 130; nothing of it is left', async () => {
    sim.state.enable({ name: 'agent_never_completes' });
    const temp = mkdtempSync(join(tmpdir(), 'gpmon-ctrlc-'));
    const d = sim.description;
    const env = {
      GPMON_APP_URL: d.app, GPMON_AUTH_URL: d.auth, GPMON_API_URL: d.api, GPMON_WS_URL: d.ws,
      GPMON_LOGIN: 'form', GPMON_EMAIL: d.email, GPMON_PASSWORD: d.password, GPMON_RUNS_DIR: join(dir, 'cli-runs'), TMPDIR: temp,
    };
    const { child, stdout, stderr } = startGpmon(['run', 'golden-path', '--target', 'env'], env);
    try {
      // Waiting on live events that never complete (the step timeout is 15 s).
      await waitFor('the agent request sent', () => Promise.resolve(/^ {2}agent_request\s+passed/m.test(stdout()) ? true : undefined), 60_000);
      const processes = descendantsOf(child.pid ?? -1);
      const sent = performance.now();
      child.kill('SIGINT');
      const [code] = (await once(child, 'exit')) as [number | null];
      const tookMs = performance.now() - sent;
      assert.equal(code, 130, `${stdout()}\n${stderr()}`);
      assert.ok(tookMs < 8000, `stopped ${Math.round(tookMs)} ms after Ctrl-C, not at the step timeout`);
      assert.match(stdout(), /interrupted \(SIGINT\)/);
      assert.deepEqual(alive(processes), [], 'no process of the run is left');
      // Only the compile caches of our own sources (tsx's and Playwright's, shared by every run, not growing) may stay.
      assert.deepEqual(readdirSync(temp).filter((name) => !name.startsWith('tsx-') && !name.startsWith('playwright-transform-cache-')), [], 'nothing of the run is left in the temp folder');
    } finally {
      sim.state.clearFaults();
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(temp, { recursive: true, force: true });
    }
  });
});

describe('every scheduled tick is accounted for', () => {
  let sim: Simulator;
  let dir: string;
  before(async () => {
    sim = await startSimulator();
    dir = mkdtempSync(join(tmpdir(), 'gpmon-ticks-'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  });
  after(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a monitor stopped for 9 s counts the ticks it missed, logs them as JSON, and prints no raw library line', async () => {
    const config = {
      targets: [targetFor(sim)],
      journeys: onlyJourneys({ 'ws-auth-enforced': { schedule: '*/2 * * * * *' } }),
      server: { port: 0 },
      runs: { dir: join(dir, 'runs'), prewarm: false },
    };
    writeFileSync(join(dir, 'ticks.config.ts'), `export default ${JSON.stringify(config)};\n`);
    const { child, stdout, stderr } = startGpmon(['serve', '--config', join(dir, 'ticks.config.ts')], { GPMON_API_TOKEN: TOKEN, SIM_BYPASS_KEY: sim.description.bypassKey, GPMON_LOG_LEVEL: 'info' });
    try {
      const url = await waitFor('gpmon serve to listen', () => Promise.resolve(/gpmon serve: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr())?.[1]), 60_000);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      child.kill('SIGSTOP');
      await new Promise((resolve) => setTimeout(resolve, 9000));
      child.kill('SIGCONT');
      const missed = await waitFor('missed ticks counted', async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        const value = Number(/^synthetic_scheduler_skipped_runs_total\{journey="ws-auth-enforced",reason="missed"\} (\d+)/m.exec(text)?.[1] ?? '0');
        return value >= 3 ? value : undefined;
      }, 10_000);
      // 9 s at one tick every 2 s: 4 or 5 ticks fell in the stop; the latest due one runs late, the rest are missed.
      assert.ok(missed >= 3 && missed <= 5, `missed ${missed}`);
      child.kill('SIGTERM');
      await once(child, 'exit');
      const logged = stdout().trim().split('\n').map((line) => JSON.parse(line) as { msg?: string; reason?: string });
      assert.equal(logged.filter((entry) => entry.reason === 'missed').length, missed, 'each missed tick is logged, as JSON');
      for (const line of stderr().trim().split('\n')) assert.match(line, /^gpmon serve: /, 'stderr() has only the CLI\'s own lines');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

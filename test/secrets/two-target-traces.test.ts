import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { startDaemon, type Daemon } from '../../src/monitor/daemon.js';
import { Redactor } from '../../src/secrets/redactor.js';
import type { RunRecord } from '../../src/model/run-record.js';
import { PROJECT_ROOT, describeRecord } from '../helpers/journey-harness.js';
import { SHIPPED, onlyJourneys } from '../helpers/shipped.js';
import { filesOf } from '../helpers/artifact-scan.js';

/**
 * Two targets watched by one daemon, browser runs passing and failing in
 * turn: every artifact of every run (trace entries included) is searched for
 * every token either simulator issued (access, refresh, session cookie) and
 * every configured secret in every form. A run's trace holds that run only.
 */
describe('two targets, one daemon: no run keeps another run\'s or target\'s secrets', () => {
  const sims: Simulator[] = [];
  let daemon: Daemon;
  let dir: string;
  const apiToken = 'two-target-api-token-0123456789';
  const records: RunRecord[] = [];

  before(async () => {
    for (let i = 0; i < 2; i++) sims.push(await startSimulator());
    dir = mkdtempSync(join(tmpdir(), 'gpmon-two-'));
    const [a, b] = sims.map((s) => s.description);
    assert.ok(a && b);
    const target = (name: string, d: typeof a, env: string) => ({ name, appUrl: d.app, authUrl: d.auth, apiUrl: d.api, wsUrl: d.ws, login: 'form', email: d.email, passwordEnv: env });
    const never = '0 0 0 1 1 *';
    const raw = {
      targets: [target('alpha', a, 'ALPHA_PASSWORD'), target('beta', b, 'BETA_PASSWORD')],
      journeys: onlyJourneys({ 'golden-path': { schedule: never, stepTimeoutMs: 4000 } }),
      server: { port: 0 },
      runs: { dir: join(dir, 'runs') },
    };
    const resolved = resolveConfig(raw, { ALPHA_PASSWORD: a.password, BETA_PASSWORD: b.password }, SHIPPED);
    if (!resolved.ok) throw new Error(resolved.problems.join('\n'));
    daemon = await startDaemon({ config: resolved.config, projectRoot: PROJECT_ROOT, logger: pino({ level: 'silent' }), version: 'test', playwrightVersion: 'test', token: apiToken, cwd: dir });
  });
  after(async () => {
    await daemon.stop();
    for (const sim of sims) await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes and failures in turn against two targets', async () => {
    // alpha: pass, fail, fail; beta: fail, pass, fail (the failure, a 1011 close mid-stream, keeps a trace).
    const plan: [number, boolean][] = [[0, true], [1, false], [0, false], [1, true], [0, false], [1, false]];
    for (const [which, passes] of plan) {
      const sim = sims[which];
      assert.ok(sim);
      sim.state.clearFaults();
      if (!passes) sim.state.enable({ name: 'close_1011', after: 'agent_thinking' });
      const started = daemon.runs.trigger({ journey: 'golden-path', target: which === 0 ? 'alpha' : 'beta', trigger: 'manual' });
      assert.equal(started.kind, 'started');
      if (started.kind !== 'started') return;
      const record = await started.done;
      assert.equal(record.outcome, passes ? 'passed' : 'failed', describeRecord(record));
      records.push(record);
    }
  });

  it('no artifact of any run holds a token either target issued or a configured secret, in any form', async () => {
    assert.equal(records.length, 6);
    const secrets = new Redactor([apiToken, ...sims.flatMap((s) => [s.description.password, s.description.bypassKey, ...s.issuedTokens()])]);
    const issued = sims.flatMap((s) => s.issuedTokens());
    assert.ok(issued.length >= 18, `tokens issued: ${issued.length} (access, refresh and session cookie per run)`);
    let scanned = 0;
    for (const record of records) {
      for (const { name, content } of await filesOf(join(dir, 'runs', record.id))) {
        scanned++;
        assert.equal(secrets.find(content), undefined, `${record.target} run ${record.outcome}: ${name} holds a secret`);
      }
      assert.equal(secrets.find(JSON.stringify(record)), undefined, 'the record');
    }
    assert.ok(scanned > 40, `files and trace entries scanned: ${scanned}`);
  });

  it('each failed run\'s trace holds that run only: one login, its own target, a size that does not grow', async () => {
    const failed = records.filter((r) => r.outcome === 'failed');
    assert.equal(failed.length, 4);
    const sizes: number[] = [];
    for (const record of failed) {
      const trace = record.artifacts.find((a) => a.name.endsWith('.zip'));
      assert.ok(trace, `${record.id} has a trace`);
      sizes.push(trace.bytes);
      const entries = await filesOf(join(dir, 'runs', record.id));
      const network = entries.filter((e) => e.name.endsWith('.network')).map((e) => e.content.toString('utf8')).join('\n');
      const own = sims[record.target === 'alpha' ? 0 : 1]?.description;
      const other = sims[record.target === 'alpha' ? 1 : 0]?.description;
      assert.ok(own && other);
      const logins = network.match(new RegExp(`"url":"${own.auth}/auth/login"`, 'g')) ?? [];
      // A preflight and the POST are two entries of one login.
      assert.ok(logins.length >= 1 && logins.length <= 2, `${record.target}: logins in the trace: ${logins.length}`);
      const all = entries.map((e) => e.content.toString('latin1')).join('\n');
      // The default trace: DOM snapshots and the network, no screencast (runs.traceScreenshots is off).
      assert.ok(all.includes('"frame-snapshot"') && !all.includes('"screencast-frame"'), `${record.target}: a trace with snapshots and without the screencast`);
      for (const origin of [other.app, other.auth, other.api]) assert.ok(!all.includes(origin), `${record.target}'s trace shows the other target (${origin})`);
    }
    const [first, ...rest] = sizes;
    assert.ok(first !== undefined);
    for (const size of rest) assert.ok(size < first * 1.5, `trace sizes ${sizes.join(', ')}: a later trace carries more than its own run`);
  });
});

import { envTargetOf } from '../helpers/sim-client.js';
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { RunStore } from '../../src/store/run-store.js';
import { judge, verdictOf } from '../../src/cli/verify-command.js';
import { gpmonInProcess } from '../helpers/gpmon-cli.js';
import { runRecord } from '../helpers/records.js';

interface VerifyJson {
  verdict: string;
  target: string;
  expectedRevision: string;
  observedRevision: string | null;
  waitedMs: number;
  runs: { id: string; journey: string; outcome: string; revision: string | null; flapped: boolean; failure?: { step: string; reason: string; message: string } }[];
}

/** `gpmon verify`: wait for a deployed revision on a real simulator, then run the protocol journey on it. */
describe('gpmon verify', () => {
  let sim: Simulator;
  let dir: string;
  let configFile: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    sim = await startSimulator();
    dir = mkdtempSync(join(tmpdir(), 'gpmon-verify-'));
    // Only the run history's place: the target is the environment's, and nothing is written to the repo.
    configFile = join(dir, 'monitor.config.mjs');
    writeFileSync(configFile, `export default ${JSON.stringify({ runs: { dir: join(dir, 'runs'), database: join(dir, 'runs', 'gpmon.db') } })};\n`);
    env = envTargetOf(sim.description, 'cli.verify@gpmon.test');
  });
  afterEach(() => {
    sim.state.clearFaults();
  });
  after(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = async (path: string, body: unknown): Promise<void> => {
    const response = await fetch(`${sim.description.adminUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.description.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200, await response.text());
  };
  const verify = (revision: string, ...extra: string[]) =>
    gpmonInProcess(['verify', '--target', 'env', '--expect-revision', revision, '--journeys', 'golden-path-api', '--config', configFile, '--within', '20s', '--poll', '200ms', ...extra], env);
  const storedRuns = () => {
    const store = RunStore.open(join(dir, 'runs', 'gpmon.db'), join(dir, 'runs'));
    try {
      return store.list({ limit: 100 });
    } finally {
      store.close();
    }
  };

  it('a healthy deploy: waits for the revision, runs the journey on it, stores the run, exit 0', async () => {
    await admin('/deploy', { revision: 'c0ffee1234567', switchAfterMs: 500 });
    const { code, stdout, stderr } = await verify('c0ffee1234567');
    assert.equal(code, 0, stdout + stderr);
    assert.match(stderr, /^gpmon verify: c0ffee1234567 is live on staging-sim/m);
    assert.match(stdout, /^ {2}golden-path-api\s+passed\s+c0ffee123456\s*$/m);
    assert.match(stdout, /^verified: staging-sim runs c0ffee1234567, and 1 of 1 journeys passed on it$/m);
    const runs = storedRuns().filter((run) => run.targetInfo.revision === 'c0ffee1234567');
    assert.deepEqual(runs.map((run) => [run.journey, run.target, run.trigger, run.outcome]), [['golden-path-api', 'staging-sim', 'manual', 'passed']]);
  });

  it('a short SHA matches the full one the target reports, once a slow rollout ends; --json prints one object', async () => {
    const old = sim.state.revision().git_commit;
    const full = 'abcdef0123456789abcdef0123456789abcdef01';
    // Held back until the command has surely seen the old revision (its config load included).
    await admin('/faults', { name: 'deploy_stuck' });
    await admin('/deploy', { revision: full, switchAfterMs: 0 });
    const release = setTimeout(() => sim.state.disable('deploy_stuck'), 2000);
    const { code, stdout, stderr } = await verify('ABCDEF0', '--json');
    clearTimeout(release);
    assert.equal(code, 0, stdout + stderr);
    const report = JSON.parse(stdout) as VerifyJson;
    assert.deepEqual([report.verdict, report.target, report.expectedRevision, report.observedRevision], ['verified', 'staging-sim', 'ABCDEF0', full]);
    assert.ok(report.waitedMs > 0, String(report.waitedMs));
    assert.equal(stderr.match(new RegExp(`^gpmon verify: staging-sim serves ${old} \\(waiting for ABCDEF0`, 'gm'))?.length, 1, stderr);
    assert.equal(report.runs.length, 1);
    const [run] = report.runs;
    assert.deepEqual([run?.journey, run?.outcome, run?.revision, run?.flapped, run?.failure], ['golden-path-api', 'passed', full, false, undefined]);
    assert.ok(storedRuns().some((stored) => stored.id === run?.id));
    assert.match(stderr, /^verified: staging-sim runs ABCDEF0/m);
  });

  it('a failing deploy: live, but the journey fails; the verdict names journey, step and reason, exit 1', async () => {
    await admin('/deploy', { revision: 'bad0c0de1234', switchAfterMs: 0 });
    await admin('/faults', { name: 'agent_error' });
    const { code, stdout, stderr } = await verify('bad0c0de1234');
    assert.equal(code, 1, stdout + stderr);
    assert.match(stdout, /^ {2}golden-path-api\s+FAILED\s+bad0c0de1234\s+live_events \(agent_error\)/m);
    assert.match(stdout, /^bad0c0de1234 is live on staging-sim, but golden-path-api failed at live_events \(agent_error\): /m);
  });

  it('a stuck deploy: not live within --within, no journey run, exit 1', async () => {
    const old = sim.state.revision().git_commit;
    await admin('/faults', { name: 'deploy_stuck' });
    await admin('/deploy', { revision: 'dead0beef12', switchAfterMs: 0 });
    const before = storedRuns().length;
    const { code, stdout, stderr } = await verify('dead0beef12', '--within', '2s');
    assert.equal(code, 1, stdout + stderr);
    assert.match(stdout, new RegExp(`^deployed but not effective: staging-sim still serves ${old} after 2s; expected dead0beef12$`, 'm'));
    // A line when what it sees changes, not one a poll.
    assert.equal(stderr.match(/serves/g)?.length, 1, stderr);
    assert.equal(storedRuns().length, before);
  });

  it('a run that read another revision fails the verdict (the rollout flapped); an error alone is exit 2', () => {
    const flapped = judge('c0ffee1', runRecord({ id: 'r1', outcome: 'passed', targetInfo: { version: null, revision: '0123456789ab' } }));
    assert.deepEqual(verdictOf('c0ffee1', 'prod', [flapped]), { verdict: 'failed', line: 'c0ffee1 is live on prod, but golden-path-api ran on 0123456789ab (the rollout flapped?)', exitCode: 1 });
    const errored = judge('c0ffee1', runRecord({ id: 'r2', outcome: 'error', targetInfo: { version: null, revision: null }, failure: { step: 'run', reason: 'monitor_error', message: 'deadline', evidence: {} } }));
    assert.equal(verdictOf('c0ffee1', 'prod', [errored]).exitCode, 2);
    assert.equal(verdictOf('c0ffee1', 'prod', [errored, flapped]).exitCode, 1);
    // A journey that reads no revision (ws-auth-enforced) counts as its outcome.
    const unread = judge('c0ffee1', runRecord({ id: 'r3', journey: 'ws-auth-enforced', outcome: 'passed' }));
    assert.deepEqual(verdictOf('c0ffee1', 'prod', [unread]), { verdict: 'verified', line: 'verified: prod runs c0ffee1, and 1 of 1 journeys passed on it', exitCode: 0 });
  });

  const usage: [string, string[], RegExp][] = [
    ['a missing --expect-revision', ['verify', '--target', 'env'], /--expect-revision: required/],
    ['a bad SHA', ['verify', '--expect-revision', 'main'], /--expect-revision: "main" is not a commit \(7-40 hex digits\)/],
    ['a bad --within', ['verify', '--expect-revision', 'c0ffee1', '--within', 'soon'], /--within: "soon" is not a duration/],
    ['a --within out of bounds', ['verify', '--expect-revision', 'c0ffee1', '--within', '2d'], /--within: "2d" must be from 1 second to 1 day/],
    ['a bad --poll', ['verify', '--expect-revision', 'c0ffee1', '--poll', '10ms'], /--poll: "10ms" must be from/],
    ['an unknown journey', ['verify', '--expect-revision', 'c0ffee1', '--journeys', 'golden-path-apii'], /--journeys: unknown journey "golden-path-apii" \(did you mean "golden-path-api"\?\); known: .*golden-path/],
    ['a bad --push', ['verify', '--expect-revision', 'c0ffee1', '--push', 'gateway'], /--push: "gateway" is not an http\(s\) URL/],
  ];
  for (const [name, args, message] of usage) {
    it(`exits 2 naming ${name}`, async () => {
      const { code, stderr } = await gpmonInProcess([...args, '--config', configFile], env);
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
    });
  }
});

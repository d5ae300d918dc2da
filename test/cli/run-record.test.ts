import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import type { RunRecord } from '../../src/model/run-record.js';
import { RunStore } from '../../src/store/run-store.js';
import { gpmon, gpmonInProcess } from '../helpers/gpmon-cli.js';
import { envTargetOf } from '../helpers/sim-client.js';

/** The run that `gpmon run` printed the id of. */
function runIdOf(stdout: string): string {
  const id = /^(?:PASSED|FAILED|ERROR)\b.* run ([0-9a-f-]{36})$/m.exec(stdout)?.[1];
  assert.ok(id !== undefined, stdout);
  return id;
}

/** Every run in the history at `runsDir` (its gpmon.db), newest first. */
function storedRuns(database: string, runsDir: string): RunRecord[] {
  const store = RunStore.open(database, runsDir);
  try {
    return store.list({ limit: 100 });
  } finally {
    store.close();
  }
}

/**
 * `gpmon run` records into the history `gpmon serve` keeps (the config's
 * runs.dir and runs.database, from the working directory), so `gpmon
 * replay <id>` runs it again: against the simulator, the environment's target
 * and a config target. `--no-record` keeps it out; a locked history costs a
 * warning, never the run.
 */
describe('gpmon run records its run; gpmon replay runs it again', () => {
  let sim: Simulator;
  let dir: string;
  before(async () => {
    sim = await startSimulator();
    dir = mkdtempSync(join(tmpdir(), 'gpmon-record-'));
  });
  afterEach(() => {
    sim.state.clearFaults();
  });
  after(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A folder to run gpmon in, with a config whose runs.dir is `runs` (relative, as the daemon reads it) and `extra` keys. */
  const project = (name: string, extra: Record<string, unknown> = {}): string => {
    const folder = mkdtempSync(join(dir, `${name}-`));
    writeFileSync(join(folder, 'monitor.config.mjs'), `export default ${JSON.stringify({ runs: { dir: 'runs' }, ...extra })};\n`);
    return folder;
  };
  /** No environment target, no runs dir from the environment: only what the test sets. */
  const clean = { GPMON_APP_URL: undefined, GPMON_RUNS_DIR: undefined, GPMON_TARGET: undefined };

  it('against the embedded simulator: recorded with its artifacts in the runs dir, then replayed against a fresh simulator', async () => {
    const folder = project('sim');
    const ran = await gpmon(['run', 'golden-path-api', '--config', 'monitor.config.mjs'], clean, { cwd: folder });
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const id = runIdOf(ran.stdout);
    // With the --config as it was given, so the commands read the same history.
    assert.match(ran.stdout, new RegExp(`^recorded: gpmon show ${id} --config monitor\\.config\\.mjs {3}gpmon replay ${id} --config monitor\\.config\\.mjs$`, 'm'));
    const runsDir = join(folder, 'runs');
    const [stored] = storedRuns(join(runsDir, 'gpmon.db'), runsDir);
    assert.deepEqual([stored?.id, stored?.journey, stored?.target, stored?.trigger, stored?.outcome], [id, 'golden-path-api', 'cli-simulator', 'manual', 'passed']);
    // The record's artifact paths are relative to the history's runs dir, where gpmon serve looks for them.
    assert.ok((stored?.artifacts.length ?? 0) > 0, 'a transcript at least');
    for (const artifact of stored?.artifacts ?? []) assert.ok(existsSync(join(runsDir, artifact.path)), artifact.path);

    const replayed = await gpmon(['replay', id, '--config', 'monitor.config.mjs', '--json'], clean, { cwd: folder });
    assert.equal(replayed.code, 0, replayed.stdout + replayed.stderr);
    const record = JSON.parse(replayed.stdout) as RunRecord;
    assert.deepEqual([record.trigger, record.replayOf, record.target, record.outcome], ['replay', id, 'cli-simulator', 'passed']);
    assert.deepEqual(record.inputs, stored?.inputs);
    assert.equal(storedRuns(join(runsDir, 'gpmon.db'), runsDir)[0]?.id, record.id, 'the replay is recorded too');
  });

  it("against the environment's target, beside a config that has targets of its own: replayed with the same variables", async () => {
    const d = sim.description;
    const folder = project('env', {
      targets: [{ name: 'staging', appUrl: d.app, authUrl: d.auth, apiUrl: d.api, wsUrl: d.ws, login: 'bypass', email: 'cli.config@gpmon.test', bypassKeyEnv: 'STAGING_BYPASS_KEY' }],
    });
    const env = { ...clean, ...envTargetOf(d, 'cli.record@gpmon.test'), STAGING_BYPASS_KEY: d.bypassKey };
    const ran = await gpmon(['run', 'ws-auth-enforced', '--target', 'env', '--config', 'monitor.config.mjs'], env, { cwd: folder });
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const id = runIdOf(ran.stdout);
    sim.state.enable({ name: 'permissive_auth' });
    const replayed = await gpmon(['replay', id, '--config', 'monitor.config.mjs', '--json'], env, { cwd: folder });
    // The same target (the environment's, not the config's "staging"), now failing: the replay ran against it.
    assert.equal(replayed.code, 1, replayed.stdout + replayed.stderr);
    const record = JSON.parse(replayed.stdout) as RunRecord;
    assert.deepEqual([record.trigger, record.replayOf, record.target, record.failure?.reason], ['replay', id, 'staging-sim', 'security']);
    const gone = await gpmon(['replay', id, '--config', 'monitor.config.mjs'], { ...clean, STAGING_BYPASS_KEY: d.bypassKey }, { cwd: folder });
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /^gpmon replay: run [0-9a-f-]{36} was against target "staging-sim", which neither the config \(staging\) nor the environment \(GPMON_APP_URL is not set\) has now/m);
  });

  it('against a target of the config: replayed against it, with the stored inputs', async () => {
    const d = sim.description;
    const folder = project('config', {
      targets: [{ name: 'staging', appUrl: d.app, authUrl: d.auth, apiUrl: d.api, wsUrl: d.ws, login: 'bypass', email: 'cli.config@gpmon.test', bypassKeyEnv: 'STAGING_BYPASS_KEY' }],
      journeys: { 'golden-path-api': { expectedAnswer: '^Golden path OK' } },
    });
    const env = { ...clean, STAGING_BYPASS_KEY: d.bypassKey };
    const ran = await gpmonInProcess(['run', 'golden-path-api', '--target', 'staging', '--config', join(folder, 'monitor.config.mjs'), '--runs-dir', join(folder, 'runs'), '--prompt', 'What is the status of order 5?'], env);
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const id = runIdOf(ran.stdout);
    const replayed = await gpmonInProcess(['replay', id, '--config', join(folder, 'monitor.config.mjs'), '--runs-dir', join(folder, 'runs'), '--json'], env);
    assert.equal(replayed.code, 0, replayed.stdout + replayed.stderr);
    const record = JSON.parse(replayed.stdout) as RunRecord;
    assert.deepEqual([record.trigger, record.replayOf, record.target, record.inputs.prompt], ['replay', id, 'staging', 'What is the status of order 5?']);
  });

  it('--no-record: the run and its folder, but no history', async () => {
    const folder = project('no-record');
    const ran = await gpmonInProcess(['run', 'ws-auth-enforced', '--target', 'env', '--config', join(folder, 'monitor.config.mjs'), '--runs-dir', join(folder, 'runs'), '--no-record'], envTargetOf(sim.description, 'cli.norecord@gpmon.test'));
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const id = runIdOf(ran.stdout);
    assert.doesNotMatch(ran.stdout, /recorded/);
    assert.ok(existsSync(join(folder, 'runs', id)), 'its folder is written');
    assert.equal(existsSync(join(folder, 'runs', 'gpmon.db')), false, 'no history is made');
  });

  describe('a history locked by another process (a daemon writing)', () => {
    /** Holds the write lock of `database` (as a daemon's long write would) until release() is called. */
    const lock = (database: string) => {
      const holder = new Database(database);
      holder.exec('BEGIN IMMEDIATE');
      return () => {
        holder.exec('ROLLBACK');
        holder.close();
      };
    };
    const runsDirOf = (name: string) => {
      const runsDir = mkdtempSync(join(dir, `${name}-`));
      // The history exists, as a daemon's does.
      RunStore.open(join(runsDir, 'gpmon.db'), runsDir).close();
      return runsDir;
    };
    const env = () => ({ ...envTargetOf(sim.description, 'cli.locked@gpmon.test') });

    it('locked throughout: the run goes on and keeps its exit code; a warning names it as not recorded', async () => {
      const runsDir = runsDirOf('locked');
      const release = lock(join(runsDir, 'gpmon.db'));
      let ran: Awaited<ReturnType<typeof gpmonInProcess>>;
      try {
        sim.state.enable({ name: 'empty_answer' });
        ran = await gpmonInProcess(['run', 'golden-path-api', '--target', 'env', '--runs-dir', runsDir], env());
      } finally {
        release();
      }
      assert.equal(ran.code, 1, ran.stdout + ran.stderr);
      const id = runIdOf(ran.stdout);
      assert.match(ran.stderr, new RegExp(`^gpmon run: the run history ${runsDir}/gpmon\\.db is locked by another process \\(a gpmon serve busy with it\\?\\): run ${id} was not recorded; its folder is kept: ${runsDir}/${id}$`, 'm'));
      assert.match(ran.stdout, /^not recorded in the run history$/m);
      assert.deepEqual(storedRuns(join(runsDir, 'gpmon.db'), runsDir), []);
    });

    it('locked for a moment: waited for, and recorded', async () => {
      const runsDir = runsDirOf('briefly');
      const release = lock(join(runsDir, 'gpmon.db'));
      const timer = setTimeout(release, 1200);
      try {
        const ran = await gpmonInProcess(['run', 'ws-auth-enforced', '--target', 'env', '--runs-dir', runsDir], env());
        assert.equal(ran.code, 0, ran.stdout + ran.stderr);
        assert.equal(ran.stderr, '');
        const id = runIdOf(ran.stdout);
        assert.deepEqual(storedRuns(join(runsDir, 'gpmon.db'), runsDir).map((run) => run.id), [id]);
      } finally {
        clearTimeout(timer);
      }
    });

    it('a history that cannot be opened (not a database): a warning, and the run goes on', async () => {
      const runsDir = mkdtempSync(join(dir, 'garbage-'));
      writeFileSync(join(runsDir, 'gpmon.db'), 'this is not a SQLite database, just text\n'.repeat(200));
      const ran = await gpmonInProcess(['run', 'ws-auth-enforced', '--target', 'env', '--runs-dir', runsDir], env());
      assert.equal(ran.code, 0, ran.stdout + ran.stderr);
      assert.match(ran.stderr, new RegExp(`^gpmon run: the run history ${runsDir}/gpmon\\.db cannot be opened: file is not a database; the run goes on, but is not recorded`, 'm'));
      assert.match(ran.stdout, /^PASSED in \d+ ms/m);
    });
  });
});

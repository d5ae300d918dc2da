import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RunRecord } from '../../src/model/run-record.js';
import { gpmon, startGpmon, type RunningGpmon } from '../helpers/gpmon-cli.js';
import { waitFor } from '../helpers/prom-tools.js';
import { onlyJourneys } from '../helpers/shipped.js';

const TOKEN = 'serve-cli-token-0123456789';
const sh = promisify(execFile);

/**
 * `gpmon serve` with the embedded simulator, as a newcomer starts it: it
 * prints the console, the simulator's admin API and token, and a curl that
 * breaks a step. Pasting that curl makes the scheduled runs fail at that
 * step; the heal curl makes them pass again. A `gpmon run` meanwhile lands in
 * the same history, its evidence served by the daemon.
 */
describe('gpmon serve with the embedded simulator', () => {
  let dir: string;
  let config: string;
  let serve: RunningGpmon;
  let lines: Map<string, string>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpmon-serve-cli-'));
    config = join(dir, 'monitor.config.mjs');
    const settings = { server: { port: 0 }, runs: { dir: join(dir, 'runs'), prewarm: false }, journeys: onlyJourneys({ 'golden-path-api': { schedule: '*/2 * * * * *' } }) };
    writeFileSync(config, `export default ${JSON.stringify(settings)};\n`);
    serve = startGpmon(['serve', '--config', config], { GPMON_API_TOKEN: TOKEN, GPMON_LOG_LEVEL: 'warn', GPMON_APP_URL: undefined, GPMON_RUNS_DIR: undefined }, dir);
    lines = await waitFor(
      'gpmon serve to print the simulator',
      () => {
        if (serve.child.exitCode !== null) throw new Error(`gpmon serve exited ${serve.child.exitCode}: ${serve.stderr()}`);
        const found = new Map<string, string>();
        for (const [key, pattern] of [
          ['url', /^gpmon serve: (http:\/\/127\.0\.0\.1:\d+) {2}\(console \/, metrics \/metrics, API \/api\)$/m],
          ['admin', /^gpmon serve: simulator admin API: (\S+) {2}admin token: (\S+) {2}\(the simulator's own, thrown away when it stops\)$/m],
          ['break', /^gpmon serve: break a step \(the socket's connect\): (curl .*)$/m],
          ['heal', /^gpmon serve: heal it: (curl .*\/faults) {3}/m],
          ['console', /^gpmon serve: then watch the console react: (\S+)$/m],
        ] as const) {
          const match = pattern.exec(serve.stderr());
          if (match === null) return Promise.resolve(undefined);
          found.set(key, match[1] ?? '');
          if (key === 'admin') found.set('adminToken', match[2] ?? '');
        }
        return Promise.resolve(found);
      },
      60_000,
    );
  });
  after(async () => {
    if (serve.child.exitCode === null) {
      serve.child.kill('SIGTERM');
      await once(serve.child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const url = () => lines.get('url') ?? '';
  const runs = async (): Promise<RunRecord[]> => ((await (await fetch(`${url()}/api/runs?journey=golden-path-api&limit=20`)).json()) as { runs: RunRecord[] }).runs;

  it('prints the console URL, the admin URL and its working token; the API token it was given is not printed', async () => {
    assert.equal(lines.get('console'), `${url()}/`);
    assert.match(serve.stderr(), /watching the embedded simulator; open http:\/\/127\.0\.0\.1:\d+\/login as \S+ \/ \S+/);
    assert.ok(!serve.stderr().includes(TOKEN), 'GPMON_API_TOKEN, given, is never echoed');
    const state = await fetch(`${lines.get('admin') ?? ''}/state`, { headers: { authorization: `Bearer ${lines.get('adminToken') ?? ''}` } });
    assert.equal(state.status, 200);
  });

  it('the printed curl breaks the connect step of the scheduled runs; the heal curl mends it', async () => {
    const broke = await sh('sh', ['-c', lines.get('break') ?? 'false']);
    assert.match(broke.stdout, /"enabled"/);
    const failed = await waitFor('a run failing at connect', async () => (await runs()).find((run) => run.failure?.step === 'connect' && run.failure.reason === 'ws_subprotocol'), 60_000);
    assert.equal(failed.outcome, 'failed');
    await sh('sh', ['-c', lines.get('heal') ?? 'false']);
    const healedAt = new Date().toISOString();
    await waitFor('a passing run after the heal', async () => (await runs()).find((run) => run.outcome === 'passed' && run.startedAt > healedAt), 60_000);
  });

  it('a gpmon run meanwhile is recorded in the daemon\'s history: the daemon serves it and its artifacts', async () => {
    const ran = await gpmon(['run', 'golden-path-api', '--config', config], { GPMON_APP_URL: undefined, GPMON_RUNS_DIR: undefined }, { cwd: dir });
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const id = /^recorded: gpmon show (\S+) /m.exec(ran.stdout)?.[1] ?? '';
    const record = (await (await fetch(`${url()}/api/runs/${id}`)).json()) as RunRecord;
    assert.deepEqual([record.id, record.trigger, record.outcome], [id, 'manual', 'passed']);
    const artifact = record.artifacts[0];
    assert.ok(artifact !== undefined);
    const served = await fetch(`${url()}/api/runs/${id}/artifacts/${encodeURIComponent(artifact.name)}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(served.status, 200);
    assert.equal((await served.arrayBuffer()).byteLength, artifact.bytes);
  });

  it('SIGTERM stops it, exit 0', async () => {
    serve.child.kill('SIGTERM');
    const [code] = (await once(serve.child, 'exit')) as [number | null];
    assert.equal(code, 0, serve.stderr());
  });
});

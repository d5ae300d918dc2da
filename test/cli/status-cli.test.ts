import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../src/store/run-store.js';
import type { RunRecord } from '../../src/model/run-record.js';
import { gpmonInProcess } from '../helpers/gpmon-cli.js';
import { runRecord } from '../helpers/records.js';

/** Anything a terminal acts on but the newline: C0 controls, DEL, C1 controls, bidirectional overrides. */
// eslint-disable-next-line no-control-regex -- the test looks for exactly these
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

interface StatusJson {
  journey: string;
  target: string;
  state: string;
  label: string;
  failing?: { since: string; failures: number; pageAfter: number; pagedBy?: string; latest: { id: string; failure?: { step: string; reason: string; message: string } } };
  paused?: { since: string; reason?: string; by: string };
  lastRun?: { id: string; outcome: string };
  lastRunErrored: boolean;
  ratio: { day: { passed: number; failed: number; error: number; value: number | null }; week: { value: number | null } };
  revision: { revision: string; version: string | null } | null;
  schedule: string;
  strip?: unknown;
}

/**
 * `gpmon status` on a run history written with the store's API (as the
 * daemon writes it): a journey paging after 3 failed runs in a row, one
 * failing once, one passing, one paused during a failure streak, one
 * erroring, one stale, one switched off, and one that never ran; then on a
 * config whose history does not exist yet.
 */
describe('gpmon status', () => {
  let dir: string;
  let runsDir: string;
  let database: string;
  let config: string;
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
  const cli = (args: string[]) => gpmonInProcess(args, {});
  const record = (id: string, journey: string, outcome: RunRecord['outcome'], msAgo: number, extra: Partial<RunRecord> = {}): RunRecord =>
    runRecord({ id, journey, target: 'simulator', outcome, startedAt: ago(msAgo + 1000), finishedAt: ago(msAgo), durationMs: 1000, targetInfo: { version: '1.4.2', revision: 'abcdef0123456789' }, ...extra });
  const failure = (message: string) => ({ failure: { step: 'connect', reason: 'ws_subprotocol' as const, message, evidence: {} } });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpmon-status-'));
    runsDir = join(dir, 'runs');
    database = join(runsDir, 'gpmon.db');
    config = join(dir, 'monitor.config.json');
    writeFileSync(config, JSON.stringify({ runs: { dir: runsDir }, journeys: { 'thread-follow-up': { enabled: false }, 'golden-path-api': { pageAfterFailures: 3 } } }));
    mkdirSync(runsDir);
    const store = RunStore.open(database, runsDir);
    // golden-path-api: a pass, then 3 failures in a row: paging (pageAfterFailures 3).
    store.runFinished(record('gpa-pass', 'golden-path-api', 'passed', 40_000));
    store.runFinished(record('gpa-fail-1', 'golden-path-api', 'failed', 30_000, failure('first')));
    store.runFinished(record('gpa-fail-2', 'golden-path-api', 'failed', 20_000, failure('second')));
    store.runFinished(record('gpa-fail-3', 'golden-path-api', 'failed', 10_000, failure('subprotocol \u001b[2J\u001b]0;owned\u0007 refused')));
    // golden-path: passing.
    store.runFinished(record('gp-pass', 'golden-path', 'passed', 5_000));
    // platform-health: one failure after a pass: failing, 1 of the 3 it pages at.
    store.runFinished(record('ph-pass', 'platform-health', 'passed', 20_000));
    store.runFinished(record('ph-fail', 'platform-health', 'failed', 5_000, failure('once')));
    // token-refresh: failing twice, then paused by an operator.
    store.runFinished(record('tr-fail-1', 'token-refresh', 'failed', 20_000, failure('tr')));
    store.runFinished(record('tr-fail-2', 'token-refresh', 'failed', 10_000, failure('tr')));
    store.savePause({ journey: 'token-refresh', target: 'simulator', since: ago(60_000), reason: 'db migration \u001b[31mnow', by: 'console' });
    // ws-auth-enforced: the last run was the monitor's own error.
    store.runFinished(record('wa-pass', 'ws-auth-enforced', 'passed', 20_000));
    store.runFinished(record('wa-error', 'ws-auth-enforced', 'error', 5_000, { failure: { step: 'login', reason: 'monitor_error', message: 'browser crashed', evidence: {} } }));
    // concurrent-sessions: last finished two days ago: stale.
    store.runFinished(record('cs-pass', 'concurrent-sessions', 'passed', 2 * 24 * 3600_000));
    // A journey that is no longer configured.
    store.runFinished(record('retired-run', 'retired-journey', 'passed', 5_000));
    store.close();
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints each journey × target's state, streak, failing step, last run, ratios and revision; exit 1 when one pages", async () => {
    const { code, stdout, stderr } = await cli(['status', '--config', config]);
    assert.equal(code, 1, stderr);
    assert.doesNotMatch(stdout, ACTIVE, 'text from the target cannot drive the terminal');
    assert.match(stdout, /^6 journey × targets at \S+Z: 1 paging, 1 failing, 1 stale, 1 erroring, 1 paused, 1 passing$/m);
    assert.match(stdout, /^golden-path-api on simulator: PAGING since \d+ seconds ago \(\S+Z\): 3 failed runs in a row \(pages at 3; GoldenPathDown fires\)$/m);
    assert.match(stdout, /^ {2}step connect failed with ws_subprotocol: subprotocol \\x1b\[2J\\x1b\]0;owned\\x07 refused$/m);
    assert.match(stdout, /^ {2}last run +failed \d+ seconds ago, took 1\.0 s: gpa-fail-3$/m);
    assert.match(stdout, /^ {2}success 24 h +25\.0% \(1 of 4\)$/m);
    assert.match(stdout, /^ {2}revision +abcdef012345 \(version 1\.4\.2\), seen since /m);
    assert.match(stdout, /^platform-health on simulator: FAILING since .*: 1 failed run in a row \(pages at 3\)$/m);
    assert.match(stdout, /^golden-path on simulator: PASSING: the last verdict was a pass\.$/m);
    assert.match(stdout, /^token-refresh on simulator: PAUSED since 1 minute ago \(\S+Z\), from the console: "db migration \\x1b\[31mnow"\. Not scheduled; its alerts are quiet\.$/m);
    assert.match(stdout, /^ {2}failing since .*: 2 failed runs in a row \(pages at 3\)$/m);
    assert.match(stdout, /^ws-auth-enforced on simulator: ERRORING: the last run was the monitor's own error: no verdict on the target\.$/m);
    assert.match(stdout, /^ {2}success 24 h +100% \(1 of 1; 1 monitor error left out\)$/m);
    assert.match(stdout, /^concurrent-sessions on simulator: STALE: no finished run for 2 d: over 3 schedule intervals/m);
    assert.match(stdout, /^switched off in the config: thread-follow-up$/m);
    assert.doesNotMatch(stdout, /retired-journey/, 'only configured journeys have a state');
  });

  it('--journey and --target narrow it; the exit code says whether a journey shown is failing or paging', async () => {
    const passing = await cli(['status', '--config', config, '--journey', 'golden-path']);
    assert.equal(passing.code, 0, passing.stderr);
    assert.match(passing.stdout, /^1 journey × target at \S+: 1 passing$/m);
    assert.doesNotMatch(passing.stdout, /golden-path-api/);
    const failing = await cli(['status', '--config', config, '--journey', 'platform-health', '--target', 'simulator']);
    assert.equal(failing.code, 1, 'failing, below the page threshold, is still the target failing');
    const paused = await cli(['status', '--config', config, '--journey', 'token-refresh']);
    assert.equal(paused.code, 0, 'a paused journey is planned work: its streak does not fail the command');
    const off = await cli(['status', '--config', config, '--journey', 'thread-follow-up']);
    assert.equal(off.code, 0);
    assert.match(off.stdout, /^thread-follow-up on simulator: DISABLED: switched off in the config: not scheduled\.$/m);
  });

  it('--json: one entry per journey × target, the model’s status with its revision and schedule, without the strip', async () => {
    const { code, stdout } = await cli(['status', '--config', config, '--json']);
    assert.equal(code, 1);
    const entries = JSON.parse(stdout) as StatusJson[];
    assert.deepEqual(
      entries.map((e) => `${e.journey}:${e.state}`).sort(),
      ['concurrent-sessions:stale', 'golden-path-api:paging', 'golden-path:passing', 'platform-health:failing', 'thread-follow-up:disabled', 'token-refresh:paused', 'ws-auth-enforced:erroring'],
    );
    const paging = entries.find((e) => e.journey === 'golden-path-api');
    assert.ok(paging?.failing !== undefined);
    assert.equal(paging.target, 'simulator');
    assert.equal(paging.failing.failures, 3);
    assert.equal(paging.failing.pageAfter, 3);
    assert.equal(paging.failing.pagedBy, 'GoldenPathDown');
    assert.equal(paging.failing.latest.id, 'gpa-fail-3');
    assert.equal(paging.failing.latest.failure?.message, 'subprotocol \u001b[2J\u001b]0;owned\u0007 refused', 'JSON keeps the message whole, escaped by JSON');
    assert.equal(paging.lastRun?.id, 'gpa-fail-3');
    assert.equal(paging.ratio.day.value, 0.25);
    assert.deepEqual(paging.revision && { revision: paging.revision.revision, version: paging.revision.version }, { revision: 'abcdef0123456789', version: '1.4.2' });
    assert.equal(paging.schedule, '*/15 * * * * *');
    assert.equal(paging.strip, undefined);
    const paused = entries.find((e) => e.journey === 'token-refresh');
    assert.deepEqual(paused?.paused && { reason: paused.paused.reason, by: paused.paused.by }, { reason: 'db migration \u001b[31mnow', by: 'console' });
    assert.equal(paused?.failing?.failures, 2, 'the streak is kept under a pause');
    assert.equal(entries.find((e) => e.journey === 'ws-auth-enforced')?.lastRunErrored, true);
    const filtered = await cli(['status', '--config', config, '--json', '--journey', 'golden-path']);
    assert.equal(filtered.code, 0);
    assert.deepEqual((JSON.parse(filtered.stdout) as StatusJson[]).map((e) => e.state), ['passing']);
  });

  it('bad flags: exit 2 with a message naming the flag, the nearest name and the known ones', async () => {
    const journey = await cli(['status', '--config', config, '--journey', 'golden-pth']);
    assert.equal(journey.code, 2);
    assert.match(journey.stderr, /^gpmon status: --journey: unknown journey "golden-pth" \(did you mean "golden-path"\?\); configured: .*golden-path-api/);
    const retired = await cli(['status', '--config', config, '--journey', 'retired-journey']);
    assert.equal(retired.code, 2);
    assert.match(retired.stderr, /"retired-journey" has runs in the history but is not configured now: gpmon runs --journey retired-journey lists them/);
    const target = await cli(['status', '--config', config, '--target', 'simulatr']);
    assert.equal(target.code, 2);
    assert.match(target.stderr, /^gpmon status: --target: unknown target "simulatr" \(did you mean "simulator"\?\); configured: simulator$/m);
    const empty = await cli(['status', '--config', config, '--journey', '']);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /--journey: give a name/);
    const extra = await cli(['status', '--config', config, 'golden-path']);
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /unexpected argument "golden-path"/);
    const hostile = await cli(['status', '--config', config, '--journey', 'x\u001b[2J']);
    assert.equal(hostile.code, 2);
    assert.doesNotMatch(hostile.stderr, ACTIVE);
    const noConfig = await cli(['status', '--config', join(dir, 'missing.config.json')]);
    assert.equal(noConfig.code, 2);
    assert.match(noConfig.stderr, /^gpmon status: --config: /);
  });

  it('with no history file yet: every journey has no run yet, says so, and creates nothing', async () => {
    const fresh = join(dir, 'fresh');
    mkdirSync(fresh);
    const freshConfig = join(fresh, 'monitor.config.json');
    writeFileSync(freshConfig, JSON.stringify({ runs: { dir: join(fresh, 'runs') } }));
    const text = await cli(['status', '--config', freshConfig]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^no runs recorded in ${join(fresh, 'runs', 'gpmon.db').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} yet$`, 'm'));
    assert.match(text.stdout, /^golden-path on simulator: NO RUN YET: it has not run yet\.$/m);
    const json = await cli(['status', '--config', freshConfig, '--json']);
    assert.equal(json.code, 0);
    assert.match(json.stderr, /^no runs recorded in .* yet$/m);
    const entries = JSON.parse(json.stdout) as StatusJson[];
    assert.ok(entries.length > 0 && entries.every((e) => e.state === 'no-runs'), json.stdout);
    assert.equal(existsSync(join(fresh, 'runs')), false, 'reading never creates a history');
  });
});

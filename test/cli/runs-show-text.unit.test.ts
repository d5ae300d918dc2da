import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunsOptions, runsTable } from '../../src/cli/runs-command.js';
import { terminalWidth } from '../../src/cli/show-command.js';
import { secretsNotNeeded } from '../../src/cli/history-reader.js';
import { bytes, showLines, stepLines, waterfallBar, type ShowInput } from '../../src/cli/show-text.js';
import { UsageError } from '../../src/cli/usage.js';
import { runView, transcriptPage } from '../../src/model/run-view.js';
import { runRecord } from '../helpers/records.js';

// eslint-disable-next-line no-control-regex -- the test looks for exactly these
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const NOW = Date.parse('2026-01-01T00:10:00.000Z');

/** A failed run: login passed (over its SLO), connect failed with evidence, the rest skipped. */
const failed = runRecord({
  id: 'run-failed-1',
  outcome: 'failed',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  durationMs: 1000,
  steps: [
    { name: 'login', status: 'passed', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 600 },
    { name: 'connect', status: 'failed', startedAt: '2026-01-01T00:00:00.600Z', durationMs: 400 },
    { name: 'agent_request', status: 'skipped' },
  ],
  failure: { step: 'connect', reason: 'ws_subprotocol', message: 'server answered subprotocol "jwt-auth"', evidence: { offered: ['jwt.…(523 chars)'], selected: 'jwt-auth' } },
  artifacts: [{ name: 'trace.zip', path: 'run-failed-1/trace.zip', bytes: 42_000 }],
});

describe('the waterfall', () => {
  it('draws each step where it ran on the axis, its SLO marker, and says over or within in words', () => {
    const view = runView(failed, { login: 500, connect: 1000 });
    const lines = stepLines(view, true, 100);
    assert.equal(lines.length, 4);
    assert.match(lines[1] ?? '', /^ {2}login\s+passed\s+600 ms\s+█+·*\|?[·█|]*\s+OVER its SLO of 500 ms by 100 ms$/);
    assert.match(lines[2] ?? '', /^ {2}connect\s+FAILED\s+400 ms\s+[·█|]+\s+within its SLO of 1.0 s$/);
    assert.match(lines[3] ?? '', /^ {2}agent_request\s+skipped$/);
    for (const line of lines) assert.ok(line.length <= 100, `${line.length} columns: ${line}`);
  });

  it('scales a bar to the width given: the step takes its share of the axis, the marker sits where the SLO ends', () => {
    assert.equal(waterfallBar({ offsetMs: 0, durationMs: 500, sloMs: 250 }, 1000, 20), '█████|████··········');
    assert.equal(waterfallBar({ offsetMs: 500, durationMs: 250, sloMs: 400 }, 1000, 20), '··········█████···|·');
    // An SLO ending past the axis is not drawn; a step too short for a cell still gets one.
    assert.equal(waterfallBar({ offsetMs: 900, durationMs: 1, sloMs: 5000 }, 1000, 10), '·········█');
    assert.equal(waterfallBar({ offsetMs: 0, durationMs: 1000 }, 1000, 40).length, 40);
  });

  it('without the journey in the config, says there are no SLOs to compare with', () => {
    const lines = stepLines(runView(failed), false, 80);
    assert.match(lines[0] ?? '', /is not in the config now: no SLOs to compare with/);
    assert.doesNotMatch(lines.join('\n'), /SLO of/);
  });
});

describe('showLines', () => {
  const input = (record = failed, extra: Partial<ShowInput> = {}): ShowInput => {
    const view = runView(record, { login: 500, connect: 1000 });
    return { view, journeyConfigured: true, runFolder: `/runs/${record.id}`, artifacts: view.artifacts.map((artifact) => ({ artifact, hostPath: `/runs/${artifact.path}` })), commandSuffix: '', ...extra };
  };

  it('prints the header, the failure with its evidence, the trace command, the inputs and the replay command', () => {
    const text = showLines(input(), 100, NOW).join('\n');
    assert.match(text, /^golden-path-api against sim: FAILED at connect \(ws_subprotocol\)$/m);
    assert.match(text, /^ {2}started\s+10 minutes ago \(2026-01-01T00:00:00.000Z\)$/m);
    assert.match(text, /^ {2}reason\s+ws_subprotocol$/m);
    assert.match(text, /^ {4}selected\s+jwt-auth$/m);
    assert.match(text, /^ {2}trace\s+trace.zip\s+41.0 KiB\s+\/runs\/run-failed-1\/trace.zip$/m);
    assert.match(text, /^trace: npx playwright show-trace \/runs\/run-failed-1\/trace.zip$/m);
    assert.match(text, /^run it again: gpmon replay run-failed-1$/m);
  });

  it('a missing artifact is said to be gone, and gets no trace command', () => {
    const shown = input();
    const text = showLines({ ...shown, artifacts: shown.artifacts.map(({ artifact }) => ({ artifact })) }, 100, NOW).join('\n');
    assert.match(text, /trace\.zip\s+41.0 KiB\s+not in the run folder any more/);
    assert.doesNotMatch(text, /show-trace/);
  });

  it('prints a hostile value from the target (escape sequences, C1, bidi) as visible text', () => {
    const hostile = runRecord({
      ...failed,
      failure: { step: 'connect', reason: 'ws_closed', message: 'closed: \u001b[2J\u001b]0;owned\u0007', evidence: { closeReason: '\u009b31mred\u202e' } },
      inputs: { prompt: 'hi\u001b[A', expectedAnswer: '.' },
      steps: [{ name: 'connect\u001b[K', status: 'failed', startedAt: failed.startedAt, durationMs: 5 }],
    });
    const jsonl = [JSON.stringify({ t: 5, dir: 'in', data: 'frame \u001b[1;1H\u001b[2Jgone' }), 'not json', JSON.stringify({ t: 6, dir: 'event', event: 'close', detail: { reason: '\u0007' } })].join('\n');
    const text = showLines({ ...input(hostile), transcript: { name: 'transcript.jsonl', page: transcriptPage(jsonl, 1) } }, 100, NOW).join('\n');
    assert.doesNotMatch(text, ACTIVE);
    assert.match(text, /closed: \\x1b\[2J\\x1b\]0;owned\\x07/);
    assert.match(text, /closeReason\s+\\x9b31mred\\u\{202e\}/);
    assert.match(text, /frame \\x1b\[1;1H\\x1b\[2Jgone/);
    assert.match(text, /page 1 of 1, lines 1-2 of 2 \(1 unreadable lines skipped\)/);
    assert.match(text, /prompt\s+hi\\x1b\[A/);
  });

  it('pages the transcript: which page of how many, and the command for the next one', () => {
    const jsonl = Array.from({ length: 250 }, (_, i) => JSON.stringify({ t: i, dir: i % 2 === 0 ? 'out' : 'in', data: `frame ${String(i + 1)}` })).join('\n');
    const page2 = showLines({ ...input(), transcript: { name: 'transcript.jsonl', page: transcriptPage(jsonl, 2) }, commandSuffix: ' --config my.config.ts' }, 100, NOW).join('\n');
    assert.match(page2, /page 2 of 3, lines 101-200 of 250/);
    assert.match(page2, /^\s+100 ms\s+sent\s+frame 101$/m);
    assert.match(page2, /^ {2}next page: gpmon show run-failed-1 --page 3 --config my.config.ts$/m);
    const page3 = showLines({ ...input(), transcript: { name: 'transcript.jsonl', page: transcriptPage(jsonl, 3) } }, 100, NOW).join('\n');
    assert.match(page3, /page 3 of 3, lines 201-250 of 250/);
    assert.doesNotMatch(page3, /next page/);
  });

  it('a passed run has no failure section, and shows events with the longest gap', () => {
    const passed = runRecord({ id: 'run-passed', outcome: 'passed', events: [{ type: 'agent_started', atMs: 80 }, { type: 'agent_thinking', atMs: 400 }, { type: 'agent_completed', atMs: 500 }] });
    const text = showLines(input(passed), 100, NOW).join('\n');
    assert.match(text, /^golden-path-api against sim: passed$/m);
    assert.doesNotMatch(text, /^failure$/m);
    assert.match(text, /^ {2}agent_thinking\s+400 ms\s+\+320 ms\s+← the longest gap$/m);
    assert.match(text, /longest gap: 320 ms before agent_thinking/);
    assert.match(text, /^artifacts: none kept$/m);
  });
});

describe('gpmon runs, pure parts', () => {
  it('the table: relative and ISO start, journey, target, trigger, outcome, duration, failing step and reason, the whole id', () => {
    const lines = runsTable([failed, runRecord({ id: 'run-passed', outcome: 'passed', trigger: 'replay', startedAt: '2026-01-01T00:09:58.500Z', durationMs: 12_345 })], NOW);
    assert.match(lines[0] ?? '', /^STARTED\s+AT \(UTC\)\s+JOURNEY\s+TARGET\s+TRIGGER\s+OUTCOME\s+DURATION\s+FAILURE\s+RUN$/);
    assert.match(lines[1] ?? '', /^10 minutes ago\s+2026-01-01T00:00:00Z\s+golden-path-api\s+sim\s+schedule\s+failed\s+1.0 s\s+connect: ws_subprotocol\s+run-failed-1$/);
    assert.match(lines[2] ?? '', /^2 seconds ago\s+2026-01-01T00:09:58Z\s+golden-path-api\s+sim\s+replay\s+passed\s+12 s\s+-\s+run-passed$/);
  });

  it('a journey name with escape sequences prints harmlessly in the table', () => {
    const [, row] = runsTable([runRecord({ id: 'x', outcome: 'passed', journey: 'evil\u001b[2J' })], NOW);
    assert.doesNotMatch(row ?? '', ACTIVE);
    assert.match(row ?? '', /evil\\x1b\[2J/);
  });

  it('the query: --failed is failed or error, --since a time before now, --limit 20 unless given', () => {
    assert.deepEqual(parseRunsOptions({}, NOW), { limit: 20 });
    assert.deepEqual(parseRunsOptions({ journey: 'golden-path', target: 'sim', failed: true, since: '1h', limit: '5' }, NOW), {
      journey: 'golden-path',
      target: 'sim',
      outcome: ['failed', 'error'],
      since: '2025-12-31T23:10:00.000Z',
      limit: 5,
    });
  });

  const refused: [string, Parameters<typeof parseRunsOptions>[0], RegExp][] = [
    ['--since not a duration', { since: 'soon' }, /^gpmon runs: --since: "soon" is not a duration/],
    ['--since a bare number', { since: '60' }, /^gpmon runs: --since: "60" is not a duration/],
    ['--since under a second', { since: '10ms' }, /^gpmon runs: --since: "10ms" must be from 1 second to 365 days/],
    ['--since over a year', { since: '2y' }, /^gpmon runs: --since: "2y" must be from 1 second to 365 days/],
    ['--limit 0', { limit: '0' }, /^gpmon runs: --limit: "0" is not a whole number from 1 to 1000$/],
    ['--limit 1001', { limit: '1001' }, /^gpmon runs: --limit: "1001" is not a whole number from 1 to 1000$/],
    ['--limit -3', { limit: '-3' }, /^gpmon runs: --limit: "-3" is not/],
    ['--limit 2.5', { limit: '2.5' }, /^gpmon runs: --limit: "2.5" is not/],
    ['--journey empty', { journey: '' }, /^gpmon runs: --journey: give a name$/],
  ];
  for (const [what, options, message] of refused) {
    it(`refuses ${what}, naming the flag`, () => {
      assert.throws(() => parseRunsOptions(options, NOW), (error: unknown) => error instanceof UsageError && message.test(error.message));
    });
  }
});

describe('small helpers', () => {
  it('sizes as a person reads them', () => {
    assert.deepEqual([bytes(217), bytes(11_134), bytes(3 * 1024 * 1024)], ['217 B', '10.9 KiB', '3.0 MiB']);
  });

  it('the terminal width: COLUMNS, else the terminal when there is one, else 100; within 40 to 400', () => {
    assert.equal(terminalWidth({ env: { COLUMNS: '132' } }, 80), 132);
    assert.equal(terminalWidth({ env: {}, tty: true }, 80), 80);
    assert.equal(terminalWidth({ env: {} }, 80), 100);
    assert.equal(terminalWidth({ env: { COLUMNS: '10' } }, 80), 40);
    assert.equal(terminalWidth({ env: { COLUMNS: 'wide' }, tty: true }, 9999), 400);
  });

  it("reading resolves the config without the targets' secrets: an unset one is a placeholder, gpmon's own variables are as set", () => {
    const env = secretsNotNeeded({ SET: 'value', EMPTY: '', GPMON_APP_URL: 'http://app', GPMON_TARGET: '' });
    assert.equal(env.SET, 'value');
    assert.equal(env.PROD_PASSWORD, 'not-needed-to-read-the-history');
    assert.equal(env.EMPTY, 'not-needed-to-read-the-history');
    assert.equal(env.GPMON_BYPASS_KEY, 'not-needed-to-read-the-history');
    assert.equal(env.GPMON_APP_URL, 'http://app');
    assert.equal(env.GPMON_WS_URL, undefined, 'what the environment target is stays as set');
    assert.equal(env.GPMON_TARGET, '');
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { artifactKind, runFlags, runView, transcriptPage, TRANSCRIPT_PAGE_SIZE } from '../../src/model/run-view.js';
import { runRecord } from '../helpers/records.js';

const START = '2026-03-01T12:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(START) + ms).toISOString();

/** A failed golden-path-api run: connect broke after login, the rest skipped. */
const failed = runRecord({
  id: 'run-1',
  outcome: 'failed',
  startedAt: START,
  finishedAt: at(1500),
  durationMs: 1500,
  steps: [
    { name: 'login', status: 'passed', startedAt: at(100), durationMs: 400 },
    { name: 'connect', status: 'failed', startedAt: at(500), durationMs: 900 },
    { name: 'agent_request', status: 'skipped' },
  ],
  failure: { step: 'connect', reason: 'ws_subprotocol', message: 'the server selected jwt-auth', evidence: { offered: ['jwt.<token>', 'json'], selected: 'jwt-auth', status: 101, upgraded: true, code: null } },
  events: [
    { type: 'agent_thinking', atMs: 300 },
    { type: 'agent_started', atMs: 100 },
    { type: 'agent_completed', atMs: 1200 },
  ],
  marks: { maxGapMs: 850, answer: { chars: 12, excerpt: '<b>hi</b>' }, subprotocol: { offered: 'jwt.…', selected: 'jwt-auth' } },
  targetInfo: { version: '1.2.3', revision: 'abc1234' },
  artifacts: [
    { name: 'screenshot.png', path: 'run-1/screenshot.png', bytes: 10 },
    { name: 'trace.zip', path: 'run-1/trace.zip', bytes: 20 },
    { name: 'transcript.jsonl', path: 'run-1/transcript.jsonl', bytes: 30 },
    { name: 'console errors.txt', path: 'run-1/console errors.txt', bytes: 40 },
  ],
  inputs: { prompt: 'hello', expectedAnswer: '^Golden', params: { users: 3 } },
});

describe('run view', () => {
  it('places the steps on the run\'s time line against their objectives', () => {
    const view = runView(failed, { login: 300, connect: 1000, agent_request: 500 });
    assert.deepEqual(
      view.steps.map((s) => [s.name, s.status, s.offsetMs, s.durationMs, s.sloMs, s.overSlo, s.failed]),
      [
        ['login', 'passed', 100, 400, 300, true, false],
        ['connect', 'failed', 500, 900, 1000, false, true],
        ['agent_request', 'skipped', undefined, undefined, 500, false, false],
      ],
    );
    assert.equal(view.spanMs, 1500);
    // connect's marker ends at 500 + 1000 = 1500; login's at 400: the axis is the span.
    assert.equal(view.axisMs, 1500);
    assert.equal(runView(failed).steps.some((s) => s.overSlo), false, 'no objectives, nothing over');
  });

  it('stretches the axis to show a marker past the run, but never past twice its span', () => {
    assert.equal(runView(failed, { connect: 1800 }).axisMs, 2300);
    assert.equal(runView(failed, { connect: 60_000 }).axisMs, 3000);
    const late = runRecord({ id: 'x', outcome: 'passed', durationMs: 100, startedAt: START, steps: [{ name: 'a', status: 'passed', startedAt: at(50), durationMs: 200 }] });
    assert.equal(runView(late).spanMs, 250, 'a step that ends after the recorded duration widens the span');
  });

  it('keeps the failure with its evidence as name/value lines, arrays joined', () => {
    const view = runView(failed);
    assert.equal(view.failure?.step, 'connect');
    assert.equal(view.failure?.reason, 'ws_subprotocol');
    assert.equal(view.failure?.message, 'the server selected jwt-auth');
    assert.deepEqual(view.failure?.evidenceLines, [
      { name: 'offered', value: 'jwt.<token>, json' },
      { name: 'selected', value: 'jwt-auth' },
      { name: 'status', value: '101' },
      { name: 'upgraded', value: 'true' },
      { name: 'code', value: 'null' },
    ]);
    assert.equal(runView(runRecord({ id: 'p', outcome: 'passed' })).failure, undefined);
  });

  it('orders the events by arrival, with the time since the one before and the longest gap', () => {
    const { timeline } = runView(failed);
    assert.deepEqual(timeline.events, [
      { type: 'agent_started', atMs: 100, sinceLastMs: 100 },
      { type: 'agent_thinking', atMs: 300, sinceLastMs: 200 },
      { type: 'agent_completed', atMs: 1200, sinceLastMs: 900 },
    ]);
    assert.deepEqual(timeline.longestGap, { before: 'agent_completed', ms: 900 });
    assert.equal(timeline.streamMaxGapMs, 850);
    assert.equal(timeline.sessions, 1);
  });

  it('gives no longest gap over several sessions (their events interleave)', () => {
    const several = runRecord({ ...failed, marks: { sessionEventLatencyMs: [{ agent_started: 100 }, { agent_started: 120 }] } });
    const { timeline } = runView(several);
    assert.equal(timeline.sessions, 2);
    assert.equal(timeline.longestGap, undefined);
    assert.equal(timeline.events.length, 3);
  });

  it('names each artifact\'s kind and where the API serves it (names encoded)', () => {
    const view = runView(failed);
    assert.deepEqual(
      view.artifacts.map((a) => [a.kind, a.href]),
      [
        ['screenshot', '/api/runs/run-1/artifacts/screenshot.png'],
        ['trace', '/api/runs/run-1/artifacts/trace.zip'],
        ['transcript', '/api/runs/run-1/artifacts/transcript.jsonl'],
        ['other', '/api/runs/run-1/artifacts/console%20errors.txt'],
      ],
    );
    assert.deepEqual(['screenshot-1.png', 'trace-2.zip', 'transcript-2.jsonl', 'x.zip', 'log.txt'].map(artifactKind), ['screenshot', 'trace', 'transcript', 'other', 'other']);
  });

  it('carries the inputs, target info, answer and subprotocol as recorded (unescaped: escaping is the page\'s)', () => {
    const view = runView(failed);
    assert.deepEqual(view.inputs, { prompt: 'hello', expectedAnswer: '^Golden', params: { users: 3 } });
    assert.deepEqual(view.targetInfo, { version: '1.2.3', revision: 'abc1234' });
    assert.deepEqual(view.answer, { chars: 12, excerpt: '<b>hi</b>' });
    assert.deepEqual(view.subprotocol, { offered: 'jwt.…', selected: 'jwt-auth' });
  });

  it('flags what a passing run can still say: degraded services and dependencies, a certificate near its end, unchecked isolation', () => {
    const flags = runFlags(
      runRecord({
        id: 'f',
        outcome: 'passed',
        marks: {
          services: [{ service: 'api', status: 'degraded' }, { service: 'auth', status: 'ok' }],
          dependencies: [{ name: 'redis', status: 'slow', latencyMs: 812.4 }, { name: 'postgres', status: 'healthy', latencyMs: 3 }],
          tlsCertificates: [{ origin: 'app', notAfter: '2026-03-05T00:00:00.000Z', daysLeft: 3.5, trusted: true, issuer: 'x' }, { origin: 'api', notAfter: '2027-01-01T00:00:00.000Z', daysLeft: 300, trusted: true, issuer: 'x' }],
          concurrency: { distinctUsers: 1, sessions: 3 },
        },
      }),
    );
    assert.equal(flags.length, 4, flags.join('\n'));
    assert.match(flags[0] ?? '', /api answers \/health as degraded/);
    assert.match(flags[1] ?? '', /dependency redis is slow \(812 ms\)/);
    assert.match(flags[2] ?? '', /app origin's certificate ends in 3\.5 days/);
    assert.match(flags[3] ?? '', /isolation between users not checked: all 3 sessions are one user/);
    assert.deepEqual(runView(failed).flags, []);
  });
});

describe('transcript pages', () => {
  const line = (t: number, dir: string, data: string) => JSON.stringify({ t, dir, data });

  it('reads frames both ways and events, 100 a page, clamping the page asked for', () => {
    const lines = Array.from({ length: 250 }, (_, i) => line(i, i % 2 === 0 ? 'out' : 'in', `frame ${i}`));
    const jsonl = [...lines, JSON.stringify({ t: 999, dir: 'event', event: 'close', detail: { code: 1011 } })].join('\n') + '\n';
    const first = transcriptPage(jsonl, 1);
    assert.equal(TRANSCRIPT_PAGE_SIZE, 100);
    assert.equal(first.total, 251);
    assert.equal(first.pages, 3);
    assert.equal(first.lines.length, 100);
    assert.deepEqual(first.lines[0], { t: 0, dir: 'out', text: 'frame 0' });
    const last = transcriptPage(jsonl, 3);
    assert.equal(last.lines.length, 51);
    assert.deepEqual(last.lines.at(-1), { t: 999, dir: 'event', text: 'close {"code":1011}' });
    assert.equal(transcriptPage(jsonl, 99).page, 3, 'past the end: the last page');
    assert.equal(transcriptPage(jsonl, 0).page, 1);
    assert.equal(transcriptPage(jsonl, Number.NaN).page, 1);
  });

  it('skips and counts what is not a transcript entry, never throws', () => {
    const page = transcriptPage(['not json', '42', JSON.stringify({ t: 'x', dir: 'in' }), JSON.stringify({ t: 1, dir: 'sideways' }), line(5, 'in', '<script>x</script>'), ''].join('\n'), 1);
    assert.equal(page.unreadable, 4);
    assert.deepEqual(page.lines, [{ t: 5, dir: 'in', text: '<script>x</script>' }]);
    assert.deepEqual(transcriptPage('', 1), { lines: [], page: 1, pages: 1, total: 0, unreadable: 0 });
  });
});

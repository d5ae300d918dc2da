import { it } from 'node:test';
import type { InProcessHarness } from './in-process-run.js';
import assert from 'node:assert/strict';
import type { Fault } from '../../src/simulator/profile.js';
import type { RunRecord } from '../../src/model/run-record.js';
import { describeRecord } from './journey-harness.js';
import type { TranscriptEntry } from '../../src/kit/transcript.js';

/** Which journey each simulator fault must break, at which step, with which reason ('pass' where it must not). */
export type Expectation = 'pass' | { step: string; reason: string };

export interface FaultRow {
  readonly fault: Fault;
  /** null: not a row of the browser matrix (why is said beside the row). */
  readonly browser: Expectation | null;
  readonly api: Expectation;
  /** Checked for the faults that concern the socket's auth; the rest cannot touch it. */
  readonly authEnforced?: Expectation;
  /** thread-follow-up: checked for the faults that concern threads, and a healthy row; the rest break its golden path as they break golden-path-api's. */
  readonly followUp?: Expectation;
  /** token-refresh, concurrent-sessions (bypass login: a user per session), platform-health: checked for the faults of their areas and those that cut them short. */
  readonly tokenRefresh?: Expectation;
  readonly concurrent?: Expectation;
  readonly health?: Expectation;
  /** platform-health's expectation holds against a TLS simulator (its target trusting the simulator's CA), not the plain-http one. */
  readonly tls?: true;
  /** A longer step timeout, for a healthy stream that is long by design. */
  readonly stepTimeoutMs?: number;
  /**
   * The browser row's step timeout in the test suite, where other test files share the two cores: what
   * Chromium alone reads in 11 s takes it up to twice that there. The campaign runs the row at `stepTimeoutMs`.
   */
  readonly suiteStepTimeoutMs?: number;
  /** A stream long by design: this many frames of this type, every one in the transcript or counted as let go. */
  readonly filler?: { readonly type: string; readonly count: number };
}

const at = (step: string, reason: string): Expectation => ({ step, reason });

export const FAULT_MATRIX: readonly FaultRow[] = [
  { fault: { name: 'subprotocol_mismatch' }, browser: at('connect', 'ws_subprotocol'), api: at('connect', 'ws_subprotocol'), authEnforced: 'pass' },
  // A browser sees no body on a refused handshake, only the status; the ws client reads the server's words.
  { fault: { name: 'subprotocol_refused', mode: '403' }, browser: at('connect', 'ws_handshake'), api: at('connect', 'ws_subprotocol'), authEnforced: 'pass' },
  { fault: { name: 'subprotocol_refused', mode: '1003' }, browser: at('connect', 'ws_subprotocol'), api: at('connect', 'ws_subprotocol'), authEnforced: 'pass' },
  { fault: { name: 'ws_auth_rejected', mode: 'close' }, browser: at('connect', 'ws_auth'), api: at('connect', 'ws_auth'), authEnforced: 'pass', tokenRefresh: at('connect', 'ws_auth'), concurrent: at('connect', 'ws_auth') },
  { fault: { name: 'ws_auth_rejected', mode: '401' }, browser: at('connect', 'ws_auth'), api: at('connect', 'ws_auth'), authEnforced: 'pass' },
  { fault: { name: 'close_1011', after: 'agent_thinking' }, browser: at('live_events', 'ws_closed'), api: at('live_events', 'ws_closed') },
  // The page opens a new socket at once: the close of the one that carried the request is still the failure, as it happens.
  { fault: { name: 'close_1011', after: 'agent_thinking', reconnect: true }, browser: at('live_events', 'ws_closed'), api: at('live_events', 'ws_closed') },
  { fault: { name: 'missing_event', event: 'tool_completed' }, browser: at('live_events', 'event_missing'), api: at('live_events', 'event_missing') },
  { fault: { name: 'missing_event', event: 'agent_started' }, browser: at('agent_request', 'event_missing'), api: at('agent_request', 'event_missing') },
  { fault: { name: 'events_out_of_order' }, browser: at('live_events', 'event_order'), api: at('live_events', 'event_order'), concurrent: at('live_events', 'event_order') },
  { fault: { name: 'agent_error' }, browser: at('live_events', 'agent_error'), api: at('live_events', 'agent_error'), concurrent: at('live_events', 'agent_error') },
  { fault: { name: 'agent_never_completes' }, browser: at('live_events', 'timeout'), api: at('live_events', 'timeout') },
  { fault: { name: 'empty_answer' }, browser: at('ai_response', 'response_empty'), api: at('ai_response', 'response_empty') },
  { fault: { name: 'login_rejected' }, browser: at('login', 'auth_rejected'), api: at('login', 'auth_rejected'), authEnforced: 'pass', tokenRefresh: at('login', 'auth_rejected'), concurrent: at('login', 'auth_rejected'), health: 'pass' },
  { fault: { name: 'auth_down' }, browser: at('login', 'auth_unavailable'), api: at('login', 'auth_unavailable'), authEnforced: 'pass', tokenRefresh: at('login', 'auth_unavailable'), health: at('health', 'auth_unavailable') },
  { fault: { name: 'permissive_auth' }, browser: at('connect', 'security'), api: at('connect', 'security'), authEnforced: at('no_token', 'security') },
  // A target that hangs fails at the step where it hung, as a timeout: never `ui`, never the monitor's error.
  { fault: { name: 'login_stall', mode: 'stall' }, browser: at('login', 'timeout'), api: at('login', 'timeout'), authEnforced: 'pass' },
  { fault: { name: 'login_stall', mode: 'drip' }, browser: at('login', 'timeout'), api: at('login', 'timeout') },
  { fault: { name: 'upgrade_unanswered' }, browser: at('connect', 'timeout'), api: at('connect', 'timeout'), authEnforced: at('no_token', 'timeout') },
  // The page gives up on its connecting socket itself: the server still never answered the upgrade.
  { fault: { name: 'upgrade_unanswered', give_up: 1000 }, browser: at('connect', 'timeout'), api: at('connect', 'timeout') },
  { fault: { name: 'welcome_stall' }, browser: at('connect', 'timeout'), api: at('connect', 'timeout') },
  // The page's session check stalls after login: the chat page waits on it and never opens its socket. That call's timeout, not `ui`.
  { fault: { name: 'me_stall', mode: 'stall' }, browser: at('connect', 'timeout'), api: 'pass' },
  { fault: { name: 'me_stall', mode: 'drip' }, browser: at('connect', 'timeout'), api: 'pass' },
  // Long but healthy streams: every frame that decides the verdict is seen, the end included.
  { fault: { name: 'long_stream', thinking: 2500 }, browser: 'pass', api: 'pass', stepTimeoutMs: 15_000, filler: { type: 'agent_thinking', count: 2500 } },
  { fault: { name: 'heartbeat_flood', count: 5_000 }, browser: 'pass', api: 'pass', stepTimeoutMs: 15_000, filler: { type: 'heartbeat', count: 5000 } },
  // Chromium on 2 cores delivers about 9,000 small frames a second to a page, probe or not: 100,000 take 10-12 s.
  // The protocol journey reads them in about a second.
  { fault: { name: 'heartbeat_flood', count: 100_000 }, browser: 'pass', api: 'pass', stepTimeoutMs: 15_000, suiteStepTimeoutMs: 45_000, filler: { type: 'heartbeat', count: 100_000 } },
  // What only a browser sees.
  { fault: { name: 'page_freeze' }, browser: at('agent_request', 'timeout'), api: 'pass' },
  { fault: { name: 'cors_broken' }, browser: at('login', 'network'), api: 'pass', health: at('cors', 'http_error') },
  { fault: { name: 'broken_chat_page', mode: 'no_send_button' }, browser: at('agent_request', 'ui'), api: 'pass' },
  { fault: { name: 'broken_chat_page', mode: 'script_error' }, browser: at('connect', 'ui'), api: 'pass' },
  { fault: { name: 'answer_not_rendered' }, browser: at('ai_response', 'ui'), api: 'pass' },
  // A page that works, its socket opened by a Web Worker: read through Playwright's relay (the record says so).
  { fault: { name: 'socket_in_worker' }, browser: 'pass', api: 'pass' },
  // Slower, or a new deploy: still the golden path.
  { fault: { name: 'slow_phase', phase: 'agent_start', ms: 300 }, browser: 'pass', api: 'pass' },
  { fault: { name: 'new_revision', revision: 'feedc0ffee1234' }, browser: 'pass', api: 'pass', authEnforced: 'pass', followUp: 'pass', tokenRefresh: 'pass', concurrent: 'pass', health: 'pass' },
  // A follow-up loses its thread: the golden path asks once, in a new thread, so it never meets the fault; the follow-up journey does.
  { fault: { name: 'thread_lost', mode: 'context' }, browser: 'pass', api: 'pass', followUp: at('follow_up', 'response_mismatch') },
  { fault: { name: 'thread_lost', mode: 'thread' }, browser: 'pass', api: 'pass', followUp: at('follow_up', 'response_mismatch') },
  // The platform's wider surface (issue 12): faults of areas the browser journey never reaches (it neither refreshes, nor runs
  // two users, nor reads health endpoints), so they are not rows of the browser matrix; the golden path must still pass.
  { fault: { name: 'refresh_rejected' }, browser: null, api: 'pass', tokenRefresh: at('refresh', 'auth_rejected') },
  // The platform's refresh path mints a token the socket refuses, while a login's opens it: connect, as the socket said.
  { fault: { name: 'refreshed_token_refused' }, browser: null, api: 'pass', authEnforced: 'pass', tokenRefresh: at('connect', 'ws_auth') },
  { fault: { name: 'cross_delivery' }, browser: null, api: 'pass', concurrent: at('live_events', 'isolation') },
  // Runs served one after another: still a pass, the queue shows as latency (asserted beside the row).
  { fault: { name: 'serialised' }, browser: null, api: 'pass', concurrent: 'pass' },
  // Degraded is up: a pass, flagged in the marks and the gauges (asserted beside the row).
  { fault: { name: 'dependency_degraded', dependency: 'redis', latency_ms: 850 }, browser: null, api: 'pass', health: 'pass' },
  // A deploy that never takes effect changes nothing a journey sees: gpmon verify and the expected-revision rule tell it.
  { fault: { name: 'deploy_stuck' }, browser: null, api: 'pass', health: 'pass' },
  // The matrices' simulator is plain http, where cert_expiring is only listed: a certificate days from its end is still
  // valid, so the golden path passes either way. Over TLS (`tls`: the campaign runs platform-health against a TLS
  // simulator; the suite, in test/simulator/tls.test.ts) platform-health passes and exports the 5 days.
  { fault: { name: 'cert_expiring', days: 5 }, browser: null, api: 'pass', health: 'pass', tls: true },
  { fault: { name: 'cert_expiring', days: 0 }, browser: null, api: 'pass', health: at('tls', 'network'), tls: true },
];

/**
 * Declares a test per browser row of one half of the matrix (rows split by
 * turns, half 0 or 1), for two test files that run side by side: the fault
 * on, the browser journey run in-process, the expected verdict.
 */
export function browserRowTests(harness: () => InProcessHarness, half: 0 | 1): void {
  const rows = FAULT_MATRIX.filter((row) => row.browser !== null).filter((_, i) => i % 2 === half);
  for (const row of rows) {
    const expected = row.browser;
    if (expected === null) continue;
    it(`${label(row.fault)}: golden-path ${expected === 'pass' ? 'passes' : `fails at ${expected.step} (${expected.reason})`}`, async () => {
      harness().sim.state.enable(row.fault);
      const stepTimeoutMs = row.suiteStepTimeoutMs ?? row.stepTimeoutMs;
      const record = await harness().run('golden-path', stepTimeoutMs === undefined ? {} : { stepTimeoutMs });
      assertExpected(record, expected);
      if (row.filler !== undefined) assertWholeStream(record, harness().transcript(record.id), row.filler);
    });
  }
}

/**
 * A long stream's transcript: its first frames, a line counting what was let go, and its end (the run's
 * completion) kept; the frames kept and the frames counted as let go add up to the whole filler.
 */
export function assertWholeStream(record: RunRecord, transcript: readonly TranscriptEntry[], filler: { type: string; count: number }): void {
  const typeOf = (entry: TranscriptEntry) => (entry.dir === 'in' ? /"type"\s*:\s*"([^"]+)"/.exec(entry.data ?? '')?.[1] : undefined);
  const kept = transcript.filter((entry) => typeOf(entry) === filler.type).length;
  const gaps = transcript.filter((entry) => entry.event === 'frames_dropped' || entry.event === 'entries_dropped');
  const dropped = gaps.reduce((sum, entry) => sum + Number(entry.detail?.frames ?? entry.detail?.entries ?? 0), 0);
  const pageDropped = gaps.reduce((sum, entry) => sum + Number(entry.detail?.frames ?? 0), 0);
  // A live heartbeat may add one or two to a flood of them.
  assert.ok(kept + dropped >= filler.count && kept + dropped <= filler.count + 2, `${kept} ${filler.type} frames kept and ${dropped} let go, of ${filler.count}`);
  assert.ok(transcript.length <= 6000, `the transcript is bounded: ${transcript.length} entries`);
  if (kept < filler.count) assert.ok(gaps.length > 0, 'what was let go is said in the transcript');
  const received = transcript.filter((entry) => entry.dir === 'in').map(typeOf);
  assert.ok(received.includes('connection_established'), 'the welcome is kept');
  assert.ok(received.includes('agent_completed'), `the stream's end is kept: ${received.slice(-5).join(', ')}`);
  assert.equal(record.marks.droppedFrames ?? 0, pageDropped, 'the count the record marks is the one in the transcript');
}

export function label(fault: Fault): string {
  const params = Object.entries(fault).filter(([key]) => key !== 'name').map(([key, value]) => `${key}=${String(value)}`);
  return params.length === 0 ? fault.name : `${fault.name}:${params.join(',')}`;
}

/** The record fails at the expected step with the expected reason, the steps before passed and those after skipped. */
export function assertExpected(record: RunRecord, expected: Expectation): void {
  if (expected === 'pass') {
    assert.equal(record.outcome, 'passed', describeRecord(record));
    return;
  }
  // The monitor's own error is an `error` run (it says nothing of the target); every other reason a failed one.
  assert.equal(record.outcome, expected.reason === 'monitor_error' ? 'error' : 'failed', describeRecord(record));
  assert.equal(record.failure?.step, expected.step, describeRecord(record));
  assert.equal(record.failure.reason, expected.reason, describeRecord(record));
  assert.ok(record.failure.message.length > 0);
  const index = record.steps.findIndex((step) => step.name === expected.step);
  assert.deepEqual(
    record.steps.map((step) => step.status),
    record.steps.map((_, i) => (i < index ? 'passed' : i === index ? 'failed' : 'skipped')),
    describeRecord(record),
  );
}


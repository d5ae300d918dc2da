import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, describeRecord, type Harness } from '../helpers/journey-harness.js';
import { CRITICAL_EVENTS, eventOffsets, type LatencyProfile } from '../../src/simulator/profile.js';
import type { RunRecord } from '../../src/model/run-record.js';

/**
 * Step durations and event latencies against the simulator's ground truth:
 * what it really spent on its side (its latency profile plus its own
 * processing, measured server-side), within max(15 ms, 5 %) for the protocol
 * journey and max(50 ms, 10 %) for the browser journey. Runs are prepared
 * ahead, as the scheduler prepares them before a tick.
 */
const PROFILE: LatencyProfile = { login: 120, handshake: 60, agent_start: 150, thinking: 200, tool_start: 100, tool: 250, completion: 150, render: 120 };
const configured = eventOffsets(PROFILE);

function within(actual: number | undefined, truth: number | undefined, floorMs: number, share: number, what: string): void {
  assert.ok(actual !== undefined && truth !== undefined, `${what} was measured (${String(actual)}) and observed (${String(truth)})`);
  const tolerance = Math.max(floorMs, truth * share);
  assert.ok(Math.abs(actual - truth) <= tolerance, `${what}: measured ${actual.toFixed(1)} ms, truth ${truth.toFixed(1)} ms, tolerance ${tolerance.toFixed(1)} ms`);
}

describe('timing accuracy against the simulator’s ground truth', () => {
  let h: Harness;
  before(async () => {
    // No child loads while a measured run runs: each is prepared explicitly, before its run.
    h = await startHarness({ latency: PROFILE, keepWarm: false });
  });
  after(async () => {
    await h.stop();
  });

  const check = (record: RunRecord, floorMs: number, share: number) => {
    assert.equal(record.outcome, 'passed', describeRecord(record));
    const observed = h.sim.state.observed;
    const events = observed.events ?? {};
    // The simulator kept to its profile: the truth is the profile plus a little processing.
    for (const event of CRITICAL_EVENTS) {
      const sent = events[event] ?? -1;
      assert.ok(sent >= configured[event] - 1 && sent <= configured[event] + 60, `${event} left the simulator at ${sent.toFixed(1)} ms (profile ${configured[event]} ms)`);
      within(record.events.find((e) => e.type === event)?.atMs, sent, floorMs, share, `latency of ${event}`);
    }
    const step = (name: string) => record.steps.find((s) => s.name === name)?.durationMs;
    within(step('connect'), observed.connect, floorMs, share, 'step connect');
    within(step('agent_request'), events.agent_started, floorMs, share, 'step agent_request');
    within(step('live_events'), (events.agent_completed ?? 0) - (events.agent_started ?? 0), floorMs, share, 'step live_events');
    const gaps = [PROFILE.agent_start, PROFILE.thinking, PROFILE.tool_start, PROFILE.tool, PROFILE.completion];
    within(record.marks.maxGapMs as number, Math.max(...gaps), floorMs, share, 'longest gap');
  };

  it('golden-path-api: within max(15 ms, 5 %)', async () => {
    await h.prepare('golden-path-api');
    const record = await h.run('golden-path-api');
    check(record, 15, 0.05);
    within(record.steps.find((s) => s.name === 'login')?.durationMs, h.sim.state.observed.login, 15, 0.05, 'step login');
  });

  it('golden-path (browser): within max(50 ms, 10 %), the render lag included', async () => {
    await h.prepare('golden-path');
    const record = await h.run('golden-path');
    check(record, 50, 0.1);
    within(record.steps.find((s) => s.name === 'ai_response')?.durationMs, PROFILE.render, 50, 0.1, 'step ai_response (render lag)');
  });
});

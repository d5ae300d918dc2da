import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, describeRecord, type Harness } from '../helpers/journey-harness.js';
import { CRITICAL_EVENTS, eventOffsets, type LatencyProfile } from '../../src/simulator/profile.js';

/**
 * Step durations and event latencies against the simulator's ground truth:
 * what it really spent on its side (its latency profile plus its own
 * processing, measured server-side), within max(15 ms, 5 %) for the protocol
 * journey and max(50 ms, 10 %) for the browser journey. Runs are prepared
 * ahead, as the scheduler prepares them before a tick.
 *
 * Each journey runs RUNS times and each figure's error is taken as the
 * median over the runs: a measurement that is off by method (a clock read in
 * the wrong place, a relay delay counted) moves every run and fails; one run
 * that a 2-core machine paused for a moment (seen: a single browser handshake
 * 90 ms late among runs 15 to 35 ms late) does not.
 */
const PROFILE: LatencyProfile = { login: 120, handshake: 60, agent_start: 150, thinking: 200, tool_start: 100, tool: 250, completion: 150, render: 120 };
const configured = eventOffsets(PROFILE);
const RUNS = 3;

/** One figure of one run: what the journey measured, and the truth it is held to. */
type Comparison = { readonly what: string; readonly measured: number; readonly truth: number };

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

/** Each figure's median error over the runs within max(floorMs, share × median truth); every run's figures printed as diagnostics. */
function assertWithin(t: TestContext, comparisons: readonly Comparison[], floorMs: number, share: number): void {
  const byFigure = new Map<string, Comparison[]>();
  for (const c of comparisons) byFigure.set(c.what, [...(byFigure.get(c.what) ?? []), c]);
  const misses: string[] = [];
  for (const [what, runs] of byFigure) {
    assert.equal(runs.length, RUNS, `${what} was measured in every run`);
    const error = median(runs.map((r) => r.measured - r.truth));
    const tolerance = Math.max(floorMs, median(runs.map((r) => r.truth)) * share);
    const line = `${what}: median error ${error.toFixed(1)} ms (tolerance ${tolerance.toFixed(1)} ms); measured/truth ${runs.map((r) => `${r.measured.toFixed(1)}/${r.truth.toFixed(1)}`).join(', ')}`;
    t.diagnostic(line);
    if (Math.abs(error) > tolerance) misses.push(line);
  }
  assert.deepEqual(misses, [], 'every figure within its tolerance');
}

describe('timing accuracy against the simulator’s ground truth', () => {
  let h: Harness;
  before(async () => {
    // As the daemon runs journeys: a warm runner per journey, whose next test waits for its go before each run
    // (prepared explicitly, before the run); no child loads while a measured run runs.
    h = await startHarness({ latency: PROFILE, keepWarm: true });
  });
  after(async () => {
    await h.stop();
  });

  /** One prepared run of the journey, its figures against what the simulator observed during it. */
  const measure = async (journey: string): Promise<Comparison[]> => {
    await h.prepare(journey);
    const record = await h.run(journey);
    assert.equal(record.outcome, 'passed', describeRecord(record));
    const observed = h.sim.state.observed;
    const events = observed.events ?? {};
    const out: Comparison[] = [];
    const add = (what: string, measured: number | undefined, truth: number | undefined) => {
      assert.ok(measured !== undefined && truth !== undefined, `${what} was measured (${String(measured)}) and observed (${String(truth)})`);
      out.push({ what, measured, truth });
    };
    // The simulator kept to its profile: the truth is the profile plus a little processing.
    for (const event of CRITICAL_EVENTS) {
      const sent = events[event] ?? -1;
      assert.ok(sent >= configured[event] - 1 && sent <= configured[event] + 60, `${event} left the simulator at ${sent.toFixed(1)} ms (profile ${configured[event]} ms)`);
      add(`latency of ${event}`, record.events.find((e) => e.type === event)?.atMs, sent);
    }
    const step = (name: string) => record.steps.find((s) => s.name === name)?.durationMs;
    add('step connect', step('connect'), observed.connect);
    add('step agent_request', step('agent_request'), events.agent_started);
    add('step live_events', step('live_events'), (events.agent_completed ?? 0) - (events.agent_started ?? 0));
    const gaps = [PROFILE.agent_start, PROFILE.thinking, PROFILE.tool_start, PROFILE.tool, PROFILE.completion];
    add('longest gap', record.marks.maxGapMs, Math.max(...gaps));
    if (journey === 'golden-path-api') add('step login', step('login'), observed.login);
    if (journey === 'golden-path') add('step ai_response (render lag)', step('ai_response'), PROFILE.render);
    return out;
  };

  const measureRuns = async (journey: string): Promise<Comparison[]> => {
    const all: Comparison[] = [];
    for (let i = 0; i < RUNS; i++) all.push(...(await measure(journey)));
    return all;
  };

  it('golden-path-api: within max(15 ms, 5 %)', async (t) => {
    assertWithin(t, await measureRuns('golden-path-api'), 15, 0.05);
  });

  it('golden-path (browser): within max(50 ms, 10 %), the render lag included', async (t) => {
    assertWithin(t, await measureRuns('golden-path'), 50, 0.1);
  });
});

/**
 * Timing fidelity of stored runs against the simulator's per-run ground
 * truth (its observation log, GET /__admin/observed-runs): each run is matched
 * to what the simulator served it by the `run_id` its agent_started frame
 * carried (read from the run's transcript.jsonl), so runs of several targets
 * at once are each held to their own truth. The figures and their tolerances
 * are the timing-accuracy test's (test/journeys/timing-accuracy.test.ts):
 * within max(15 ms, 5 %) for a protocol journey, max(50 ms, 10 %) for a
 * browser journey, each figure's median error over the runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../../src/model/run-record.js';
import { CRITICAL_EVENTS } from '../../src/model/golden-path.js';
import { mergeFrame } from '../../src/kit/event-collector.js';
import { quantile } from './monitor.js';

/** One agent run as the simulator observed it (src/simulator/state.ts ObservedRun). */
export interface ObservedRun {
  readonly runId: string;
  readonly arrivedAt: number;
  readonly connect?: number;
  readonly events: Partial<Record<string, number>>;
}

/** One figure's errors (measured − truth, ms) over the runs, and whether its median is within the tolerance. */
export interface FigureFidelity {
  readonly figure: string;
  readonly runs: number;
  readonly medianErrorMs: number;
  readonly p90AbsErrorMs: number;
  readonly maxAbsErrorMs: number;
  readonly toleranceMs: number;
  readonly within: boolean;
}

export interface Fidelity {
  readonly figures: readonly FigureFidelity[];
  /** Runs with a truth to compare with (matched by run_id). */
  readonly matched: number;
  /** Runs without one (no transcript, no run_id, or the log had let it go). */
  readonly unmatched: number;
  readonly within: boolean;
}

/** The run_id of the run's agent_started frame, from its transcript (payload or data or the root: contract §5). */
export function runIdOf(record: RunRecord, runsDir: string): string | undefined {
  const artifact = record.artifacts.find((a) => a.name.startsWith('transcript'));
  if (artifact === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(join(runsDir, artifact.path), 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line.includes('agent_started')) continue;
    try {
      const entry = JSON.parse(line) as { dir?: string; data?: string };
      if (entry.dir !== 'in' || entry.data === undefined) continue;
      const frame = JSON.parse(entry.data) as Record<string, unknown>;
      if (frame.type !== 'agent_started') continue;
      const fields = mergeFrame(frame);
      if (typeof fields.run_id === 'string') return fields.run_id;
    } catch {
      // Not a frame of ours: the next line.
    }
  }
  return undefined;
}

/**
 * Each run's figures against its own truth: each critical event's latency,
 * the steps connect, agent_request and live_events, the longest gap, and for
 * a browser run the render lag (`renderMs`, the simulator's profile). The
 * tolerance is max(floorMs, share × the figure's median truth).
 */
export function fidelityOf(
  records: readonly RunRecord[],
  observed: readonly ObservedRun[],
  options: { readonly runsDir: string; readonly floorMs: number; readonly share: number; readonly renderMs?: number },
): Fidelity {
  const truthById = new Map(observed.map((o) => [o.runId, o]));
  const pairs = new Map<string, { measured: number; truth: number }[]>();
  const add = (figure: string, measured: number | undefined, truth: number | undefined) => {
    if (measured === undefined || truth === undefined) return;
    pairs.set(figure, [...(pairs.get(figure) ?? []), { measured, truth }]);
  };
  let matched = 0;
  let unmatched = 0;
  for (const record of records) {
    const id = runIdOf(record, options.runsDir);
    const truth = id === undefined ? undefined : truthById.get(id);
    if (truth === undefined) {
      unmatched++;
      continue;
    }
    matched++;
    const events = truth.events;
    for (const event of CRITICAL_EVENTS) add(`latency of ${event}`, record.events.find((e) => e.type === event)?.atMs, events[event]);
    const step = (name: string) => record.steps.find((s) => s.name === name)?.durationMs;
    add('step connect', step('connect'), truth.connect);
    add('step agent_request', step('agent_request'), events.agent_started);
    const started = events.agent_started;
    const completed = events.agent_completed;
    add('step live_events', step('live_events'), started !== undefined && completed !== undefined ? completed - started : undefined);
    const sent = CRITICAL_EVENTS.map((e) => events[e]).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
    const gaps = sent.map((t, i) => t - (i === 0 ? 0 : (sent[i - 1] ?? 0)));
    add('longest gap', record.marks.maxGapMs, gaps.length > 0 ? Math.max(...gaps) : undefined);
    if (options.renderMs !== undefined) add('step ai_response (render lag)', step('ai_response'), options.renderMs);
  }
  const figures: FigureFidelity[] = [...pairs].map(([figure, list]) => {
    const errors = list.map((p) => p.measured - p.truth);
    const toleranceMs = Math.max(options.floorMs, quantile(list.map((p) => p.truth), 0.5) * options.share);
    const medianErrorMs = quantile(errors, 0.5);
    const abs = errors.map(Math.abs);
    return { figure, runs: list.length, medianErrorMs, p90AbsErrorMs: quantile(abs, 0.9), maxAbsErrorMs: Math.max(...abs), toleranceMs, within: Math.abs(medianErrorMs) <= toleranceMs };
  });
  return { figures, matched, unmatched, within: matched > 0 && figures.every((f) => f.within) };
}

import type { ChildEvent } from '../protocol/child.js';
import type { JourneyDefinition } from '../model/journey.js';
import { readMarks, type KnownMarks } from '../model/marks.js';
import type { Evidence, Failure, FailureReason } from '../model/reasons.js';
import type { ArtifactRecord, EventArrival, Outcome, RunInputs, RunRecord, StepRecord, Trigger } from '../model/run-record.js';

/** A fault of the monitor itself, seen by the executor (not by the journey). */
export interface MonitorFault {
  readonly reason: Extract<FailureReason, 'monitor_error' | 'timeout'>;
  readonly message: string;
  readonly evidence: Evidence;
}

export interface RecordInput {
  readonly id: string;
  readonly journey: JourneyDefinition;
  readonly target: string;
  readonly trigger: Trigger;
  readonly replayOf?: string;
  readonly inputs: RunInputs;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly events: readonly ChildEvent[];
  readonly monitorFault?: MonitorFault;
  readonly artifacts: readonly ArtifactRecord[];
}

type StepEnd = Extract<ChildEvent, { type: 'step_end' }>;

/**
 * Turns what the child reported into one run record: the journey's steps in
 * order (those after a failure `skipped`), the one failure that names the
 * step and reason, and the outcome. A fault of the monitor is `error`, never
 * blamed on the target.
 */
export function buildRecord(input: RecordInput): RunRecord {
  const ends = new Map<string, StepEnd>();
  const begins = new Map<string, string>();
  const reported: Record<string, unknown> = {};
  let testEnd: Extract<ChildEvent, { type: 'test_end' }> | undefined;
  const runnerErrors: string[] = [];
  for (const event of input.events) {
    if (event.type === 'step_begin' && !begins.has(event.step)) begins.set(event.step, event.at);
    if (event.type === 'step_end' && !ends.has(event.step)) ends.set(event.step, event);
    if (event.type === 'mark') reported[event.name] = event.value;
    if (event.type === 'test_end') testEnd = event;
    if (event.type === 'runner_error') runnerErrors.push(event.message);
  }

  const names = [...input.journey.steps, ...[...ends.keys()].filter((name) => !input.journey.steps.includes(name))];
  const inFlight = [...begins.keys()].find((name) => !ends.has(name));
  let failure: Failure | undefined;
  const steps: StepRecord[] = names.map((name) => {
    const end = ends.get(name);
    if (end !== undefined) {
      if (end.status === 'failed' && failure === undefined) failure = failureOf(end);
      return { name, status: end.status, startedAt: end.startedAt, durationMs: round(end.durationMs) };
    }
    // A step still running when the run ended without a result of its own (a deadline, a kill) is the step it ended in.
    if (name === inFlight && (input.monitorFault !== undefined || (testEnd !== undefined && testEnd.status !== 'passed')) && failure === undefined) {
      const startedAt = begins.get(name) ?? input.startedAt.toISOString();
      return { name, status: 'failed', startedAt, durationMs: round(input.finishedAt.getTime() - Date.parse(startedAt)) };
    }
    return { name, status: 'skipped' };
  });

  let outcome: Outcome;
  if (input.monitorFault !== undefined && failure !== undefined && failure.reason !== 'monitor_error') {
    // The target had already failed; what went wrong afterwards (a slow teardown) is noted, not blamed.
    outcome = 'failed';
    failure = { ...failure, evidence: { ...failure.evidence, afterwards: input.monitorFault.message } };
  } else if (input.monitorFault !== undefined) {
    outcome = 'error';
    failure = { step: inFlight ?? failure?.step ?? 'journey', ...input.monitorFault };
  } else if (failure !== undefined) {
    outcome = failure.reason === 'monitor_error' ? 'error' : 'failed';
  } else if (testEnd === undefined) {
    outcome = 'error';
    failure = { step: 'journey', reason: 'monitor_error', message: 'the journey ended without a result', evidence: { runnerErrors } };
  } else if (testEnd.status !== 'passed' || steps.some((step) => step.status !== 'passed')) {
    outcome = 'error';
    const missing = steps.filter((step) => step.status !== 'passed').map((step) => step.name);
    failure = {
      step: inFlight ?? 'journey',
      reason: 'monitor_error',
      message: testEnd.error ?? runnerErrors[0] ?? `the journey did not run ${missing.join(', ')}`,
      evidence: { testStatus: testEnd.status, notPassed: missing },
    };
  } else {
    outcome = 'passed';
  }

  const { targetInfo: info, ...marks } = readMarks(reported);
  return {
    id: input.id,
    journey: input.journey.name,
    target: input.target,
    trigger: input.trigger,
    ...(input.replayOf !== undefined ? { replayOf: input.replayOf } : {}),
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    durationMs: round(input.finishedAt.getTime() - input.startedAt.getTime()),
    outcome,
    ...(failure !== undefined ? { failure } : {}),
    steps,
    // Every session's arrivals, for a journey that runs several (one histogram observation each).
    events: [marks.eventLatencyMs ?? {}, ...(marks.sessionEventLatencyMs ?? [])].flatMap(eventArrivals).sort((a, b) => a.atMs - b.atMs),
    marks,
    targetInfo: {
      version: info?.version ?? null,
      revision: info?.revision ?? null,
    },
    artifacts: input.artifacts,
    inputs: input.inputs,
  };
}

function failureOf(end: StepEnd): Failure {
  if (end.failure !== undefined) return { step: end.step, ...end.failure };
  const error = end.error ?? 'step failed without an error';
  // Playwright's own test timeout cut the step: the target took too long.
  if (/Test timeout of \d+ms exceeded/.test(error)) {
    return { step: end.step, reason: 'timeout', message: error, evidence: {} };
  }
  return { step: end.step, reason: 'monitor_error', message: error, evidence: {} };
}

function eventArrivals(latencies: NonNullable<KnownMarks['eventLatencyMs']>): EventArrival[] {
  return Object.entries(latencies)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([type, atMs]) => ({ type, atMs: round(atMs) }))
    .sort((a, b) => a.atMs - b.atMs);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

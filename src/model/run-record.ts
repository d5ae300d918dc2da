import type { RunMarks } from './marks.js';
import type { Failure } from './reasons.js';

export type Outcome = 'passed' | 'failed' | 'error';
export type Trigger = 'schedule' | 'manual' | 'replay';
export type StepStatus = 'passed' | 'failed' | 'skipped';

export interface StepRecord {
  readonly name: string;
  readonly status: StepStatus;
  /** ISO time the step began; absent for a skipped step. */
  readonly startedAt?: string;
  readonly durationMs?: number;
}

export interface EventArrival {
  readonly type: string;
  /** ms after the request was sent: the event's first arrival. */
  readonly atMs: number;
}

export interface ArtifactRecord {
  readonly name: string;
  /** Relative to the runs folder. */
  readonly path: string;
  readonly bytes: number;
}

/** What a run was asked to do: enough to replay it. */
export interface RunInputs {
  readonly prompt: string;
  /** A regular expression source the answer must match. */
  readonly expectedAnswer: string;
  /** The journey's parameters (its file's defaults, as the config changed them); absent: the file's defaults. */
  readonly params?: Readonly<Record<string, number | string | boolean>>;
}

/** The inputs of a run no config or flag gave any: a request any agent can answer, and any non-blank answer. */
export const DEFAULT_INPUTS: RunInputs = {
  prompt: 'gpmon synthetic check: summarise the status of the golden path in one sentence.',
  // Any non-blank answer; a target's config narrows it.
  expectedAnswer: '\\S',
};

/** A run as it begins: what is known before its record, kept so a crash mid-run can still be recorded. */
export interface RunStart {
  readonly id: string;
  readonly journey: string;
  readonly target: string;
  readonly trigger: Trigger;
  readonly replayOf?: string;
  readonly startedAt: string;
  readonly inputs: RunInputs;
  readonly steps: readonly string[];
}

/** A finished run (design.md's run record): its start, with step results in place of step names, and what happened. */
export interface RunRecord extends Omit<RunStart, 'steps'> {
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly outcome: Outcome;
  readonly failure?: Failure;
  readonly steps: readonly StepRecord[];
  readonly events: readonly EventArrival[];
  readonly marks: RunMarks;
  readonly targetInfo: { readonly version: string | null; readonly revision: string | null };
  readonly artifacts: readonly ArtifactRecord[];
}

/** Where a journey stands, as the run history says: restored into the metrics at start-up. */
export interface JourneyStanding {
  readonly journey: string;
  readonly target: string;
  readonly lastRunAt?: string;
  readonly lastSuccessAt?: string;
  readonly consecutiveFailures: number;
  readonly lastFailure?: { readonly step: string; readonly reason: string };
}

/** What names a finished run and says how it ended, without its steps and evidence: the head of every list and view of runs. */
export type RunHeading = Pick<RunRecord, 'id' | 'journey' | 'target' | 'trigger' | 'replayOf' | 'outcome' | 'startedAt' | 'finishedAt' | 'durationMs'>;

/** A record's RunHeading (no `replayOf` key unless it is a replay). */
export function runHeading(record: RunRecord): RunHeading {
  return {
    id: record.id,
    journey: record.journey,
    target: record.target,
    trigger: record.trigger,
    ...(record.replayOf !== undefined ? { replayOf: record.replayOf } : {}),
    outcome: record.outcome,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    durationMs: record.durationMs,
  };
}

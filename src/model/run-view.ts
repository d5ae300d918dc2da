import type { Failure } from './reasons.js';
import type { ArtifactRecord, RunInputs, RunRecord, StepStatus } from './run-record.js';
import { runHeading, type RunHeading } from './run-record.js';
import { isHealthyStatus } from './marks.js';

/**
 * What a person needs to see of one finished run, computed once from its
 * record: the console's run view (/runs/:id) and `gpmon show` both print this,
 * so the page and the terminal can never tell two stories.
 */
export interface RunView extends RunHeading {
  /** The steps in order, placed on the run's time line (the waterfall). */
  readonly steps: readonly StepView[];
  /** The waterfall's full width, ms: the run's duration, or the end of its last step when later. */
  readonly spanMs: number;
  /**
   * The waterfall's axis, ms: spanMs, stretched to the last step's SLO marker (its start + its SLO) when that
   * ends later, but never past twice spanMs (a generous objective must not shrink the bars to slivers; a
   * marker past the axis is not drawn, the objective is still printed).
   */
  readonly axisMs: number;
  /** Why it failed (the failing step, reason, message and evidence); absent for a pass. */
  readonly failure?: FailureView;
  /** Time from the agent request to each critical event's first arrival, and the longest gap. */
  readonly timeline: EventTimeline;
  /** What a run that passed can still flag (a degraded dependency, a certificate near its end…), in words. */
  readonly flags: readonly string[];
  readonly artifacts: readonly ArtifactView[];
  /** The inputs the run was given: a replay sends the same. */
  readonly inputs: RunInputs;
  readonly targetInfo: { readonly version: string | null; readonly revision: string | null };
  /** The answer the journey read (its length and an excerpt), when it got one. */
  readonly answer?: { readonly chars: number; readonly excerpt: string };
  /** The subprotocol offered and the one the server selected. */
  readonly subprotocol?: { readonly offered: string; readonly selected: string };
}

export interface StepView {
  readonly name: string;
  readonly status: StepStatus;
  /** ms from the run's start to the step's start; absent for a skipped step. */
  readonly offsetMs?: number;
  readonly durationMs?: number;
  /** The step's latency objective (config `slo`), ms; absent when none is set. */
  readonly sloMs?: number;
  /** It took longer than its objective (a pass can be over it: the SLO alerts page on that, not the run). */
  readonly overSlo: boolean;
  /** This step is where the run failed. */
  readonly failed: boolean;
}

export interface FailureView extends Failure {
  /** The evidence as name/value lines, arrays joined: what a table or a terminal prints. */
  readonly evidenceLines: readonly { readonly name: string; readonly value: string }[];
}

export interface EventTimeline {
  /** Each critical event's first arrival after the request, in order of arrival (several sessions: one entry each). */
  readonly events: readonly { readonly type: string; readonly atMs: number; readonly sinceLastMs: number }[];
  /** The longest wait between the request and an event, or two events in a row: which event it preceded, and how long. */
  readonly longestGap?: { readonly before: string; readonly ms: number };
  /** The longest silence between two frames of the stream as the journey measured it (mark maxGapMs). */
  readonly streamMaxGapMs?: number;
  /** Sessions the events came from (concurrent-sessions runs several); 1 otherwise. */
  readonly sessions: number;
}

export type ArtifactKind = 'screenshot' | 'trace' | 'transcript' | 'other';

export interface ArtifactView extends ArtifactRecord {
  readonly kind: ArtifactKind;
  /** Where the HTTP API serves it (needs the API token or a console session). */
  readonly href: string;
}

/** The steps' objectives a view compares against (a journey's config `slo`: step name → ms). */
export type StepObjectives = Readonly<Record<string, number>>;

/** The run view of a finished run. `slo` gives each step's objective (the journey's config); without it no step is over. */
export function runView(record: RunRecord, slo: StepObjectives = {}): RunView {
  const start = Date.parse(record.startedAt);
  const steps: StepView[] = record.steps.map((step) => {
    const offset = step.startedAt === undefined ? undefined : Math.max(0, Date.parse(step.startedAt) - start);
    const sloMs = slo[step.name];
    return {
      name: step.name,
      status: step.status,
      ...(offset !== undefined && Number.isFinite(offset) ? { offsetMs: offset } : {}),
      ...(step.durationMs !== undefined ? { durationMs: step.durationMs } : {}),
      ...(sloMs !== undefined ? { sloMs } : {}),
      overSlo: sloMs !== undefined && step.durationMs !== undefined && step.durationMs > sloMs,
      failed: record.failure?.step === step.name,
    };
  });
  const lastEnd = Math.max(0, ...steps.map((s) => (s.offsetMs ?? 0) + (s.durationMs ?? 0)));
  const spanMs = Math.max(record.durationMs, lastEnd, 1);
  const lastMarker = Math.max(0, ...steps.map((s) => (s.offsetMs !== undefined && s.sloMs !== undefined ? s.offsetMs + s.sloMs : 0)));
  const { answer, subprotocol } = record.marks;
  return {
    ...runHeading(record),
    steps,
    spanMs,
    axisMs: Math.max(spanMs, Math.min(lastMarker, 2 * spanMs)),
    ...(record.failure !== undefined ? { failure: { ...record.failure, evidenceLines: evidenceLines(record.failure) } } : {}),
    timeline: eventTimeline(record),
    flags: runFlags(record),
    artifacts: record.artifacts.map((a) => ({ ...a, kind: artifactKind(a.name), href: `/api/runs/${encodeURIComponent(record.id)}/artifacts/${encodeURIComponent(a.name)}` })),
    inputs: record.inputs,
    targetInfo: record.targetInfo,
    ...(answer !== undefined ? { answer } : {}),
    ...(subprotocol !== undefined ? { subprotocol } : {}),
  };
}

function evidenceLines(failure: Failure): { name: string; value: string }[] {
  return Object.entries(failure.evidence).map(([name, value]) => ({ name, value: Array.isArray(value) ? value.join(', ') : String(value) }));
}

function eventTimeline(record: RunRecord): EventTimeline {
  const sorted = [...record.events].sort((a, b) => a.atMs - b.atMs);
  let previous = 0;
  let longestGap: { before: string; ms: number } | undefined;
  const events = sorted.map((event) => {
    const sinceLastMs = Math.max(0, event.atMs - previous);
    if (longestGap === undefined || sinceLastMs > longestGap.ms) longestGap = { before: event.type, ms: sinceLastMs };
    previous = event.atMs;
    return { type: event.type, atMs: event.atMs, sinceLastMs };
  });
  const sessions = Math.max(1, record.marks.sessionEventLatencyMs?.length ?? 1);
  const streamMaxGapMs = record.marks.maxGapMs;
  return {
    events,
    // Several sessions interleave their events: a gap between two of them says nothing about one stream.
    ...(longestGap !== undefined && sessions === 1 ? { longestGap } : {}),
    ...(streamMaxGapMs !== undefined ? { streamMaxGapMs } : {}),
    sessions,
  };
}

/** Playwright's attachments by their stored names: screenshot(-N).png, trace(-N).zip, the kit's transcript.jsonl. */
export function artifactKind(name: string): ArtifactKind {
  if (/\.(png|jpe?g|webp)$/i.test(name)) return 'screenshot';
  if (/^trace.*\.zip$/i.test(name)) return 'trace';
  if (/^transcript.*\.jsonl$/i.test(name)) return 'transcript';
  return 'other';
}

/**
 * What a passing run can still flag, from its marks, in words: a degraded
 * service or dependency, a certificate near its end (under 14 days, the
 * TLSCertificateExpiringSoon ticket's threshold), isolation that could not be judged.
 */
export function runFlags(record: RunRecord): string[] {
  const { services, dependencies, tlsCertificates } = record.marks;
  const flags: string[] = [];
  for (const service of services ?? []) if (service.status === 'degraded') flags.push(`${service.service} answers /health as degraded (up, flagged)`);
  for (const d of dependencies ?? []) {
    if (!isHealthyStatus(d.status)) flags.push(`dependency ${d.name} is ${d.status}${d.latencyMs === null ? '' : ` (${Math.round(d.latencyMs)} ms)`}`);
  }
  for (const cert of tlsCertificates ?? []) if (cert.daysLeft < 14) flags.push(`the ${cert.origin} origin's certificate ends in ${cert.daysLeft.toFixed(1)} days`);
  const concurrency = record.marks.concurrency as { distinctUsers?: unknown; sessions?: unknown } | undefined;
  if (concurrency?.distinctUsers === 1) flags.push(`isolation between users not checked: all ${String(concurrency.sessions)} sessions are one user (a password login has one account; the E2E bypass login gives one per email)`);
  return flags;
}

/** One line of the WebSocket transcript artifact (src/kit/transcript.ts writes them), as read back. */
export interface TranscriptLine {
  /** ms since the run's clock started. */
  readonly t: number;
  readonly dir: 'in' | 'out' | 'event';
  /** The frame's text (already redacted when written), or the event's name and detail as JSON. */
  readonly text: string;
}

export interface TranscriptPage {
  readonly lines: readonly TranscriptLine[];
  /** 1-based. */
  readonly page: number;
  readonly pages: number;
  readonly total: number;
  /** Lines of the file that were not transcript entries (skipped, counted). */
  readonly unreadable: number;
}

/** Transcript lines per page, in the console and `gpmon show`. */
export const TRANSCRIPT_PAGE_SIZE = 100;

/**
 * One page of a transcript file's text (JSONL). `page` is 1-based and clamped
 * to the pages there are; an unreadable line is skipped and counted, never
 * thrown: the file came from a run of a journey against the target.
 */
export function transcriptPage(jsonl: string, page: number, size: number = TRANSCRIPT_PAGE_SIZE): TranscriptPage {
  const lines: TranscriptLine[] = [];
  let unreadable = 0;
  for (const raw of jsonl.split('\n')) {
    if (raw.trim() === '') continue;
    const line = transcriptLine(raw);
    if (line === undefined) unreadable++;
    else lines.push(line);
  }
  const pages = Math.max(1, Math.ceil(lines.length / size));
  const current = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  return { lines: lines.slice((current - 1) * size, current * size), page: current, pages, total: lines.length, unreadable };
}

function transcriptLine(raw: string): TranscriptLine | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { t, dir, data, event, detail } = parsed as Record<string, unknown>;
  if (typeof t !== 'number' || (dir !== 'in' && dir !== 'out' && dir !== 'event')) return undefined;
  const text = typeof data === 'string' ? data : typeof event === 'string' ? `${event}${detail === undefined ? '' : ` ${JSON.stringify(detail)}`}` : '';
  return { t, dir, text };
}

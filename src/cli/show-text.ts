import { duration, relativeTime } from '../model/humanize.js';
import { TRANSCRIPT_PAGE_SIZE, type ArtifactView, type RunView, type StepView, type TranscriptPage } from '../model/run-view.js';
import { columns, cut, shellWord, terminalText as t } from './terminal-text.js';

/** What `gpmon show` prints of one run, gathered: the run view and what was found on disk. */
export interface ShowInput {
  readonly view: RunView;
  /** The run's journey is in the config now (its SLOs are the ones compared against); false: no SLOs. */
  readonly journeyConfigured: boolean;
  /** The run's folder, absolute. */
  readonly runFolder: string;
  /** Each artifact with its real path on disk, when it is still a file inside the run's folder. */
  readonly artifacts: readonly { readonly artifact: ArtifactView; readonly hostPath?: string }[];
  /** The WebSocket transcript's page (cut with TRANSCRIPT_PAGE_SIZE lines a page), or why it cannot be shown; absent when the run kept none. */
  readonly transcript?: { readonly name: string; readonly page?: TranscriptPage; readonly problem?: string };
  /** What every printed gpmon command needs after its arguments to find this history again (` --config FILE`), or ''. */
  readonly commandSuffix: string;
}

/** Characters of one transcript frame printed before it is cut (the artifact has it whole). */
export const MAX_FRAME_CHARS = 1000;
/** Characters of one evidence value or message printed before it is cut. */
const MAX_VALUE_CHARS = 2000;

/**
 * The run as lines of text for a terminal `width` columns wide, with times
 * relative to `now` (epoch ms): the header, the steps as a waterfall against
 * their SLOs (over an SLO said in words), the failure with its evidence, the
 * event timeline, the flags, what the journey read, a page of the transcript,
 * the artifacts with their paths and the trace command, and the inputs with
 * the replay command. Every value from the run passes through terminalText.
 */
export function showLines(input: ShowInput, width: number, now: number): string[] {
  const { view } = input;
  return [
    ...headerLines(view, now),
    '',
    ...stepLines(view, input.journeyConfigured, width),
    ...section(failureLines(view)),
    ...section(timelineLines(view)),
    ...section(flagLines(view)),
    ...section(readLines(view)),
    ...section(transcriptLines(input)),
    ...section(artifactLines(input)),
    '',
    ...inputLines(input),
  ];
}

/** A section after a blank line; nothing when it is empty. */
function section(lines: readonly string[]): string[] {
  return lines.length === 0 ? [] : ['', ...lines];
}

function headerLines(view: RunView, now: number): string[] {
  const verdict = view.failure === undefined ? view.outcome : `${view.outcome.toUpperCase()} at ${view.failure.step} (${view.failure.reason})`;
  const { version, revision } = view.targetInfo;
  const deployed = [version === null ? '' : `version ${version}`, revision === null ? '' : `revision ${revision.slice(0, 12)}`].filter((s) => s !== '').join(', ');
  return [
    t(`${view.journey} against ${view.target}: ${verdict}`),
    ...columns(
      [
        ['run', view.id],
        ['journey', view.journey],
        ['target', deployed === '' ? view.target : `${view.target} (${deployed})`],
        ['trigger', view.replayOf === undefined ? view.trigger : `${view.trigger} of run ${view.replayOf}`],
        ['outcome', view.outcome],
        ['started', `${relativeTime(view.startedAt, now)} (${view.startedAt})`],
        ['duration', `${duration(view.durationMs)} (finished ${view.finishedAt})`],
      ].map((row) => row.map(t)),
      '  ',
    ),
  ];
}

/**
 * The steps as a waterfall: one row a step with its status and duration, a
 * bar on the run's time axis (`█` the step, `|` where its SLO ends, `·` the
 * rest) as wide as the terminal allows, and its SLO in words.
 */
export function stepLines(view: RunView, journeyConfigured: boolean, width: number): string[] {
  const notes = view.steps.map(sloNote);
  const nameWidth = Math.max(4, ...view.steps.map((s) => t(s.name).length));
  const durations = view.steps.map((s) => (s.durationMs === undefined ? '' : duration(s.durationMs)));
  const durationWidth = Math.max(...durations.map((d) => d.length), 1);
  const noteWidth = Math.max(0, ...notes.map((n) => n.length));
  // Two spaces of indent, then name, status (7: "skipped"), duration, bar, note, two spaces between each.
  const fixed = 2 + nameWidth + 2 + 7 + 2 + durationWidth + 2 + (noteWidth === 0 ? 0 : 2 + noteWidth);
  const barWidth = Math.min(Math.max(width - fixed, 10), 200);
  const heading = journeyConfigured
    ? `steps: 0 to ${duration(view.axisMs)}; █ the step, | where its SLO ends (not drawn past the right edge)`
    : `steps: 0 to ${duration(view.axisMs)}; █ the step (journey ${view.journey} is not in the config now: no SLOs to compare with)`;
  if (view.steps.length === 0) return [t(heading), '  (no steps recorded)'];
  return [
    t(heading),
    ...view.steps.map((step, i) => {
      const status = step.status === 'failed' ? 'FAILED' : step.status;
      const bar = step.offsetMs === undefined ? ''.padEnd(barWidth) : waterfallBar(step, view.axisMs, barWidth);
      return `  ${t(step.name).padEnd(nameWidth)}  ${status.padEnd(7)}  ${(durations[i] ?? '').padStart(durationWidth)}  ${bar}  ${notes[i] ?? ''}`.trimEnd();
    }),
  ];
}

/** A step against its SLO in words: over by how much, within, or nothing (no SLO, or not run). */
function sloNote(step: StepView): string {
  if (step.sloMs === undefined || step.durationMs === undefined) return '';
  return step.overSlo ? `OVER its SLO of ${duration(step.sloMs)} by ${duration(step.durationMs - step.sloMs)}` : `within its SLO of ${duration(step.sloMs)}`;
}

/**
 * One step's bar, `width` cells over 0..axisMs: `█` where the step ran (one
 * cell at least), `|` at the cell where its SLO ends (drawn over the bar: a
 * bar running past the `|` is over its SLO; none when it ends past the
 * axis), `·` elsewhere.
 */
export function waterfallBar(step: Pick<StepView, 'offsetMs' | 'durationMs' | 'sloMs'>, axisMs: number, width: number): string {
  const cells = Array.from({ length: width }, () => '·');
  const at = (ms: number) => Math.min(width - 1, Math.max(0, Math.floor((ms / Math.max(axisMs, 1)) * width)));
  const start = step.offsetMs ?? 0;
  const first = at(start);
  const last = Math.max(first, Math.min(width - 1, Math.ceil(((start + (step.durationMs ?? 0)) / Math.max(axisMs, 1)) * width) - 1));
  for (let i = first; i <= last; i++) cells[i] = '█';
  // The axis stops at twice the run's span (run-view.ts): an SLO ending past it has no cell; the note still says it.
  if (step.sloMs !== undefined && start + step.sloMs <= axisMs) cells[at(start + step.sloMs)] = '|';
  return cells.join('');
}

function failureLines(view: RunView): string[] {
  const failure = view.failure;
  if (failure === undefined) return [];
  const evidence = failure.evidenceLines.map((e) => [t(e.name), t(cut(e.value, MAX_VALUE_CHARS))]);
  return [
    'failure',
    ...columns(
      [
        ['step', t(failure.step)],
        ['reason', t(failure.reason)],
        ['message', t(cut(failure.message, MAX_VALUE_CHARS))],
      ],
      '  ',
    ),
    ...(evidence.length === 0 ? ['  evidence  none recorded'] : ['  evidence', ...columns(evidence, '    ')]),
  ];
}

/** Time from the agent request to each event's first arrival, the wait before each, and the longest gap. */
function timelineLines(view: RunView): string[] {
  const { events, longestGap, streamMaxGapMs, sessions } = view.timeline;
  if (events.length === 0) return ['events: none arrived (or the journey reads none)'];
  const heading = `events: time from the agent request to each one's first arrival${sessions > 1 ? `, ${sessions} sessions interleaved` : ''}`;
  const rows = events.map((e) => [
    t(e.type),
    duration(e.atMs).padStart(8),
    `+${duration(e.sinceLastMs)}`.padStart(9),
    longestGap !== undefined && longestGap.before === e.type && longestGap.ms === e.sinceLastMs ? '← the longest gap' : '',
  ]);
  const gaps = [
    longestGap === undefined ? '' : `longest gap: ${duration(longestGap.ms)} before ${t(longestGap.before)}`,
    streamMaxGapMs === undefined ? '' : `longest silence in the stream: ${duration(streamMaxGapMs)}`,
  ].filter((s) => s !== '');
  return [heading, ...columns(rows, '  '), ...(gaps.length === 0 ? [] : [`  ${gaps.join('; ')}`])];
}

function flagLines(view: RunView): string[] {
  return view.flags.length === 0 ? [] : ['flags', ...view.flags.map((flag) => `  - ${t(flag)}`)];
}

/** The answer and the subprotocol, as the journey read them. */
function readLines(view: RunView): string[] {
  const rows: string[][] = [];
  if (view.answer !== undefined) rows.push(['answer', `${view.answer.chars} characters: ${t(view.answer.excerpt)}`]);
  if (view.subprotocol !== undefined) rows.push(['subprotocol', `offered ${t(view.subprotocol.offered)}, selected ${t(view.subprotocol.selected)}`]);
  return columns(rows);
}

const DIRECTION: Readonly<Record<'in' | 'out' | 'event', string>> = { out: 'sent', in: 'recv', event: 'event' };

function transcriptLines(input: ShowInput): string[] {
  const transcript = input.transcript;
  if (transcript === undefined) return [];
  const name = t(transcript.name);
  const page = transcript.page;
  if (page === undefined) return [`WebSocket transcript (${name}): ${t(transcript.problem ?? 'not readable')}`];
  if (page.total === 0) return [`WebSocket transcript (${name}): empty${page.unreadable > 0 ? ` (${page.unreadable} unreadable lines skipped)` : ''}`];
  const from = (page.page - 1) * TRANSCRIPT_PAGE_SIZE + 1;
  const heading = `WebSocket transcript (${name}): page ${page.page} of ${page.pages}, lines ${from}-${from + page.lines.length - 1} of ${page.total}${page.unreadable > 0 ? ` (${page.unreadable} unreadable lines skipped)` : ''}; ms since the run's clock started`;
  const rows = page.lines.map((line) => [`${Math.round(line.t)} ms`.padStart(10), DIRECTION[line.dir], t(cut(line.text, MAX_FRAME_CHARS))]);
  const next = page.page < page.pages ? [`  next page: gpmon show ${input.view.id} --page ${page.page + 1}${input.commandSuffix}`] : [];
  return [heading, ...columns(rows), ...next];
}

function artifactLines(input: ShowInput): string[] {
  if (input.artifacts.length === 0) return ['artifacts: none kept'];
  const rows = input.artifacts.map(({ artifact, hostPath }) => [
    artifact.kind,
    t(artifact.name),
    bytes(artifact.bytes).padStart(9),
    hostPath === undefined ? 'not in the run folder any more (removed by retention, or moved)' : t(hostPath),
  ]);
  const traces = input.artifacts.filter((a) => a.artifact.kind === 'trace' && a.hostPath !== undefined);
  return [
    `artifacts (run folder ${t(input.runFolder)})`,
    ...columns(rows, '  '),
    ...traces.map((a) => `trace: npx playwright show-trace ${t(shellWord(a.hostPath ?? ''))}`),
  ];
}

function inputLines(input: ShowInput): string[] {
  const { inputs, id } = input.view;
  const params = inputs.params === undefined ? [] : Object.entries(inputs.params).map(([k, v]) => `${k}=${String(v)}`);
  return [
    'inputs (a replay sends the same)',
    ...columns(
      [
        ['prompt', t(cut(inputs.prompt, MAX_VALUE_CHARS))],
        ['expected', t(`/${inputs.expectedAnswer}/`)],
        ...(params.length === 0 ? [] : [['params', t(params.join(', '))]]),
      ],
      '  ',
    ),
    `run it again: gpmon replay ${id}${input.commandSuffix}`,
  ];
}

/** A size as a person reads it: 217 B, 10.9 KiB, 1.2 MiB. */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${Math.max(0, Math.round(n))} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

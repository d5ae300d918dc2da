import type { Failure } from '../model/reasons.js';
import type { RunRecord, StepRecord } from '../model/run-record.js';
import { runFlags } from '../model/run-view.js';
import { terminalText } from './terminal-text.js';

/** The live step table `gpmon run` prints: a row as each step ends, the rest when the run is done. */

/** The STEP column's width, shared with the live line (src/cli/live-progress.ts). */
export const STEP_WIDTH = 15;

export function headerLines(journey: string, target: string, replayOf?: string): string[] {
  return [replayOf === undefined ? `gpmon run ${journey} against ${target}` : `gpmon replay ${replayOf}: ${journey} against ${target}`, `  ${'STEP'.padEnd(STEP_WIDTH)} ${'RESULT'.padEnd(8)} ${'TIME'.padStart(9)}  DETAIL`];
}

export function stepLines(step: StepRecord, failure?: Failure): string[] {
  const time = step.durationMs === undefined ? '' : `${Math.round(step.durationMs)} ms`;
  const result = step.status === 'failed' ? 'FAILED' : step.status;
  const first = `  ${step.name.padEnd(STEP_WIDTH)} ${result.padEnd(8)} ${time.padStart(9)}`;
  if (failure === undefined) return [first.trimEnd()];
  // The message and evidence came from the target: printed with its control characters made visible.
  return [`${first}  ${failure.reason}: ${terminalText(failure.message)}`, ...evidenceLine(failure)];
}

function evidenceLine(failure: Failure): string[] {
  const parts = Object.entries(failure.evidence).map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`);
  if (parts.length === 0) return [];
  const line = terminalText(parts.join(' '));
  return [`  ${''.padEnd(STEP_WIDTH + 20)}  ${line.length > 200 ? `${line.slice(0, 199)}…` : line}`];
}

export function summaryLines(record: RunRecord, printed: ReadonlySet<string>, runDir: string): string[] {
  const lines: string[] = [];
  for (const step of record.steps) {
    if (printed.has(step.name)) continue;
    lines.push(...stepLines(step, record.failure?.step === step.name ? record.failure : undefined));
  }
  if (record.failure !== undefined && !record.steps.some((step) => step.name === record.failure?.step)) {
    lines.push(`  ${record.failure.step.padEnd(STEP_WIDTH)} ${record.outcome.toUpperCase()}  ${record.failure.reason}: ${terminalText(record.failure.message)}`, ...evidenceLine(record.failure));
  }
  if (record.events.length > 0) {
    lines.push('event latency (from the request):');
    lines.push(...eventLines(record));
    const gap = record.marks.maxGapMs;
    if (gap !== undefined) lines.push(`longest silence in the stream: ${Math.round(gap)} ms`);
  }
  lines.push(...runFlags(record).map((flag) => `flag: ${terminalText(flag)}`));
  if (record.targetInfo.revision !== null) lines.push(`deployed: ${terminalText(record.targetInfo.version ?? '?')} at ${terminalText(record.targetInfo.revision.slice(0, 12))}`);
  const verdict = record.failure === undefined ? record.outcome.toUpperCase() : `${record.outcome.toUpperCase()} at ${record.failure.step}: ${record.failure.reason}`;
  lines.push(`${verdict} in ${Math.round(record.durationMs)} ms   run ${record.id}`);
  lines.push(`run folder: ${runDir}`);
  return lines;
}

/** Each event's latency; where several sessions ran (concurrent-sessions), one line an event: the fastest and slowest. */
function eventLines(record: RunRecord): string[] {
  const byType = new Map<string, number[]>();
  for (const event of record.events) byType.set(event.type, [...(byType.get(event.type) ?? []), event.atMs]);
  return [...byType].map(([type, times]) => {
    const low = Math.round(Math.min(...times));
    const high = Math.round(Math.max(...times));
    const text = times.length === 1 ? `${low} ms` : `${low}-${high} ms (${times.length} sessions)`;
    return `  ${type.padEnd(STEP_WIDTH)} ${text.padStart(18)}`;
  });
}

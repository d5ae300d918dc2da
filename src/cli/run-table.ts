import type { Failure } from '../model/reasons.js';
import type { RunRecord, StepRecord } from '../model/run-record.js';

/** The live step table `gpmon run` prints: a row as each step ends, the rest when the run is done. */

const STEP_WIDTH = 15;

export function headerLines(journey: string, target: string): string[] {
  return [`gpmon run ${journey} against ${target}`, `  ${'STEP'.padEnd(STEP_WIDTH)} ${'RESULT'.padEnd(8)} ${'TIME'.padStart(9)}  DETAIL`];
}

export function stepLines(step: StepRecord, failure?: Failure): string[] {
  const time = step.durationMs === undefined ? '' : `${Math.round(step.durationMs)} ms`;
  const result = step.status === 'failed' ? 'FAILED' : step.status;
  const first = `  ${step.name.padEnd(STEP_WIDTH)} ${result.padEnd(8)} ${time.padStart(9)}`;
  if (failure === undefined) return [first.trimEnd()];
  return [`${first}  ${failure.reason}: ${failure.message}`, ...evidenceLine(failure)];
}

function evidenceLine(failure: Failure): string[] {
  const parts = Object.entries(failure.evidence).map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`);
  if (parts.length === 0) return [];
  const line = parts.join(' ');
  return [`  ${''.padEnd(STEP_WIDTH + 20)}  ${line.length > 200 ? `${line.slice(0, 199)}…` : line}`];
}

export function summaryLines(record: RunRecord, printed: ReadonlySet<string>, runDir: string): string[] {
  const lines: string[] = [];
  for (const step of record.steps) {
    if (printed.has(step.name)) continue;
    lines.push(...stepLines(step, record.failure?.step === step.name ? record.failure : undefined));
  }
  if (record.failure !== undefined && !record.steps.some((step) => step.name === record.failure?.step)) {
    lines.push(`  ${record.failure.step.padEnd(STEP_WIDTH)} ${record.outcome.toUpperCase()}  ${record.failure.reason}: ${record.failure.message}`, ...evidenceLine(record.failure));
  }
  if (record.events.length > 0) {
    lines.push('event latency (from the request):');
    for (const event of record.events) lines.push(`  ${event.type.padEnd(STEP_WIDTH)} ${`${Math.round(event.atMs)} ms`.padStart(18)}`);
  }
  const gap = record.marks.maxGapMs;
  if (gap !== undefined) lines.push(`longest silence in the stream: ${Math.round(gap)} ms`);
  if (record.targetInfo.revision !== null) lines.push(`deployed: ${record.targetInfo.version ?? '?'} at ${record.targetInfo.revision.slice(0, 12)}`);
  const verdict = record.failure === undefined ? record.outcome.toUpperCase() : `${record.outcome.toUpperCase()} at ${record.failure.step}: ${record.failure.reason}`;
  lines.push(`${verdict} in ${Math.round(record.durationMs)} ms   run ${record.id}`);
  lines.push(`run folder: ${runDir}`);
  return lines;
}

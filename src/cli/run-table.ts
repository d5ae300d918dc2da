import type { Failure } from '../model/reasons.js';
import type { RunRecord, StepRecord } from '../model/run-record.js';
import { isHealthyStatus } from '../model/marks.js';

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
    lines.push(...eventLines(record));
    const gap = record.marks.maxGapMs;
    if (gap !== undefined) lines.push(`longest silence in the stream: ${Math.round(gap)} ms`);
  }
  lines.push(...flagLines(record));
  if (record.targetInfo.revision !== null) lines.push(`deployed: ${record.targetInfo.version ?? '?'} at ${record.targetInfo.revision.slice(0, 12)}`);
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

/**
 * What a passing run can still flag, from its marks: a degraded service or
 * dependency, a certificate near its end, isolation that could not be judged.
 */
function flagLines(record: RunRecord): string[] {
  const { services, dependencies, tlsCertificates } = record.marks;
  const flags: string[] = [];
  for (const service of services ?? []) if (service.status === 'degraded') flags.push(`${service.service} answers /health as degraded (up, flagged)`);
  for (const d of dependencies ?? []) {
    if (!isHealthyStatus(d.status)) flags.push(`dependency ${d.name} is ${d.status}${d.latencyMs === null ? '' : ` (${Math.round(d.latencyMs)} ms)`}`);
  }
  for (const cert of tlsCertificates ?? []) if (cert.daysLeft < 14) flags.push(`the ${cert.origin} origin's certificate ends in ${cert.daysLeft.toFixed(1)} days`);
  const concurrency = record.marks.concurrency as { distinctUsers?: unknown; sessions?: unknown } | undefined;
  if (concurrency?.distinctUsers === 1) flags.push(`isolation between users not checked: all ${String(concurrency.sessions)} sessions are one user (a password login has one account; the E2E bypass login gives one per email)`);
  return flags.map((flag) => `flag: ${flag}`);
}

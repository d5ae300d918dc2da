import type { RunRecord } from '../model/run-record.js';
import type { RevisionExpectation } from '../model/revision.js';

interface JourneyState {
  readonly name: string;
  readonly target: string;
  readonly schedule: string;
  readonly enabled: boolean;
  readonly running: string | null;
  readonly lastRun: { id: string; outcome: string; finishedAt: string; durationMs: number; failure: { step: string; reason: string; message: string } | null } | null;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A deploy's state in words: live, still waiting (within its window) or not effective (past it). */
function deployState(e: RevisionExpectation, now: number): string {
  if (e.liveAt !== undefined) return 'live';
  return now > Date.parse(e.deadline) ? 'not effective' : 'waiting';
}

/** A plain status page for a person: each journey's state, the last runs and why they failed, and deploys expected against observed. */
export function statusPage(journeys: readonly JourneyState[], recent: readonly RunRecord[], deploys: readonly RevisionExpectation[] = [], now = Date.now()): string {
  const deploy = (e: RevisionExpectation) => {
    const state = deployState(e, now);
    return `<tr class="deploy-${state.replace(' ', '-')}"><td>${escape(e.target)}</td><td><code>${escape(e.revision)}</code></td><td><code>${escape(e.observed ?? 'unknown')}</code></td><td>${escape(state)}</td><td>${escape(e.expectedAt)}</td><td>${escape(e.deadline)}</td></tr>`;
  };
  const row = (j: JourneyState) => {
    const last = j.lastRun;
    const state = j.running !== null ? 'running' : last === null ? 'no run yet' : last.outcome;
    const why = last?.failure ? `${escape(last.failure.step)}: ${escape(last.failure.reason)} (${escape(last.failure.message)})` : '';
    return `<tr class="${escape(state)}"><td>${escape(j.name)}</td><td>${escape(j.target)}</td><td><code>${escape(j.schedule)}</code>${j.enabled ? '' : ' (off)'}</td><td>${escape(state)}</td><td>${last ? `<a href="/api/runs/${escape(last.id)}">${escape(last.finishedAt)}</a>` : ''}</td><td>${why}</td></tr>`;
  };
  const run = (r: RunRecord) =>
    `<tr class="${escape(r.outcome)}"><td><a href="/api/runs/${escape(r.id)}">${escape(r.startedAt)}</a></td><td>${escape(r.journey)}</td><td>${escape(r.target)}</td><td>${escape(r.trigger)}</td><td>${escape(r.outcome)}</td><td>${Math.round(r.durationMs)} ms</td><td>${r.failure ? `${escape(r.failure.step)}: ${escape(r.failure.reason)}` : ''}</td></tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="15"><title>gpmon</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#1b1f24}table{border-collapse:collapse;margin-bottom:24px}td,th{padding:4px 10px;border-bottom:1px solid #e1e4e8;text-align:left}
tr.passed td:nth-child(4),tr.passed td:nth-child(5){color:#1a7f37}tr.failed td{color:#b3261e}tr.error td{color:#9a6700}tr.deploy-not-effective td{color:#b3261e}tr.deploy-live td:nth-child(4){color:#1a7f37}</style></head>
<body><h1>golden-path monitor</h1>
<table><tr><th>journey</th><th>target</th><th>schedule</th><th>state</th><th>last run</th><th>why it failed</th></tr>${journeys.map(row).join('')}</table>
${deploys.length === 0 ? '' : `<h2>Deploys</h2>
<table><tr><th>target</th><th>expected revision</th><th>observed revision</th><th>state</th><th>announced</th><th>deadline</th></tr>${deploys.map(deploy).join('')}</table>`}
<h2>Recent runs</h2>
<table><tr><th>started</th><th>journey</th><th>target</th><th>trigger</th><th>outcome</th><th>duration</th><th>failure</th></tr>${recent.map(run).join('')}</table>
<p><a href="/metrics">metrics</a> · <a href="/api/journeys">api/journeys</a> · <a href="/api/runs">api/runs</a></p>
</body></html>`;
}

/**
 * Fault to page: how long from a fault switched on in the target until the
 * alert reaches Alertmanager's webhook, and from the fault cleared until the
 * alert resolves. Real parts on loopback ports: simulator, gpmon serve,
 * Prometheus with alerts/golden-path.rules.yml, Alertmanager, a webhook.
 *
 *   npm run bench:alerts     # or: npx tsx bench/alert-latency.ts [--rounds N] [--schedule S] [--page-after N]
 *
 * What dominates: N failed runs in a row (N × the time between runs), then a
 * scrape, a rule evaluation and Alertmanager's group_wait (1 s each here;
 * Compose uses 15 s scrapes and evaluations). The time between runs is the
 * schedule, or the time to load a fresh journey child when the schedule is
 * shorter than that (a tick while the run waits for its child is skipped):
 * the bench prints the cadence it saw.
 */
import { parseArgs } from 'node:util';
import { startAlertStack } from '../test/helpers/alert-stack.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, schedule: { type: 'string', default: '2' }, 'page-after': { type: 'string', default: '2' } } });
const ROUNDS = Number(values.rounds);
const stack = await startAlertStack({ scheduleSeconds: Number(values.schedule), pageAfterFailures: Number(values['page-after']) });
const labels = { journey: stack.journey, target: 'sim' };
const results = new Map<string, { page: number[]; resolve: number[] }>();
const record = (name: string, page: number, resolve: number) => {
  const entry = results.get(name) ?? { page: [], resolve: [] };
  entry.page.push(page);
  entry.resolve.push(resolve);
  results.set(name, entry);
};

try {
  await stack.waitHealthy();
  for (let round = 0; round < ROUNDS; round++) {
    for (const fault of [{ name: 'subprotocol_mismatch' }, { name: 'missing_event', event: 'tool_executing' }]) {
      const { on, firing, off, resolved } = await stack.pageFor(fault);
      record(`${fault.name} (${firing.labels.step ?? ''}/${firing.labels.reason ?? ''})`, firing.receivedAt - on, resolved.receivedAt - off);
    }
    const killed = Date.now();
    await stack.killMonitor();
    const stale = await stack.waitForNotification('GoldenPathMonitorStale', labels, 'firing', killed);
    const restarted = Date.now();
    await stack.startMonitor();
    const back = await stack.waitForNotification('GoldenPathMonitorStale', labels, 'resolved', restarted);
    record('dead monitor (kill -9) → GoldenPathMonitorStale', stale.receivedAt - killed, back.receivedAt - restarted);
    await stack.waitHealthy();
  }
  const runs = ((await stack.api('/api/runs?limit=200')) as { runs: { startedAt: string }[] }).runs;
  report(runs.map((r) => Date.parse(r.startedAt)).sort((a, b) => a - b));
} finally {
  await stack.stop();
}

function report(starts: number[]): void {
  const gaps = starts.slice(1).map((t, i) => t - (starts[i] ?? t));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`\nfault → alert at the webhook (golden-path-api scheduled every ${values.schedule} s, runs seen every ${s(median(gaps))} (median); page after ${values['page-after']} failures; scrape, evaluation and group_wait 1 s; ${ROUNDS} rounds)\n`);
  console.log(`${'fault'.padEnd(52)} ${'to page: median'.padStart(16)} ${'max'.padStart(8)}   ${'cleared to resolved: median'.padStart(28)} ${'max'.padStart(8)}`);
  for (const [name, r] of results) {
    console.log(`${name.padEnd(52)} ${s(median(r.page)).padStart(16)} ${s(Math.max(...r.page)).padStart(8)}   ${s(median(r.resolve)).padStart(28)} ${s(Math.max(...r.resolve)).padStart(8)}`);
  }
}

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemonHarness, type DaemonHarness } from '../helpers/daemon-harness.js';
import { parseMetrics, startPrometheus, waitFor } from '../helpers/prom-tools.js';
import type { RunRecord } from '../../src/model/run-record.js';

/** `gpmon serve` against the simulator on second-level schedules: runs on time, metrics, history, API. */

const API = 'golden-path-api';
const series = (name: string, labels: Record<string, string>) => `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;

describe('the monitor daemon', () => {
  let h: DaemonHarness;
  const metrics = async () => parseMetrics((await h.api('GET', '/metrics', { token: null })).text);
  const runs = async (query: string) => ((await h.api('GET', `/api/runs?${query}`)).json as { runs: RunRecord[] }).runs;

  before(async () => {
    h = await startDaemonHarness({
      'golden-path': { enabled: false },
      [API]: { schedule: '*/2 * * * * *', stepTimeoutMs: 3000, timeoutMs: 15_000 },
      'ws-auth-enforced': { schedule: '*/3 * * * * *' },
    });
  });
  after(async () => {
    await h.stop();
  });

  it('is ready and healthy; known series start at 0', async () => {
    assert.equal((await h.api('GET', '/healthz', { token: null })).status, 200);
    assert.equal((await h.api('GET', '/readyz', { token: null })).status, 200);
    const m = await metrics();
    assert.equal(m.get(series('synthetic_step_failures_total', { journey: API, target: 'sim', step: 'connect', reason: 'ws_subprotocol' })), 0);
    assert.equal(m.get(series('synthetic_scheduler_skipped_runs_total', { journey: API, reason: 'overlap' })) !== undefined, true);
    assert.equal(m.get(series('synthetic_monitor_build_info', { version: 'test', playwright: 'test' })), 1);
  });

  it('runs on schedule; a pass moves the metrics as specified', async () => {
    const passed = await waitFor('two passed scheduled runs', async () => {
      const list = await runs(`journey=${API}&outcome=passed`);
      return list.length >= 2 ? list : undefined;
    });
    assert.ok(passed.every((r) => r.trigger === 'schedule'));
    const [later, earlier] = passed;
    assert.ok(later !== undefined && earlier !== undefined);
    const gap = Date.parse(later.startedAt) - Date.parse(earlier.startedAt);
    // Every 2 s, or later when a tick found the last run busy and was skipped (a tick that ran late on a loaded
    // machine may run closer to the next one); never two at once: the later run started after the earlier ended.
    assert.ok(gap > 0 && gap <= 20_000, `scheduled ${gap} ms apart (every 2 s, or after skipped ticks)`);
    assert.ok(Date.parse(later.startedAt) >= Date.parse(earlier.finishedAt), `two runs at once: ${earlier.startedAt}–${earlier.finishedAt} and ${later.startedAt}`);
    const m = await metrics();
    const base = { journey: API, target: 'sim' };
    assert.equal(m.get(series('synthetic_journey_success', base)), 1);
    assert.ok((m.get(series('synthetic_journey_runs_total', { ...base, outcome: 'passed', trigger: 'schedule' })) ?? 0) >= 2);
    for (const step of ['login', 'connect', 'agent_request', 'live_events', 'ai_response']) {
      assert.equal(m.get(series('synthetic_step_success', { ...base, step })), 1, step);
      assert.ok((m.get(series('synthetic_step_duration_seconds_count', { ...base, step })) ?? 0) >= 2, step);
    }
    assert.ok((m.get(series('synthetic_event_latency_seconds_count', { ...base, event: 'agent_completed' })) ?? 0) >= 2);
    assert.ok((m.get(series('synthetic_journey_last_success_timestamp_seconds', base)) ?? 0) > Date.now() / 1000 - 60);
    // From a run of the journey that reads the revision (ws-auth-enforced, also scheduled here, does not).
    const revision = ((await h.api('GET', `/api/runs?journey=${API}&limit=1`)).json as { runs: RunRecord[] }).runs[0]?.targetInfo.revision ?? '';
    assert.equal(m.get(series('synthetic_target_info', { target: 'sim', version: '1.42.0', revision })), 1);
  });

  it('our metrics pass promtool; OpenMetrics carries run ids as exemplars', async () => {
    const text = (await h.api('GET', '/metrics', { token: null })).text;
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
    const om = await h.api('GET', '/metrics', { token: null, accept: 'application/openmetrics-text; version=1.0.0' });
    assert.match(om.headers.get('content-type') ?? '', /application\/openmetrics-text/);
    assert.match(om.text, /synthetic_step_duration_seconds_bucket\{[^}]*\} \d+ # \{run_id="[0-9a-f-]{36}"\}/);
    assert.match(om.text, /# EOF\n$/);
    assert.doesNotMatch(text, /run_id/, 'no run id in the Prometheus text');
  });

  it('a real Prometheus scrapes it: success, step and event buckets with their labels', async () => {
    const prometheus = await startPrometheus(h.daemon.url);
    try {
      const success = await waitFor('synthetic_journey_success in Prometheus', async () => {
        const result = await prometheus.query(`synthetic_journey_success{journey="${API}"}`);
        return result.length > 0 ? result : undefined;
      }, 30_000);
      assert.equal(success[0]?.metric.target, 'sim');
      assert.equal(success[0]?.value[1], '1');
      const steps = await prometheus.query(`synthetic_step_duration_seconds_bucket{journey="${API}",step="live_events"}`);
      assert.ok(steps.length > 5, 'one series per bucket bound');
      assert.ok(steps.every((s) => s.metric.le !== undefined && s.metric.target === 'sim'));
      const events = await prometheus.query(`count by (event) (synthetic_event_latency_seconds_bucket{journey="${API}"})`);
      assert.deepEqual(events.map((s) => s.metric.event).sort(), ['agent_completed', 'agent_started', 'agent_thinking', 'tool_completed', 'tool_executing']);
      // The query a dashboard draws: a p95 per event, once two scrapes saw runs happen.
      const p95 = await waitFor('a p95 per event', async () => {
        const result = await prometheus.query(`histogram_quantile(0.95, sum by (le, event) (rate(synthetic_event_latency_seconds_bucket{journey="${API}"}[30s])))`);
        return result.filter((s) => Number.isFinite(Number(s.value[1]))).length === 5 ? result : undefined;
      }, 30_000);
      for (const sample of p95) assert.ok(Number(sample.value[1]) > 0 && Number(sample.value[1]) < 5, `${sample.metric.event ?? ''}: ${sample.value[1]}`);
    } finally {
      await prometheus.stop();
    }
  });

  it('a failure names the step and reason; later steps read 0 (skipped)', async () => {
    h.sim.state.enable({ name: 'missing_event', event: 'tool_completed' });
    try {
      const failed = await waitFor('a failed run', async () => (await runs(`journey=${API}&outcome=failed&limit=1`))[0]);
      assert.equal(failed.failure?.reason, 'event_missing');
      const m = await metrics();
      const base = { journey: API, target: 'sim' };
      assert.ok((m.get(series('synthetic_step_failures_total', { ...base, step: 'live_events', reason: 'event_missing' })) ?? 0) >= 1);
      assert.equal(m.get(series('synthetic_step_success', { ...base, step: 'agent_request' })), 1);
      assert.equal(m.get(series('synthetic_step_success', { ...base, step: 'live_events' })), 0);
      assert.equal(m.get(series('synthetic_step_success', { ...base, step: 'ai_response' })), 0);
      assert.equal(m.get(series('synthetic_journey_success', base)), 0);
    } finally {
      h.sim.state.clearFaults();
    }
  });

  it('a tick while the last run still runs is skipped and counted', async () => {
    const before = (await metrics()).get(series('synthetic_scheduler_skipped_runs_total', { journey: API, reason: 'overlap' })) ?? 0;
    h.sim.state.enable({ name: 'agent_never_completes' });
    try {
      await waitFor('a skipped tick', async () => (((await metrics()).get(series('synthetic_scheduler_skipped_runs_total', { journey: API, reason: 'overlap' })) ?? 0) > before ? true : undefined), 30_000);
    } finally {
      h.sim.state.clearFaults();
    }
  });

  describe('API', () => {
    it('refuses writes and artifacts without the token', async () => {
      assert.equal((await h.api('POST', `/api/journeys/${API}/runs`, { token: null })).status, 401);
      assert.equal((await h.api('POST', `/api/journeys/${API}/runs`, { token: 'wrong' })).status, 401);
      const some = (await runs('limit=1'))[0];
      assert.ok(some !== undefined);
      assert.equal((await h.api('GET', `/api/runs/${some.id}/artifacts/transcript.jsonl`, { token: null })).status, 401);
      assert.equal((await h.api('POST', `/api/runs/${some.id}/replay`, { token: null })).status, 401);
    });

    it('404s an unknown journey or run, 400s bad input, never with a stack trace', async () => {
      const cases: [string, string, unknown, number, RegExp][] = [
        ['POST', '/api/journeys/golden-paht/runs', undefined, 404, /unknown journey "golden-paht"/],
        ['GET', '/api/runs/00000000-0000-0000-0000-000000000000', undefined, 404, /no finished run/],
        ['GET', '/api/runs/bad..id', undefined, 400, /a run id is letters, digits and -/],
        ['GET', '/api/runs?limit=abc', undefined, 400, /limit must be an integer/],
        ['GET', '/api/runs?outcome=maybe', undefined, 400, /outcome must be one of passed, failed, error/],
        ['GET', '/api/runs?journey=nope', undefined, 404, /unknown journey/],
        ['POST', `/api/journeys/${API}/runs`, { target: 'prod' }, 400, /does not run against "prod"/],
        ['POST', `/api/journeys/${API}/runs`, { force: true }, 400, /unknown field "force"/],
        ['POST', `/api/journeys/${API}/runs`, '{"target":', 400, /not valid JSON/],
        ['GET', '/api/nothing', undefined, 404, /no route/],
      ];
      for (const [method, path, body, status, message] of cases) {
        const answer = await h.api(method, path, { body });
        assert.equal(answer.status, status, `${method} ${path}: ${answer.text}`);
        assert.match((answer.json as { error: string }).error, message);
        assert.doesNotMatch(answer.text, /\n\s+at /);
      }
    });

    it('runs now (202), refuses a second run of the same journey (409 with the running id)', async () => {
      h.sim.state.enable({ name: 'slow_phase', phase: 'agent_start', ms: 1500 });
      try {
        const first = await waitFor('a manual run to start', async () => {
          const answer = await h.api('POST', `/api/journeys/${API}/runs`);
          return answer.status === 202 ? (answer.json as { id: string }) : undefined;
        });
        const second = await h.api('POST', `/api/journeys/${API}/runs`);
        assert.equal(second.status, 409);
        assert.equal((second.json as { runningId: string }).runningId, first.id);
        const record = await waitFor('the manual run to finish', async () => {
          const answer = await h.api('GET', `/api/runs/${first.id}`);
          return answer.status === 200 ? (answer.json as RunRecord) : undefined;
        });
        assert.equal(record.trigger, 'manual');
        const journeys = (await h.api('GET', '/api/journeys')).json as { journeys: { name: string; lastRun: unknown }[] };
        assert.ok(journeys.journeys.some((j) => j.name === API && j.lastRun !== null));
      } finally {
        h.sim.state.clearFaults();
      }
    });

    it('replays a run with the same journey, target and inputs', async () => {
      const original = (await runs(`journey=${API}&limit=1`))[0];
      assert.ok(original !== undefined);
      const replay = await waitFor('a replay to start', async () => {
        const answer = await h.api('POST', `/api/runs/${original.id}/replay`);
        return answer.status === 202 ? (answer.json as { id: string; replayOf: string }) : undefined;
      });
      assert.equal(replay.replayOf, original.id);
      const record = await waitFor('the replay to finish', async () => {
        const answer = await h.api('GET', `/api/runs/${replay.id}`);
        return answer.status === 200 ? (answer.json as RunRecord) : undefined;
      });
      assert.equal(record.trigger, 'replay');
      assert.equal(record.replayOf, original.id);
      assert.deepEqual([record.journey, record.target, record.inputs], [original.journey, original.target, original.inputs]);
    });

    it('serves a run’s artifacts with the token, and nothing outside its folder', async () => {
      const run = (await runs(`journey=${API}&limit=1`))[0];
      assert.ok(run !== undefined);
      const transcript = await h.api('GET', `/api/runs/${run.id}/artifacts/transcript.jsonl`);
      assert.equal(transcript.status, 200);
      assert.match(transcript.text, /"dir":"out"/);
      for (const name of ['..%2F..%2Fgpmon.db', '..%2Fconfig.json', '%2Fetc%2Fpasswd', 'gpmon.db', '..%5C..%5Cgpmon.db', 'transcript.jsonl%00.db']) {
        const answer = await h.api('GET', `/api/runs/${run.id}/artifacts/${name}`);
        assert.ok([400, 404].includes(answer.status), `${name}: ${answer.status}`);
        assert.doesNotMatch(answer.text, /SQLite|root:/);
      }
    });

    it('follows no symlink out of a run folder: a replaced file or a replaced folder is not served', async () => {
      const [first, second] = await runs(`journey=${API}&limit=2`);
      assert.ok(first !== undefined && second !== undefined);
      const runsDir = join(h.dir, 'runs');
      // The file replaced by a link to a file outside the runs folder.
      rmSync(join(runsDir, first.id, 'transcript.jsonl'));
      symlinkSync('/etc/passwd', join(runsDir, first.id, 'transcript.jsonl'));
      // The whole run folder replaced by a link to a folder outside, holding a file of the same name.
      const outside = mkdtempSync(join(tmpdir(), 'gpmon-outside-'));
      writeFileSync(join(outside, 'transcript.jsonl'), 'root:x:0:0:outside the runs folder\n');
      rmSync(join(runsDir, second.id), { recursive: true, force: true });
      symlinkSync(outside, join(runsDir, second.id));
      try {
        for (const run of [first, second]) {
          const answer = await h.api('GET', `/api/runs/${run.id}/artifacts/transcript.jsonl`);
          assert.equal(answer.status, 404, `${run.id}: ${answer.status}`);
          assert.doesNotMatch(answer.text, /root:/);
        }
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it('serves the console overview: a card per journey and target, linking to its page', async () => {
      const page = await h.api('GET', '/', { token: null });
      assert.equal(page.status, 200);
      assert.match(page.text, new RegExp(`<h3 id="j-${API}-sim" class="card-title"><a href="/journeys/${API}\\?target=sim">${API}</a>`));
    });
  });
});

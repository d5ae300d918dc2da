import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useInProcess } from '../helpers/in-process-run.js';
import { FAULT_MATRIX, assertExpected, assertWholeStream, label } from '../helpers/fault-matrix.js';
import type { RunRecord } from '../../src/model/run-record.js';

/**
 * Every simulator fault, as the protocol journeys see it: the failing step,
 * the reason, later steps skipped. The journeys' code runs in this process
 * (test/helpers/in-process-run.ts); journeys-e2e.test.ts runs a few rows
 * through the executor and a `playwright test` child.
 */
describe('protocol journeys against every fault (in-process)', () => {
  const h = useInProcess();

  it('healthy: golden-path-api, ws-auth-enforced, token-refresh, concurrent-sessions and platform-health pass', async () => {
    assertExpected(await h().run('golden-path-api'), 'pass');
    assertExpected(await h().run('ws-auth-enforced'), 'pass');
    const refreshed = await h().run('token-refresh');
    assertExpected(refreshed, 'pass');
    // The platform's refresh path: the same refresh token back, an access token whose permission list differs.
    assert.deepEqual(refreshed.marks.refresh, { rotated: false, claimsChanged: ['permissions'], sameAccessToken: false });
    const concurrent = await h().run('concurrent-sessions', { login: 'bypass' });
    assertExpected(concurrent, 'pass');
    assert.deepEqual(concurrent.marks.concurrency, { sessions: 3, distinctUsers: 3, overlapped: true, startSpreadMs: (concurrent.marks.concurrency as { startSpreadMs: number }).startSpreadMs });
    // Every session's latencies go to the usual histogram: three arrivals of each event.
    assert.equal(concurrent.events.filter((e) => e.type === 'agent_completed').length, 3);
    const health = await h().run('platform-health');
    assertExpected(health, 'pass');
    assert.deepEqual(health.marks.dependencies?.map((d) => d.name), ['postgres', 'redis', 'clickhouse']);
  });

  it('concurrent-sessions on a password-login target: every session is the one account, and a leak between its own sockets is not a false isolation', async () => {
    const record = await h().run('concurrent-sessions');
    assertExpected(record, 'pass');
    assert.equal((record.marks.concurrency as { distinctUsers: number }).distinctUsers, 1);
  });

  it('token-refresh on a target that promises rotation: the platform hands back the same refresh token, and its reuse is security', async () => {
    const record = await h().run('token-refresh', { rotation: true });
    assertExpected(record, { step: 'refresh', reason: 'security' });
    assert.match(record.failure?.message ?? '', /the refresh token used once was accepted again \(the same one was handed back\)/);
    h().sim.state.rotateRefreshTokens = true;
    try {
      assertExpected(await h().run('token-refresh', { rotation: true }), 'pass');
    } finally {
      h().sim.state.rotateRefreshTokens = false;
    }
  });

  it('a wsUrl given with its path (GPMON_WS_URL=ws://host/ws) is used as given: golden-path-api and ws-auth-enforced pass', async () => {
    const given = `${h().sim.description.ws}/ws`;
    const record = await h().run('golden-path-api', { wsUrl: given });
    assertExpected(record, 'pass');
    assertExpected(await h().run('ws-auth-enforced', { wsUrl: given }), 'pass');
  });

  it("a step's waits share its timeout: a slow upgrade, then no welcome, fails connect at the step timeout, not at twice it", async () => {
    h().sim.state.enable({ name: 'slow_phase', phase: 'handshake', ms: 2000 });
    h().sim.state.enable({ name: 'welcome_stall' });
    const record = await h().run('golden-path-api', { stepTimeoutMs: 3000 });
    assertExpected(record, { step: 'connect', reason: 'timeout' });
    const connect = record.steps.find((step) => step.name === 'connect');
    // The old way: 2 s of upgrade, then a fresh 3 s for the welcome, 5 s in all.
    assert.ok((connect?.durationMs ?? Infinity) < 4000, `connect ended at ${connect?.durationMs ?? 'no'} ms`);
  });

  for (const row of FAULT_MATRIX) {
    it(`${label(row.fault)}: golden-path-api ${row.api === 'pass' ? 'passes' : `fails at ${row.api.step} (${row.api.reason})`}`, async () => {
      h().sim.state.enable(row.fault);
      const record = await h().run('golden-path-api', row.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: row.stepTimeoutMs });
      assertExpected(record, row.api);
      if (row.filler !== undefined) assertWholeStream(record, h().transcript(record.id), row.filler);
      if (row.fault.name === 'slow_phase') {
        const agentRequest = record.steps.find((step) => step.name === 'agent_request');
        assert.ok((agentRequest?.durationMs ?? 0) >= 300, `agent_request took ${agentRequest?.durationMs ?? 0} ms`);
      }
      if (row.fault.name === 'new_revision') assert.equal(record.targetInfo.revision, 'feedc0ffee1234');
      if (row.authEnforced !== undefined) assertExpected(await h().run('ws-auth-enforced'), row.authEnforced);
      if (row.tokenRefresh !== undefined) {
        const refreshed = await h().run('token-refresh');
        assertExpected(refreshed, row.tokenRefresh);
        // A refusal says whether a login's token still opens the socket: only the refreshed one refused, or every token.
        if (row.fault.name === 'refreshed_token_refused') assert.match(refreshed.failure?.message ?? '', /the login's access token opens the socket: the refreshed one is refused \(its claims differ from the login's in: permissions\)/);
        if (row.fault.name === 'ws_auth_rejected') assert.match(refreshed.failure?.message ?? '', /the login's access token is refused too/);
      }
      if (row.concurrent !== undefined) {
        const concurrent = await h().run('concurrent-sessions', { login: 'bypass' });
        assertExpected(concurrent, row.concurrent);
        if (row.fault.name === 'serialised') assertSerialised(concurrent);
      }
      // Rows about TLS are checked against a TLS simulator (test/simulator/tls.test.ts, and the campaign).
      if (row.health !== undefined && row.tls !== true) {
        const health = await h().run('platform-health');
        assertExpected(health, row.health);
        if (row.fault.name === 'dependency_degraded') {
          assert.deepEqual(health.marks.services, [{ service: 'auth', status: 'healthy' }, { service: 'api', status: 'degraded' }]);
          assert.deepEqual(health.marks.dependencies?.find((d) => d.name === 'redis'), { name: 'redis', status: 'degraded', latencyMs: 850 });
        }
      }
      if (row.followUp !== undefined) {
        const followUp = await h().run('thread-follow-up');
        assertExpected(followUp, row.followUp);
        if (row.fault.name === 'thread_lost') assert.match(followUp.failure?.message ?? '', row.fault.mode === 'thread' ? /was answered in thread "thread_[^"]+", not the thread it was sent to/ : /does not give the code word of the thread's first request/);
      }
    });
  }
});

/** Runs served one after another: none overlapped, and the slowest user's request waited for the others' runs. */
function assertSerialised(record: RunRecord): void {
  const concurrency = record.marks.concurrency as { overlapped: boolean; startSpreadMs: number };
  assert.equal(concurrency.overlapped, false, JSON.stringify(concurrency));
  const agentRequest = record.steps.find((step) => step.name === 'agent_request');
  // Two whole runs (about 550 ms each on the default profile) before the third user's agent_started.
  assert.ok((agentRequest?.durationMs ?? 0) >= 1000, `agent_request took ${agentRequest?.durationMs ?? 0} ms`);
}

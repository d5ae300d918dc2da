import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { CRITICAL_EVENTS, type CriticalEvent } from '../../src/simulator/profile.js';
import { protocolForToken } from '../../src/simulator/ws-negotiation.js';
import { admin, answerText, connect, connectAs, getJson, login, merged, postJson, startAgent, type Connection, type Frame, type Tokens } from '../helpers/sim-client.js';
import { rawUpgrade } from '../helpers/raw-upgrade.js';
import { answerFor, followUpAnswerFor } from '../../src/simulator/agent-run.js';

/** Every fault, switched on through the admin API, shows on the wire exactly as the real failure does. */

const FAST = { login: 0, handshake: 0, agent_start: 10, thinking: 10, tool_start: 10, tool: 10, completion: 10 };

/** Reads a body the simulator stalls (`stall`: nothing; `drip`: a byte a second) until the call's 2.5 s deadline: it must never finish. */
async function assertStalledBody(response: Response, mode: 'stall' | 'drip'): Promise<void> {
  let received = 0;
  const reader = response.body?.getReader();
  try {
    for (;;) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) break;
      received += chunk.value.byteLength;
    }
    assert.fail('the body must not finish');
  } catch (error) {
    assert.equal((error as Error).name, 'TimeoutError', String(error));
  }
  if (mode === 'stall') assert.equal(received, 0);
  else assert.ok(received >= 1 && received <= 3, `a byte a second: ${received} in 2.5 s`);
}

describe('faults on the wire', () => {
  let sim: Simulator;
  let tokens: Tokens;
  const on = async (fault: Record<string, unknown>) => {
    const answer = await admin(sim.description, 'POST', '/faults', fault);
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
  };
  const established = async (): Promise<Connection> => {
    const connection = await connectAs(sim.description, tokens);
    await connection.next((f) => f.type === 'connection_established');
    return connection;
  };
  /** Runs the agent and collects frames until `until` matches or `quietMs` pass. */
  const run = async (until: (f: Frame) => boolean, quietMs = 400) => {
    const connection = await established();
    const from = connection.frames.length;
    startAgent(connection, 'fault probe');
    await Promise.race([connection.next(until, quietMs).catch(() => undefined), connection.closed]);
    const frames = connection.frames.slice(from).filter((f) => f.type !== 'heartbeat');
    return { connection, frames, types: frames.map((f) => f.type) };
  };

  before(async () => {
    sim = await startSimulator({ latency: FAST });
    tokens = await login(sim.description);
  });
  afterEach(async () => {
    await admin(sim.description, 'DELETE', '/faults');
  });
  after(async () => {
    await sim.stop();
  });

  it('subprotocol_mismatch: answers jwt-auth to a jwt.<token> offer; a strict client fails the handshake', async () => {
    await on({ name: 'subprotocol_mismatch' });
    const offer = protocolForToken(tokens.access_token);
    const raw = await rawUpgrade(sim.description.ws, [offer]);
    assert.equal(raw.status, 101);
    assert.equal(raw.headers['sec-websocket-protocol'], 'jwt-auth');
    const outcome = await connect(sim.description, { protocols: [offer] });
    assert.deepEqual(outcome, { kind: 'error', message: 'Server sent an invalid subprotocol' });
  });

  it('subprotocol_refused (403): a valid offer is refused at the handshake', async () => {
    await on({ name: 'subprotocol_refused', mode: '403' });
    const raw = await rawUpgrade(sim.description.ws, [protocolForToken(tokens.access_token)]);
    assert.equal(raw.status, 403);
  });

  it('subprotocol_refused (1003): accepted with no subprotocol, then close 1003 "No supported subprotocols"', async () => {
    await on({ name: 'subprotocol_refused', mode: '1003' });
    const raw = await rawUpgrade(sim.description.ws, [protocolForToken(tokens.access_token)]);
    assert.equal(raw.status, 101);
    assert.equal(raw.headers['sec-websocket-protocol'], undefined);
    assert.deepEqual(raw.close, { code: 1003, reason: 'No supported subprotocols' });
  });

  it('ws_auth_rejected (close): a valid token gets AUTH_FAILED, then 1008', async () => {
    await on({ name: 'ws_auth_rejected' });
    const outcome = await connect(sim.description, { protocols: [protocolForToken(tokens.access_token)] });
    assert.equal(outcome.kind, 'open');
    assert.deepEqual(await outcome.connection.closed, { code: 1008, reason: 'Authentication failed' });
    assert.deepEqual(
      outcome.connection.frames.map((f) => [f.type, f.error_code]),
      [['error_message', 'AUTH_FAILED']],
    );
  });

  it('ws_auth_rejected (401): the handshake is refused with 401', async () => {
    await on({ name: 'ws_auth_rejected', mode: '401' });
    const outcome = await connect(sim.description, { protocols: [protocolForToken(tokens.access_token)] });
    assert.equal(outcome.kind, 'unexpected-response');
    assert.equal(outcome.status, 401);
  });

  for (const after of CRITICAL_EVENTS) {
    it(`close_1011 after ${after}: the stream stops there with close 1011`, async () => {
      await on({ name: 'close_1011', after });
      const { connection, types } = await run(() => false);
      assert.deepEqual(await connection.closed, { code: 1011, reason: 'Internal error' });
      const last = CRITICAL_EVENTS.indexOf(after);
      assert.equal(types.at(-1), after);
      for (const event of CRITICAL_EVENTS.slice(last + 1)) assert.ok(!types.includes(event), `${event} must not arrive`);
    });
  }

  for (const event of CRITICAL_EVENTS) {
    it(`missing_event ${event}: every other critical event arrives, that one never`, async () => {
      await on({ name: 'missing_event', event });
      const { connection, types } = await run((f) => f.type === 'agent_completed');
      if (event === 'agent_completed') await sleep(100);
      connection.ws.close();
      for (const other of CRITICAL_EVENTS) {
        assert.equal(types.includes(other), other !== event, `${other} ${other === event ? 'absent' : 'present'}: ${types.join(',')}`);
      }
    });
  }

  it('events_out_of_order: tool_completed arrives before tool_executing', async () => {
    await on({ name: 'events_out_of_order' });
    const { types, connection } = await run((f) => f.type === 'agent_completed');
    connection.ws.close();
    assert.ok(types.indexOf('tool_completed') < types.indexOf('tool_executing'), types.join(','));
  });

  it('agent_error: an agent_error with a message, and no agent_completed', async () => {
    await on({ name: 'agent_error' });
    const { frames, types, connection } = await run((f) => f.type === 'agent_error');
    await sleep(100);
    connection.ws.close();
    const error = frames.find((f) => f.type === 'agent_error');
    assert.ok(error !== undefined);
    assert.match(String(merged(error).error_message), /failed/);
    assert.ok(!types.includes('agent_completed'));
  });

  it('agent_never_completes: tools finish, then silence on an open connection', async () => {
    await on({ name: 'agent_never_completes' });
    const { types, connection } = await run((f) => f.type === 'agent_completed', 300);
    assert.ok(types.includes('tool_completed'));
    assert.ok(!types.includes('agent_completed'));
    connection.send({ type: 'ping' });
    await connection.next((f) => f.type === 'pong');
    connection.ws.close();
  });

  it('empty_answer: agent_completed carries no answer anywhere', async () => {
    await on({ name: 'empty_answer' });
    const { frames, connection } = await run((f) => f.type === 'agent_completed');
    connection.ws.close();
    assert.ok(frames.some((f) => f.type === 'agent_completed'));
    assert.equal(answerText(frames), '');
  });

  it('login_rejected: both login routes answer 401', async () => {
    await on({ name: 'login_rejected' });
    const d = sim.description;
    const form = await postJson(`${d.auth}/auth/login`, { email: d.email, password: d.password });
    assert.deepEqual([form.status, form.json], [401, { detail: 'Invalid credentials' }]);
    const bypass = await postJson(`${d.auth}/auth/e2e/test-auth`, {}, { 'X-E2E-Bypass-Key': d.bypassKey });
    assert.equal(bypass.status, 401);
  });

  it('auth_down: every auth route answers 503, health says unhealthy', async () => {
    await on({ name: 'auth_down' });
    const d = sim.description;
    const health = await getJson(`${d.auth}/health`);
    assert.equal(health.status, 503);
    assert.equal((health.json as { status: string }).status, 'unhealthy');
    assert.equal((await postJson(`${d.auth}/auth/login`, { email: d.email, password: d.password })).status, 503);
    assert.equal((await postJson(`${d.auth}/auth/e2e/test-auth`, {}, { 'X-E2E-Bypass-Key': d.bypassKey })).status, 503);
  });

  it('slow_phase: the named phase takes N ms longer', async () => {
    await on({ name: 'slow_phase', phase: 'agent_start', ms: 300 });
    const connection = await established();
    const sent = performance.now();
    startAgent(connection, 'slow');
    await connection.next((f) => f.type === 'agent_started', 2000);
    const elapsed = performance.now() - sent;
    connection.ws.close();
    assert.ok(elapsed >= 300 + FAST.agent_start - 2, `agent_started after ${elapsed} ms`);
    const state = (await admin(sim.description, 'GET', '/state')).json as { effectiveLatency: { agent_start: number } };
    assert.equal(state.effectiveLatency.agent_start, 310);
  });

  it('new_revision: /api/system/info reports a new git_commit, and the old one once cleared', async () => {
    const info = async () => ((await getJson(`${sim.description.api}/api/system/info`)).json as { git_commit: string }).git_commit;
    const before = await info();
    await on({ name: 'new_revision' });
    const moved = await info();
    assert.notEqual(moved, before);
    assert.match(moved, /^[0-9a-f]{40}$/);
    await on({ name: 'new_revision', revision: 'deadbeefcafe' });
    assert.equal(await info(), 'deadbeefcafe');
    await admin(sim.description, 'DELETE', '/faults/new_revision');
    assert.equal(await info(), before);
  });

  it('permissive_auth: no token, a forged token and even a valid one get an invented user', async () => {
    await on({ name: 'permissive_auth' });
    const forged = tokens.access_token.slice(0, -4) + 'AAAA';
    for (const options of [{}, { protocols: [protocolForToken(forged)] }, { protocols: [protocolForToken(tokens.access_token)] }]) {
      const outcome = await connect(sim.description, options);
      assert.equal(outcome.kind, 'open');
      const event = merged(await outcome.connection.next((f) => f.type === 'connection_established'));
      assert.equal(typeof event.user_id, 'string');
      assert.notEqual(event.user_id, tokens.user.id);
      outcome.connection.ws.close();
    }
  });

  it('cors_broken: auth stops answering CORS for the app origin', async () => {
    await on({ name: 'cors_broken' });
    const preflight = await fetch(`${sim.description.auth}/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: sim.description.app, 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const me = await fetch(`${sim.description.auth}/auth/me`, { headers: { origin: sim.description.app } });
    assert.equal(me.headers.get('access-control-allow-origin'), null);
  });

  it('broken_chat_page (no_send_button): the chat page ships without the send button', async () => {
    const page = async () => (await fetch(`${sim.description.app}/chat`)).text();
    assert.match(await page(), /data-testid="send-button"/);
    await on({ name: 'broken_chat_page', mode: 'no_send_button' });
    assert.doesNotMatch(await page(), /data-testid="send-button"/);
  });

  it('broken_chat_page (script_error) and answer_not_rendered: the page is served with the bug switched on', async () => {
    await on({ name: 'broken_chat_page', mode: 'script_error' });
    await on({ name: 'answer_not_rendered' });
    const html = await (await fetch(`${sim.description.app}/chat`)).text();
    assert.match(html, /"scriptError":true/);
    assert.match(html, /"answerNotRendered":true/);
  });

  it('login_stall: 200 and the headers (length included) at once, then no body; drip: a byte a second', async () => {
    const d = sim.description;
    for (const mode of ['stall', 'drip'] as const) {
      await on({ name: 'login_stall', mode });
      const started = performance.now();
      const response = await fetch(`${d.auth}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: d.email, password: d.password }), signal: AbortSignal.timeout(2500) });
      assert.equal(response.status, 200);
      assert.ok(performance.now() - started < 1000, 'headers at once');
      assert.ok(Number(response.headers.get('content-length')) > 100);
      await assertStalledBody(response, mode);
      await admin(sim.description, 'DELETE', '/faults');
    }
  });

  it('upgrade_unanswered: the upgrade request gets no answer at all; give_up tells the chat page when to close its connecting socket', async () => {
    await on({ name: 'upgrade_unanswered', give_up: 1200 });
    const answered = await Promise.race([rawUpgrade(sim.description.ws, [protocolForToken(tokens.access_token)]).then(() => 'answered'), sleep(1500).then(() => 'silent')]);
    assert.equal(answered, 'silent');
    const html = await (await fetch(`${sim.description.app}/chat`)).text();
    assert.match(html, /"connectGiveUpMs":1200/);
    await admin(sim.description, 'DELETE', '/faults');
    assert.match(await (await fetch(`${sim.description.app}/chat`)).text(), /"connectGiveUpMs":null/);
  });

  it('me_stall: the session check answers 200 and its headers, then no body (stall) or a byte a second (drip); the logins are untouched', async () => {
    const d = sim.description;
    for (const mode of ['stall', 'drip'] as const) {
      await on({ name: 'me_stall', mode });
      const login = await fetch(`${d.auth}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: d.email, password: d.password }), signal: AbortSignal.timeout(2000) });
      const { access_token: access } = (await login.json()) as { access_token: string };
      const started = performance.now();
      const response = await fetch(`${d.auth}/auth/me`, { headers: { authorization: `Bearer ${access}` }, signal: AbortSignal.timeout(2500) });
      assert.equal(response.status, 200);
      assert.ok(performance.now() - started < 1000, 'headers at once');
      await assertStalledBody(response, mode);
      await admin(sim.description, 'DELETE', '/faults');
    }
  });

  it('long_stream: N agent_thinking frames before the tool events, then the healthy rest', async () => {
    await on({ name: 'long_stream', thinking: 300 });
    const { types, connection } = await run((f) => f.type === 'agent_completed');
    connection.ws.close();
    assert.equal(types.filter((t) => t === 'agent_thinking').length, 300 + 1);
    assert.deepEqual(types.filter((t) => t !== 'agent_thinking'), ['agent_started', 'tool_executing', 'tool_completed', 'agent_completed']);
  });

  /** One request on the socket (a new thread, or a follow-up in `threadId`): the thread id all five critical events carry, and the answer. */
  const ask = async (connection: Connection, request: string, threadId: string | null) => {
    const from = connection.frames.length;
    connection.send(
      threadId === null
        ? { type: 'start_agent', payload: { user_request: request, thread_id: null, context: { source: 'message_input' } } }
        : { type: 'user_message', payload: { content: request, thread_id: threadId } },
    );
    await connection.next((f) => connection.frames.indexOf(f) >= from && (f.type === 'agent_completed' || f.type === 'error_message'));
    const frames = connection.frames.slice(from).filter((f) => f.type !== 'heartbeat');
    const critical = frames.filter((f) => (CRITICAL_EVENTS as readonly string[]).includes(f.type)).map(merged);
    assert.deepEqual(critical.map((f) => f.type).filter((t, i, all) => all.indexOf(t) === i), [...CRITICAL_EVENTS], frames.map((f) => f.type).join(','));
    const threadIds = [...new Set(critical.map((f) => f.thread_id))];
    assert.equal(threadIds.length, 1, `one thread id on all five: ${threadIds.join(', ')}`);
    return { threadId: String(threadIds[0]), answer: answerText(frames) };
  };

  it('thread_lost (context): a follow-up keeps its thread_id and is answered as a first request; the first request is untouched', async () => {
    await on({ name: 'thread_lost' });
    const state = (await admin(sim.description, 'GET', '/state')).json as { faults: unknown[] };
    assert.deepEqual(state.faults, [{ name: 'thread_lost', mode: 'context' }]);
    const connection = await established();
    const first = await ask(connection, 'Where is order 42?', null);
    assert.equal(first.answer, answerFor('Where is order 42?'));
    const followUp = await ask(connection, 'And when will it arrive?', first.threadId);
    assert.equal(followUp.threadId, first.threadId);
    assert.equal(followUp.answer, 'Golden path OK. The agent processed your request: "And when will it arrive?"');
    // Cleared: the thread's context was kept all along.
    await admin(sim.description, 'DELETE', '/faults/thread_lost');
    const healed = await ask(connection, 'Thanks', first.threadId);
    assert.equal(healed.threadId, first.threadId);
    assert.equal(healed.answer, followUpAnswerFor('Where is order 42?', 'Thanks'));
    connection.ws.close();
  });

  it('thread_lost (thread): a follow-up is answered in a brand-new thread, with a new thread_id; the first request is untouched', async () => {
    await on({ name: 'thread_lost', mode: 'thread' });
    const connection = await established();
    const first = await ask(connection, 'Where is order 42?', null);
    assert.equal(first.answer, answerFor('Where is order 42?'));
    const followUp = await ask(connection, 'And when will it arrive?', first.threadId);
    assert.notEqual(followUp.threadId, first.threadId);
    assert.match(followUp.threadId, /^thread_[0-9a-f-]{36}$/);
    assert.equal(followUp.answer, 'Golden path OK. The agent processed your request: "And when will it arrive?"');
    // Cleared: the new thread is a real one, its first request the lost follow-up; the old thread lives on.
    await admin(sim.description, 'DELETE', '/faults');
    const inNew = await ask(connection, 'Thanks', followUp.threadId);
    assert.equal(inNew.threadId, followUp.threadId);
    assert.equal(inNew.answer, followUpAnswerFor('And when will it arrive?', 'Thanks'));
    const inOld = await ask(connection, 'Thanks', first.threadId);
    assert.equal(inOld.threadId, first.threadId);
    assert.equal(inOld.answer, followUpAnswerFor('Where is order 42?', 'Thanks'));
    connection.ws.close();
  });

  it('heartbeat_flood: N heartbeats, then connection_established', async () => {
    await on({ name: 'heartbeat_flood', count: 5000 });
    const connection = await connectAs(sim.description, tokens);
    await connection.next((f) => f.type === 'connection_established');
    const index = connection.frames.findIndex((f) => f.type === 'connection_established');
    assert.ok(connection.frames.slice(0, index).filter((f) => f.type === 'heartbeat').length >= 5000);
    connection.ws.close();
  });
});

describe('faults switched on at start', () => {
  it('a simulator started with faults and a latency profile reports and applies them', async () => {
    const sim = await startSimulator({
      faults: [{ name: 'missing_event', event: 'agent_thinking' as CriticalEvent }, { name: 'login_rejected' }],
      latency: { login: 0 },
    });
    try {
      const state = (await admin(sim.description, 'GET', '/state')).json as { faults: { name: string }[] };
      assert.deepEqual(state.faults.map((f) => f.name).sort(), ['login_rejected', 'missing_event']);
      const d = sim.description;
      assert.equal((await postJson(`${d.auth}/auth/login`, { email: d.email, password: d.password })).status, 401);
    } finally {
      await sim.stop();
    }
  });
});

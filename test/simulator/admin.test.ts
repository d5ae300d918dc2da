import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { admin, connect, login, merged } from '../helpers/sim-client.js';
import { parseFault, parseFaultSpec, parseLatencySpec } from '../../src/simulator/profile.js';

describe('simulator admin API', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator();
  });
  after(async () => {
    await sim.stop();
  });

  it('refuses calls without the admin token', async () => {
    const missing = await fetch(`${sim.description.adminUrl}/state`);
    assert.equal(missing.status, 401);
    const wrong = await fetch(`${sim.description.adminUrl}/state`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    const body = (await wrong.json()) as { detail: string };
    assert.doesNotMatch(body.detail, new RegExp(sim.description.adminToken));
  });

  const bad: [string, 'POST' | 'PATCH' | 'DELETE', string, unknown, RegExp][] = [
    ['an unknown fault', 'POST', '/faults', { name: 'meteor_strike' }, /unknown fault "meteor_strike"; known: subprotocol_mismatch/],
    ['a fault without a name', 'POST', '/faults', { mode: '403' }, /name/],
    ['a bad fault parameter', 'POST', '/faults', { name: 'missing_event', event: 'agent_exploded' }, /event/],
    ['an unknown fault parameter', 'POST', '/faults', { name: 'agent_error', severity: 'high' }, /severity/],
    ['slow_phase without ms', 'POST', '/faults', { name: 'slow_phase', phase: 'tool' }, /ms/],
    ['a negative latency', 'PATCH', '/latency', { tool: -5 }, /tool/],
    ['an unknown phase', 'PATCH', '/latency', { warp: 5 }, /unknown phase "warp"; known: login, handshake/],
    ['an empty latency patch', 'PATCH', '/latency', {}, /at least one phase/],
    ['disabling an unknown fault', 'DELETE', '/faults/meteor_strike', undefined, /unknown fault "meteor_strike"/],
  ];
  for (const [name, method, path, body, message] of bad) {
    it(`answers ${name} with 400 and a message`, async () => {
      const answer = await admin(sim.description, method, path, body);
      assert.equal(answer.status, 400);
      assert.match((answer.json as { detail: string }).detail, message);
    });
  }

  it('answers malformed JSON with 400', async () => {
    const response = await fetch(`${sim.description.adminUrl}/faults`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.description.adminToken}`, 'content-type': 'application/json' },
      body: '{"name":',
    });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { detail: 'Request body is not valid JSON' });
  });

  it('answers a body without its JSON content type with 415, naming the type to send; a JSON array with what a fault is', async () => {
    const send = (body: string, contentType?: string) =>
      fetch(`${sim.description.adminUrl}/faults`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sim.description.adminToken}`, ...(contentType === undefined ? {} : { 'content-type': contentType }) },
        body,
      });
    const plain = await send('{"name":"agent_error"}', 'text/plain');
    assert.equal(plain.status, 415);
    assert.deepEqual(await plain.json(), { detail: 'send the body as JSON, with Content-Type: application/json (got text/plain)' });
    const form = await send('name=agent_error', 'application/x-www-form-urlencoded');
    assert.equal(form.status, 415);
    const nothing = await send('[]', 'application/json');
    assert.equal(nothing.status, 400);
    assert.match(((await nothing.json()) as { detail: string }).detail, /^a fault is an object/);
    const faults = await admin(sim.description, 'GET', '/state');
    assert.deepEqual((faults.json as { faults: unknown[] }).faults, [], 'nothing was enabled');
  });

  it('sets latency and reports the ground-truth event offsets', async () => {
    const answer = await admin(sim.description, 'PATCH', '/latency', {
      agent_start: 100, thinking: 50, tool_start: 25, tool: 200, completion: 75,
    });
    assert.equal(answer.status, 200);
    const state = (await admin(sim.description, 'GET', '/state')).json as { eventOffsetsMs: Record<string, number> };
    assert.deepEqual(state.eventOffsetsMs, {
      agent_started: 100, agent_thinking: 150, tool_executing: 175, tool_completed: 375, agent_completed: 450,
    });
  });

  it('keeps each agent run\'s ground truth by its run_id (GET /observed-runs), and refuses a since that is not a time', async () => {
    const since = Date.now();
    const tokens = await login(sim.description);
    const opened = await connect(sim.description, { protocols: [`jwt.${Buffer.from(tokens.access_token).toString('base64url')}`] });
    assert.equal(opened.kind, 'open');
    if (opened.kind !== 'open') return;
    const { connection } = opened;
    await connection.next((f) => f.type === 'connection_established');
    connection.send({ type: 'start_agent', payload: { user_request: 'observed', thread_id: null, context: { source: 'message_input' } } });
    const started = merged(await connection.next((f) => f.type === 'agent_started'));
    await connection.next((f) => f.type === 'agent_completed');
    connection.ws.close();
    const answer = await admin(sim.description, 'GET', `/observed-runs?since=${since}`);
    assert.equal(answer.status, 200);
    const runs = (answer.json as { runs: { runId: string; arrivedAt: number; connect?: number; events: Record<string, number> }[] }).runs;
    const run = runs.find((r) => r.runId === started.run_id);
    assert.ok(run !== undefined, `the run ${String(started.run_id)} is in the log`);
    assert.ok(run.arrivedAt >= since);
    assert.ok(typeof run.connect === 'number' && run.connect >= 0, 'its socket\'s handshake time');
    const offsets = (await admin(sim.description, 'GET', '/state')).json as { eventOffsetsMs: Record<string, number> };
    for (const [event, offset] of Object.entries(offsets.eventOffsetsMs)) assert.ok((run.events[event] ?? -1) >= offset - 1, `${event} left at ${String(run.events[event])} ms, its delay ${offset} ms`);
    const later = await admin(sim.description, 'GET', `/observed-runs?since=${Date.now() + 60_000}`);
    assert.deepEqual(later.json, { runs: [] });
    for (const wrong of ['', '1700000000', '1700000000000&since=1700000000001']) assert.equal((await admin(sim.description, 'GET', `/observed-runs?since=${wrong}`)).status, 400, `since=${wrong}`);
    const bad = await admin(sim.description, 'GET', '/observed-runs?since=yesterday');
    assert.equal(bad.status, 400);
    assert.match((bad.json as { detail: string }).detail, /since/);
  });

  it('switches the login page between the password form and OAuth only', async () => {
    const html = async () => (await fetch(`${sim.description.app}/login`)).text();
    assert.match(await html(), /Login with Custom Credentials/);
    assert.equal((await admin(sim.description, 'PATCH', '/settings', { loginForm: false })).status, 200);
    const oauth = await html();
    assert.match(oauth, /Access Beta/);
    assert.doesNotMatch(oauth, /placeholder="Password"/);
    assert.equal((await admin(sim.description, 'PATCH', '/settings', { loginForm: 'yes' })).status, 400);
    await admin(sim.description, 'PATCH', '/settings', { loginForm: true });
  });

  it('enables, lists and disables a fault', async () => {
    await admin(sim.description, 'POST', '/faults', { name: 'close_1011' });
    let state = (await admin(sim.description, 'GET', '/state')).json as { faults: Record<string, unknown>[] };
    assert.deepEqual(state.faults, [{ name: 'close_1011', after: 'agent_thinking' }]);
    const off = await admin(sim.description, 'DELETE', '/faults/close_1011');
    assert.equal((off.json as { disabled: boolean }).disabled, true);
    state = (await admin(sim.description, 'GET', '/state')).json as { faults: Record<string, unknown>[] };
    assert.deepEqual(state.faults, []);
  });
});

describe('fault and latency specs (flags)', () => {
  it('parses name and name:key=value forms', () => {
    assert.deepEqual(parseFaultSpec('agent_error'), { ok: true, value: { name: 'agent_error' } });
    assert.deepEqual(parseFaultSpec('slow_phase:phase=tool,ms=250'), { ok: true, value: { name: 'slow_phase', phase: 'tool', ms: 250 } });
    assert.deepEqual(parseFaultSpec('missing_event:event=agent_started'), { ok: true, value: { name: 'missing_event', event: 'agent_started' } });
  });
  it('names what is wrong in a bad spec', () => {
    const bad = parseFaultSpec('slow_phase:phase');
    assert.deepEqual(bad, { ok: false, error: 'fault "slow_phase:phase": "phase" is not key=value' });
    const unknown = parseFaultSpec('nope');
    assert.equal(unknown.ok, false);
    assert.match(unknown.error, /^fault "nope": unknown fault "nope"/);
  });
  it('the new faults take their parameters strictly, and say what a bad one must be', () => {
    assert.deepEqual(parseFaultSpec('long_stream:thinking=300'), { ok: true, value: { name: 'long_stream', thinking: 300 } });
    assert.deepEqual(parseFaultSpec('heartbeat_flood'), { ok: true, value: { name: 'heartbeat_flood', count: 100_000 } });
    assert.deepEqual(parseFaultSpec('close_1011:reconnect=true'), { ok: true, value: { name: 'close_1011', after: 'agent_thinking', reconnect: true } });
    assert.deepEqual(parseFaultSpec('login_stall:mode=drip'), { ok: true, value: { name: 'login_stall', mode: 'drip' } });
    assert.deepEqual(parseFaultSpec('thread_lost'), { ok: true, value: { name: 'thread_lost', mode: 'context' } });
    assert.deepEqual(parseFaultSpec('thread_lost:mode=thread'), { ok: true, value: { name: 'thread_lost', mode: 'thread' } });
    for (const [spec, error] of [
      ['long_stream:thinking=abc', /thinking: must be a whole number/],
      ['long_stream:thinking=', /thinking: must be a whole number/],
      ['long_stream:thinking=0x10', /thinking: must be a whole number/],
      ['long_stream:thinking=0', /thinking: must be at least 1/],
      ['slow_phase:phase=login', /ms: required: a whole number from 1 to 600000/],
      ['slow_phase:phase=login,ms=0', /ms: must be at least 1$/],
      ['slow_phase:phase=login,ms=1.5', /ms: must be a whole number$/],
      ['heartbeat_flood:', /nothing after ":"/],
      [':', /no fault name/],
      [':count=5', /no fault name/],
      ['heartbeat_flood:count=2000000', /count: must be at most 1000000/],
      ['heartbeat_flood:count=-1', /count: must be a whole number/],
      ['close_1011:reconnect=maybe', /reconnect: must be true or false/],
      ['close_1011:reconnect=yes', /reconnect: must be true or false/],
      ['long_stream:thinking=5,thinking=6', /"thinking" is given twice/],
      ['login_stall:mode=slow', /mode: /],
      ['thread_lost:mode=session', /^fault "thread_lost:mode=session": mode: .*"context"\|"thread"/],
      ['thread_lost:context=true', /context/],
    ] as const) {
      const parsed = parseFaultSpec(spec);
      assert.equal(parsed.ok, false, spec);
      if (!parsed.ok) assert.match(parsed.error, error, spec);
    }
  });

  it('parses latency specs and refuses bad ones', () => {
    assert.deepEqual(parseLatencySpec('tool=300,render=0'), { ok: true, value: { tool: 300, render: 0 } });
    const bad = parseLatencySpec('tool=fast');
    assert.equal(bad.ok, false);
    assert.match(bad.error, /^latency "tool=fast": tool: /);
    // No coercion: an empty value or a space is not 0.
    for (const spec of ['tool=', 'tool= 5', 'tool=-3']) assert.deepEqual(parseLatencySpec(spec), { ok: false, error: `latency "${spec}": tool: must be a whole number` });
  });

  it('a fault body that is not an object, or has no name, says what a fault is and lists the names', () => {
    for (const body of [[], null, 'close_1011', 42]) {
      const parsed = parseFault(body);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.error, /^a fault is an object \{"name": …, and its options\}; known names: subprotocol_mismatch, /);
    }
    const nameless = parseFault({ mode: '403' });
    assert.equal(nameless.ok, false);
    if (!nameless.ok) assert.match(nameless.error, /^name: required; known: subprotocol_mismatch, /);
  });
});

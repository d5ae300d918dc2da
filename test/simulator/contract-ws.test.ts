import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { protocolForToken } from '../../src/simulator/ws-negotiation.js';
import { ANSWER_SHAPES, answerFor } from '../../src/simulator/agent-run.js';
import {
  CRITICAL,
  answerText,
  connect,
  connectAs,
  login,
  merged,
  startAgent,
  type Connection,
  type Tokens,
} from '../helpers/sim-client.js';

const FAST = { handshake: 0, agent_start: 5, thinking: 5, tool_start: 5, tool: 5, completion: 5, login: 0 };

describe('WebSocket: offering the token and negotiation (contract §4)', () => {
  let sim: Simulator;
  let tokens: Tokens;
  before(async () => {
    sim = await startSimulator({ latency: FAST });
    tokens = await login(sim.description);
  });
  after(async () => {
    await sim.stop();
  });

  const established = async (connection: Connection) => {
    const frame = await connection.next((f) => f.type === 'connection_established');
    connection.ws.close();
    return merged(frame);
  };

  it('jwt.<base64url> offer: echoed byte for byte, connection_established for the logged-in user', async () => {
    const offer = protocolForToken(tokens.access_token);
    const outcome = await connect(sim.description, { protocols: [offer] });
    assert.equal(outcome.kind, 'open');
    assert.equal(outcome.connection.protocol, offer);
    const event = await established(outcome.connection);
    assert.equal(event.user_id, tokens.user.id);
    assert.equal(typeof event.connection_id, 'string');
    assert.deepEqual(event.golden_path_events, [...CRITICAL]);
    assert.equal(typeof event.timestamp, 'string');
  });

  for (const prefix of ['jwt-auth.', 'bearer.']) {
    it(`accepts the ${prefix} prefix and echoes it`, async () => {
      const offer = `${prefix}${Buffer.from(tokens.access_token).toString('base64url')}`;
      const outcome = await connect(sim.description, { protocols: ['unrelated', offer] });
      assert.equal(outcome.kind, 'open');
      assert.equal(outcome.connection.protocol, offer);
      assert.equal((await established(outcome.connection)).user_id, tokens.user.id);
    });
  }

  it('accepts Authorization: Bearer with no subprotocol (rule 4: none echoed)', async () => {
    const outcome = await connect(sim.description, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(outcome.kind, 'open');
    assert.equal(outcome.connection.protocol, '');
    assert.equal((await established(outcome.connection)).user_id, tokens.user.id);
  });

  it('accepts ?token= in the query', async () => {
    const outcome = await connect(sim.description, { query: `?token=${tokens.access_token}` });
    assert.equal(outcome.kind, 'open');
    assert.equal((await established(outcome.connection)).user_id, tokens.user.id);
  });

  it('rule 2: a bare supported name is echoed, with the token in the header', async () => {
    const outcome = await connect(sim.description, {
      protocols: ['graphql-ws', 'e2e-testing'],
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(outcome.kind, 'open');
    assert.equal(outcome.connection.protocol, 'e2e-testing');
    await established(outcome.connection);
  });

  it('rule 3: offered values none of which is supported: handshake refused with 403', async () => {
    const outcome = await connect(sim.description, { protocols: ['graphql-ws', 'mqtt'] });
    assert.equal(outcome.kind, 'unexpected-response');
    {
      assert.equal(outcome.status, 403);
      assert.match(outcome.body, /No supported subprotocols/);
    }
  });

  it('an invalid token: AUTH_FAILED, then close 1008 "Authentication failed"', async () => {
    const forged = tokens.access_token.slice(0, -4) + 'AAAA';
    const outcome = await connect(sim.description, { protocols: [protocolForToken(forged)] });
    assert.equal(outcome.kind, 'open');
    const closed = await outcome.connection.closed;
    assert.deepEqual(closed, { code: 1008, reason: 'Authentication failed' });
    assert.deepEqual(outcome.connection.frames.map((f) => [f.type, f.error_code]), [['error_message', 'AUTH_FAILED']]);
    assert.ok(!outcome.connection.frames.some((f) => f.type === 'connection_established'));
  });

  it('no token at all: AUTH_FAILED and 1008, no invented user', async () => {
    const outcome = await connect(sim.description);
    assert.equal(outcome.kind, 'open');
    assert.equal((await outcome.connection.closed).code, 1008);
    assert.ok(!outcome.connection.frames.some((f) => f.type === 'connection_established'));
  });

  it('an upgrade request with a URL that does not parse is a 400, and the simulator lives on', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${sim.description.api}//`, { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
      req.on('response', (res) => {
        resolve(res.statusCode ?? 0);
      });
      req.on('upgrade', () => {
        reject(new Error('upgraded'));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 400);
    assert.equal((await fetch(`${sim.description.api}/health`)).status, 200);
  });

  it('a path other than /ws is a 404', async () => {
    const outcome = await connect({ ...sim.description, ws: `${sim.description.ws}/elsewhere` });
    assert.equal(outcome.kind, 'unexpected-response');
    assert.equal(outcome.status, 404);
  });
});

describe('WebSocket: messages and the agent run (contract §5)', () => {
  let sim: Simulator;
  let tokens: Tokens;
  before(async () => {
    sim = await startSimulator({ latency: FAST, heartbeatMs: 50 });
    tokens = await login(sim.description);
  });
  after(async () => {
    await sim.stop();
  });

  const runOnce = async (request: string) => {
    const connection = await connectAs(sim.description, tokens);
    await connection.next((f) => f.type === 'connection_established');
    const from = connection.frames.length;
    startAgent(connection, request);
    await connection.next((f) => f.type === 'agent_completed');
    connection.ws.close();
    return connection.frames.slice(from);
  };

  it('ping is answered with pong; heartbeats arrive unasked', async () => {
    const connection = await connectAs(sim.description, tokens);
    connection.send({ type: 'ping' });
    await connection.next((f) => f.type === 'pong');
    await connection.next((f) => f.type === 'heartbeat');
    connection.ws.close();
  });

  it('start_agent streams the five critical events in order for one run id, thinking repeated', async () => {
    const frames = (await runOnce('What is the status of order 42?')).filter((f) => f.type !== 'heartbeat');
    const critical = frames.filter((f) => (CRITICAL as readonly string[]).includes(f.type));
    const firsts = CRITICAL.map((type) => critical.findIndex((f) => f.type === type));
    assert.ok(firsts.every((index) => index >= 0), `all five seen: ${critical.map((f) => f.type).join(',')}`);
    assert.deepEqual([...firsts].sort((a, b) => a - b), firsts, 'first arrivals in contract order');
    assert.ok(critical.filter((f) => f.type === 'agent_thinking').length >= 2, 'agent_thinking repeats');
    const runIds = new Set(critical.map((f) => merged(f).run_id));
    assert.equal(runIds.size, 1);
    const started = merged(critical[0] ?? { type: '' });
    assert.equal(started.agent_name, 'supervisor_agent');
    assert.equal(typeof started.thread_id, 'string');
    const executing = merged(critical.find((f) => f.type === 'tool_executing') ?? { type: '' });
    const completed = merged(critical.find((f) => f.type === 'tool_completed') ?? { type: '' });
    assert.equal(executing.tool_name, completed.tool_name);
    assert.equal(typeof completed.execution_time_ms, 'number');
    assert.equal(answerText(frames), answerFor('What is the status of order 42?'));
  });

  it('envelopes vary between data, payload and root (critical: true) across a run', async () => {
    const frames = await runOnce('envelope check');
    const shapes = new Set(
      frames
        .filter((f) => (CRITICAL as readonly string[]).includes(f.type))
        .map((f) => ('data' in f ? 'data' : 'payload' in f ? 'payload' : f.critical === true ? 'root' : 'unknown')),
    );
    assert.deepEqual([...shapes].sort(), ['data', 'payload', 'root']);
  });

  it('the answer moves between result, result.content, final_response, response and agent_response', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < ANSWER_SHAPES.length; i++) {
      const request = `shape probe ${i}`;
      const frames = await runOnce(request);
      assert.equal(answerText(frames), answerFor(request), `run ${i} carries the answer somewhere the contract allows`);
      const completed = merged(frames.find((f) => f.type === 'agent_completed') ?? { type: '' });
      const response = frames.some((f) => f.type === 'agent_response');
      seen.add(
        response
          ? 'agent_response'
          : typeof completed.result === 'string'
            ? 'result_string'
            : typeof completed.final_response === 'string'
              ? 'final_response'
              : typeof completed.response === 'string'
                ? 'response'
                : 'result_object',
      );
    }
    assert.deepEqual([...seen].sort(), [...ANSWER_SHAPES].sort());
  });

  it('user_message runs the agent in the given thread', async () => {
    const connection = await connectAs(sim.description, tokens);
    connection.send({ type: 'user_message', payload: { content: 'follow-up', thread_id: 'thread_given' } });
    const done = merged(await connection.next((f) => f.type === 'agent_completed'));
    assert.equal(done.thread_id, 'thread_given');
    connection.ws.close();
  });

  const badFrames: [string, string | Buffer, string][] = [
    ['malformed JSON', '{"type": "start_agent",', 'INVALID_JSON'],
    ['a JSON array', '[1,2]', 'INVALID_MESSAGE'],
    ['an object without type', '{"payload":{}}', 'INVALID_MESSAGE'],
    ['an unknown type', '{"type":"launch_missiles"}', 'UNKNOWN_MESSAGE_TYPE'],
    ['start_agent without user_request', '{"type":"start_agent","payload":{}}', 'INVALID_REQUEST'],
    ['a binary frame', Buffer.from([1, 2, 3]), 'INVALID_MESSAGE'],
  ];
  for (const [name, frame, code] of badFrames) {
    it(`${name} gets error_message ${code}, and the connection lives on`, async () => {
      const connection = await connectAs(sim.description, tokens);
      await connection.next((f) => f.type === 'connection_established');
      connection.ws.send(frame);
      const error = await connection.next((f) => f.type === 'error_message');
      assert.equal(error.error_code, code);
      assert.equal(typeof error.error_message, 'string');
      connection.send({ type: 'ping' });
      await connection.next((f) => f.type === 'pong');
      connection.ws.close();
    });
  }
});

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { protocolForToken } from '../../src/simulator/ws-negotiation.js';
import { ANSWER_SHAPES, answerFor, followUpAnswerFor } from '../../src/simulator/agent-run.js';
import {
  CRITICAL,
  answerText,
  connect,
  connectAs,
  login,
  merged,
  postJson,
  startAgent,
  type Connection,
  type Frame,
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

describe('WebSocket: threads, a follow-up keeps its thread and its context (contract §5, §8)', () => {
  let sim: Simulator;
  let tokens: Tokens;
  /** A second user of the same platform, through the bypass login (user.id `e2e-<local part>`). */
  let other: Tokens;
  before(async () => {
    sim = await startSimulator({ latency: FAST });
    tokens = await login(sim.description);
    const bypass = await postJson(`${sim.description.auth}/auth/e2e/test-auth`, { email: 'someone-else@gpmon.test' }, { 'X-E2E-Bypass-Key': sim.description.bypassKey });
    assert.equal(bypass.status, 200, JSON.stringify(bypass.json));
    other = bypass.json as Tokens;
  });
  after(async () => {
    await sim.stop();
  });

  const open = async (as: Tokens): Promise<Connection> => {
    const connection = await connectAs(sim.description, as);
    const welcome = merged(await connection.next((f) => f.type === 'connection_established'));
    assert.equal(welcome.user_id, as.user.id);
    return connection;
  };
  /** Sends a frame; resolves with the frames after it (no heartbeats), up to the first agent_completed or error_message. */
  const exchange = async (connection: Connection, frame: unknown): Promise<Frame[]> => {
    const from = connection.frames.length;
    connection.send(frame);
    await connection.next((f) => connection.frames.indexOf(f) >= from && (f.type === 'agent_completed' || f.type === 'error_message'));
    return connection.frames.slice(from).filter((f) => f.type !== 'heartbeat');
  };
  const newThread = (request: string) => ({ type: 'start_agent', payload: { user_request: request, thread_id: null, context: { source: 'message_input' } } });
  const followUp = (content: string, threadId: string) => ({ type: 'user_message', payload: { content, thread_id: threadId } });
  /** The one run in these frames: its thread id, carried alike by all five critical events (each seen), and its answer. */
  const oneRun = (frames: readonly Frame[]) => {
    const critical = frames.filter((f) => (CRITICAL as readonly string[]).includes(f.type)).map(merged);
    assert.deepEqual([...new Set(critical.map((f) => f.type))], [...CRITICAL], 'the five critical events, in order');
    const runIds = new Set(critical.map((f) => f.run_id));
    assert.equal(runIds.size, 1, 'one run');
    const threadIds = new Set(critical.map((f) => f.thread_id));
    assert.equal(threadIds.size, 1, `one thread id on all five: ${[...threadIds].join(', ')}`);
    const threadId = critical[0]?.thread_id;
    assert.equal(typeof threadId, 'string');
    return { threadId: threadId as string, runId: critical[0]?.run_id, answer: answerText(frames) };
  };
  /** An error_message, then no run: a run asked for next on the socket is the only one that streams. */
  const refusedWithoutRun = async (connection: Connection, frame: unknown, code: string, message: string) => {
    const from = connection.frames.length;
    const frames = await exchange(connection, frame);
    assert.deepEqual(
      frames.map((f) => [f.type, f.error_code, f.error_message]),
      [['error_message', code, message]],
    );
    const probe = await exchange(connection, newThread('probe after the refusal'));
    assert.equal(oneRun(probe).answer, answerFor('probe after the refusal'));
    // Nothing else came in between: the refused frame started no run.
    assert.deepEqual(connection.frames.slice(from).filter((f) => f.type !== 'heartbeat'), [...frames, ...probe]);
  };

  it('user_message in a thread: the same thread_id on all five critical events, and an answer that names the first request', async () => {
    const connection = await open(tokens);
    const first = oneRun(await exchange(connection, newThread('Where is order 42?')));
    assert.match(first.threadId, /^thread_[0-9a-f-]{36}$/);
    assert.equal(first.answer, 'Golden path OK. The agent processed your request: "Where is order 42?"');
    const second = oneRun(await exchange(connection, followUp('And when will it arrive?', first.threadId)));
    assert.equal(second.threadId, first.threadId);
    assert.notEqual(second.runId, first.runId);
    assert.equal(second.answer, 'Golden path OK. Following up on "Where is order 42?": the agent processed your request: "And when will it arrive?"');
    assert.equal(second.answer, followUpAnswerFor('Where is order 42?', 'And when will it arrive?'));
    connection.ws.close();
    // The thread outlives the socket: the same user follows up on a new one, still in the context of the first request.
    const later = await open(tokens);
    const third = oneRun(await exchange(later, followUp('Thanks', first.threadId)));
    assert.equal(third.threadId, first.threadId);
    assert.equal(third.answer, 'Golden path OK. Following up on "Where is order 42?": the agent processed your request: "Thanks"');
    later.ws.close();
  });

  it('start_agent naming a thread of the user is a follow-up too; thread_id null always starts a new thread', async () => {
    const connection = await open(tokens);
    const first = oneRun(await exchange(connection, newThread('first question')));
    const again = oneRun(await exchange(connection, { type: 'start_agent', payload: { user_request: 'second question', thread_id: first.threadId, context: { source: 'message_input' } } }));
    assert.equal(again.threadId, first.threadId);
    assert.equal(again.answer, 'Golden path OK. Following up on "first question": the agent processed your request: "second question"');
    const fresh = oneRun(await exchange(connection, newThread('first question')));
    assert.notEqual(fresh.threadId, first.threadId);
    assert.equal(fresh.answer, answerFor('first question'));
    connection.ws.close();
  });

  it('a follow-up quotes the first request and the follow-up as answerFor does: 200 characters, then an ellipsis', async () => {
    const connection = await open(tokens);
    const long = 'a'.repeat(150) + 'b'.repeat(150);
    const first = oneRun(await exchange(connection, newThread(long)));
    const second = oneRun(await exchange(connection, followUp('c'.repeat(201), first.threadId)));
    assert.equal(second.answer, `Golden path OK. Following up on "${'a'.repeat(150)}${'b'.repeat(50)}…": the agent processed your request: "${'c'.repeat(200)}…"`);
    assert.equal(second.answer, followUpAnswerFor(long, 'c'.repeat(201)));
    connection.ws.close();
  });

  it('a follow-up naming a thread the platform does not know: THREAD_NOT_FOUND naming it, and no run', async () => {
    const connection = await open(tokens);
    await refusedWithoutRun(connection, followUp('hello?', 'thread_nope'), 'THREAD_NOT_FOUND', 'Thread "thread_nope" not found');
    const start = { type: 'start_agent', payload: { user_request: 'hello?', thread_id: 'thread_nope', context: { source: 'message_input' } } };
    await refusedWithoutRun(connection, start, 'THREAD_NOT_FOUND', 'Thread "thread_nope" not found');
    connection.ws.close();
  });

  it("a follow-up in another user's thread: THREAD_NOT_FOUND, no run, and the owner's thread is untouched", async () => {
    assert.equal(other.user.id, 'e2e-someone-else');
    assert.notEqual(other.user.id, tokens.user.id);
    const owner = await open(tokens);
    const first = oneRun(await exchange(owner, newThread('my private question')));
    const intruder = await open(other);
    const notFound = `Thread "${first.threadId}" not found`;
    await refusedWithoutRun(intruder, followUp('tell me too', first.threadId), 'THREAD_NOT_FOUND', notFound);
    const start = { type: 'start_agent', payload: { user_request: 'tell me too', thread_id: first.threadId, context: { source: 'message_input' } } };
    await refusedWithoutRun(intruder, start, 'THREAD_NOT_FOUND', notFound);
    intruder.ws.close();
    const mine = oneRun(await exchange(owner, followUp('still mine?', first.threadId)));
    assert.equal(mine.threadId, first.threadId);
    assert.equal(mine.answer, followUpAnswerFor('my private question', 'still mine?'));
    owner.ws.close();
  });

  it('user_message without a thread_id (absent or null): INVALID_REQUEST, and no run', async () => {
    const connection = await open(tokens);
    const message = 'user_message needs payload.thread_id (a follow-up names its thread)';
    await refusedWithoutRun(connection, { type: 'user_message', payload: { content: 'orphan' } }, 'INVALID_REQUEST', message);
    await refusedWithoutRun(connection, { type: 'user_message', payload: { content: 'orphan', thread_id: null } }, 'INVALID_REQUEST', message);
    connection.ws.close();
  });
});

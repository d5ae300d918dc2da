import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CRITICAL_EVENTS } from './profile.js';
import type { SimulatorState } from './state.js';
import type { SimUser, TokenIssuer } from './tokens.js';
import { bearerToken, delay } from './http-common.js';
import { negotiate, parseOffer, tokenFromProtocol } from './ws-negotiation.js';
import { inAgentQueue, runAgent, type AgentRunIo } from './agent-run.js';

export interface WsDeps {
  readonly state: SimulatorState;
  readonly issuer: TokenIssuer;
  readonly heartbeatMs: number;
  /** Numbers agent runs across connections, so envelope shapes rotate run by run. */
  readonly nextSequence: () => number;
}

export interface WsEndpoint {
  readonly connections: () => number;
  readonly close: () => void;
}

interface Admission {
  /** When the upgrade request arrived (performance.now()). */
  readonly arrivedAt: number;
  readonly token: string | undefined;
  /** Offered values none of which is supported: accept, then close 1003. */
  readonly refuseAfterAccept: boolean;
}

/** The backend's WebSocket at `/ws` (contract §4 and §5), on the api server. */
export function attachWebSocket(server: Server, deps: WsDeps): WsEndpoint {
  // Every authenticated socket and its user: where cross_delivery finds another user's socket.
  const live: LiveSockets = new Map();
  const answeredProtocol = new WeakMap<IncomingMessage, string | undefined>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    // ws echoes whatever this returns; the faithful choice (or the fault) is made before.
    handleProtocols: (_offered, req) => answeredProtocol.get(req) ?? false,
  });

  // Upgrades held open without an answer (fault upgrade_unanswered): destroyed when the client gives up, or at close.
  const unanswered = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (deps.state.fault('upgrade_unanswered') !== undefined) {
      unanswered.add(socket);
      socket.once('close', () => unanswered.delete(socket));
      return;
    }
    const arrivedAt = performance.now();
    admit(req, socket, arrivedAt)
      .then((admission) => {
        if (admission === null) return;
        wss.handleUpgrade(req, socket, head, (ws) => {
          serveConnection(ws, admission, deps, live);
        });
      })
      .catch(() => socket.destroy());
  });

  async function admit(req: IncomingMessage, socket: Duplex, arrivedAt: number): Promise<Admission | null> {
    const { state } = deps;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://simulator.invalid');
    } catch {
      return refuse(socket, 400, 'Bad request URL');
    }
    if (url.pathname !== '/ws') return refuse(socket, 404, 'Not Found');
    const offer = parseOffer(req.headers['sec-websocket-protocol']);
    if (!offer.ok) return refuse(socket, 400, `Invalid Sec-WebSocket-Protocol header: ${offer.error}`);

    const refusedFault = state.fault('subprotocol_refused');
    let negotiation = negotiate(offer.protocols);
    if (refusedFault !== undefined && offer.protocols.length > 0) negotiation = { kind: 'refuse', offered: offer.protocols };
    if (negotiation.kind === 'refuse' && (refusedFault?.mode ?? '403') === '403') {
      return refuse(socket, 403, 'No supported subprotocols');
    }
    if (state.fault('ws_auth_rejected')?.mode === '401') return refuse(socket, 401, 'Authentication failed');

    const selected = negotiation.kind === 'select' ? negotiation.protocol : undefined;
    const token =
      (selected === undefined ? undefined : tokenFromProtocol(selected)) ??
      bearerToken(req.headers.authorization) ??
      url.searchParams.get('token') ??
      undefined;
    // The staging regression: the server answers a bare name the client never offered.
    const answered = state.fault('subprotocol_mismatch') !== undefined && selected?.startsWith('jwt.') ? 'jwt-auth' : selected;
    answeredProtocol.set(req, answered);
    await delay(state.delay('handshake'));
    return { arrivedAt, token, refuseAfterAccept: negotiation.kind === 'refuse' };
  }

  return {
    connections: () => wss.clients.size,
    close: () => {
      for (const socket of unanswered) socket.destroy();
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}

/** Answers the upgrade request with a plain HTTP error; resolves to no admission. */
function refuse(socket: Duplex, status: number, message: string): null {
  const body = JSON.stringify({ detail: message });
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  } else {
    socket.destroy();
  }
  return null;
}

type LiveSockets = Map<WebSocket, { readonly user: SimUser; readonly send: (frame: Record<string, unknown>) => void }>;

function serveConnection(ws: WebSocket, admission: Admission, deps: WsDeps, live: LiveSockets): void {
  const { state } = deps;
  const lifetime = new AbortController();
  const send = (frame: Record<string, unknown>): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const close = (code: number, reason: string): void => {
    lifetime.abort();
    if (ws.readyState === ws.OPEN) ws.close(code, reason);
  };
  ws.on('error', () => {
    lifetime.abort();
  });
  ws.on('close', () => {
    lifetime.abort();
    clearInterval(heartbeat);
    live.delete(ws);
  });
  const heartbeat = setInterval(() => {
    send({ type: 'heartbeat', timestamp: new Date().toISOString() });
  }, deps.heartbeatMs);
  heartbeat.unref();

  if (admission.refuseAfterAccept) {
    close(1003, 'No supported subprotocols');
    return;
  }

  /** This socket's handshake time, once its welcome is sent. */
  let connectMs: number | undefined;
  // Frames may arrive while the token is checked: handle them once the user is known.
  const ready = authenticate(admission.token, deps).then((user) => {
    if (user === undefined) {
      send({ type: 'error_message', error_code: 'AUTH_FAILED', error_message: 'Authentication failed: invalid or missing token' });
      close(1008, 'Authentication failed');
      return undefined;
    }
    // The backend's check after the accept hangs (a slow session store): the socket is open, no welcome ever comes.
    if (deps.state.fault('welcome_stall') !== undefined) return undefined;
    const flood = deps.state.fault('heartbeat_flood');
    for (let n = 0; n < (flood?.count ?? 0) && ws.readyState === ws.OPEN; n++) send({ type: 'heartbeat', timestamp: new Date().toISOString() });
    send({
      type: 'connection_established',
      data: { user_id: user.id, connection_id: `conn_${randomUUID()}`, golden_path_events: [...CRITICAL_EVENTS] },
      timestamp: new Date().toISOString(),
    });
    connectMs = performance.now() - admission.arrivedAt;
    state.observed.connect = connectMs;
    if (ws.readyState === ws.OPEN) live.set(ws, { user, send });
    return user;
  });

  // cross_delivery: the frame also goes to one socket of another user, as a broadcast keyed on the wrong id would send it.
  const crossDeliver = (frame: Record<string, unknown>, user: SimUser): void => {
    for (const [other, entry] of live) {
      if (other !== ws && entry.user.id !== user.id) {
        entry.send(frame);
        return;
      }
    }
  };
  ws.on('message', (raw: RawData, isBinary: boolean) => {
    void ready.then((user) => {
      if (user === undefined || lifetime.signal.aborted) return;
      handleFrame(raw, isBinary, user, { send, close, signal: lifetime.signal, crossDeliver: (frame) => { crossDeliver(frame, user); }, connectMs: () => connectMs }, deps);
    });
  });
}

async function authenticate(token: string | undefined, deps: WsDeps): Promise<SimUser | undefined> {
  const { state } = deps;
  if (state.fault('ws_auth_rejected') !== undefined) return undefined;
  // Staging has been seen with auth switched off on the socket: every connection,
  // with a token or without, gets a user invented for it.
  if (state.fault('permissive_auth') !== undefined) {
    return { id: `anon_${randomUUID().slice(0, 8)}`, email: 'anonymous@staging.invalid' };
  }
  const verified = token === undefined ? undefined : await deps.issuer.verifyAccess(token);
  if (verified?.ok !== true) return undefined;
  // refreshed_token_refused: the socket's check wants a permission the refresh path never puts in a token.
  if (verified.refreshed && state.fault('refreshed_token_refused') !== undefined) return undefined;
  return verified.user;
}

function errorFrame(code: string, message: string): Record<string, unknown> {
  return { type: 'error_message', error_code: code, error_message: message };
}

function handleFrame(raw: RawData, isBinary: boolean, user: SimUser, io: AgentRunIo, deps: WsDeps): void {
  const { state } = deps;
  if (isBinary) {
    io.send(errorFrame('INVALID_MESSAGE', 'Binary frames are not supported; send JSON text'));
    return;
  }
  let message: unknown;
  try {
    message = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : Buffer.concat(Array.isArray(raw) ? raw : [Buffer.from(raw)]).toString('utf8'));
  } catch {
    io.send(errorFrame('INVALID_JSON', 'Frame is not valid JSON'));
    return;
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    io.send(errorFrame('INVALID_MESSAGE', 'A frame must be a JSON object with a "type"'));
    return;
  }
  const { type, payload } = message as { type?: unknown; payload?: unknown };
  if (typeof type !== 'string') {
    io.send(errorFrame('INVALID_MESSAGE', 'A frame must have a string "type"'));
    return;
  }
  const fields = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
  // A string names a thread (a follow-up); null or absent asks for a new one.
  const threadId = typeof fields.thread_id === 'string' ? fields.thread_id : null;
  switch (type) {
    case 'ping':
      io.send({ type: 'pong', timestamp: new Date().toISOString() });
      return;
    case 'start_agent':
    case 'user_message': {
      const text = type === 'start_agent' ? fields.user_request : fields.content;
      const field = type === 'start_agent' ? 'payload.user_request' : 'payload.content';
      if (typeof text !== 'string' || text.trim() === '') {
        io.send(errorFrame('INVALID_REQUEST', `${type} needs a non-empty ${field}`));
        return;
      }
      if (type === 'user_message' && threadId === null) {
        io.send(errorFrame('INVALID_REQUEST', 'user_message needs payload.thread_id (a follow-up names its thread)'));
        return;
      }
      const thread = threadFor(state, user, text, threadId);
      if (!thread.ok) {
        io.send(errorFrame('THREAD_NOT_FOUND', thread.error));
        return;
      }
      void inAgentQueue(state, () => runAgent(state, { request: text, ...thread.run, sequence: deps.nextSequence() }, io));
      return;
    }
    default:
      io.send(errorFrame('UNKNOWN_MESSAGE_TYPE', `Unknown message type "${type.slice(0, 64)}"`));
  }
}

/**
 * The thread a request runs in (contract §8, "threads"). No thread id: a new
 * thread of this user, the request its first. A thread id: a follow-up, in
 * that thread if this user owns it, answered with the thread's first request
 * as context; an unknown thread and another user's are the same
 * THREAD_NOT_FOUND (the answer does not tell one from the other). The fault
 * thread_lost drops the context of a follow-up (`context`: same thread, answered
 * as a first request), or the thread itself (`thread`: a new thread).
 */
function threadFor(
  state: SimulatorState,
  user: SimUser,
  request: string,
  threadId: string | null,
): { ok: true; run: { threadId: string; firstRequest?: string } } | { ok: false; error: string } {
  if (threadId === null) return { ok: true, run: { threadId: state.threads.create(user.id, request).id } };
  const thread = state.threads.find(threadId, user.id);
  if (thread === undefined) {
    const named = threadId.length > 128 ? `${threadId.slice(0, 128)}…` : threadId;
    return { ok: false, error: `Thread "${named}" not found` };
  }
  switch (state.fault('thread_lost')?.mode) {
    case undefined:
      return { ok: true, run: { threadId: thread.id, firstRequest: thread.firstRequest } };
    case 'context':
      return { ok: true, run: { threadId: thread.id } };
    case 'thread':
      return { ok: true, run: { threadId: state.threads.create(user.id, request).id } };
  }
}

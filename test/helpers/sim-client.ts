import { callJson } from '../../src/kit/http.js';
import WebSocket from 'ws';
import type { SimulatorDescription } from '../../src/simulator/simulator.js';
import { protocolForToken } from '../../src/simulator/ws-negotiation.js';

/** A plain client of the simulated platform, written from the contract, for the contract tests. */

export interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  user: { id: string; email: string };
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown), headers: response.headers };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

export async function login(sim: SimulatorDescription): Promise<Tokens> {
  const { status, json } = await postJson(`${sim.auth}/auth/login`, { email: sim.email, password: sim.password });
  if (status !== 200) throw new Error(`login answered ${status}: ${JSON.stringify(json)}`);
  return json as Tokens;
}

export async function admin(
  sim: SimulatorDescription,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  // A TLS simulator's admin API is https, trusted through its CA file, as the monitor trusts it.
  const answer = await callJson(`${sim.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${sim.adminToken}` },
    ...(body === undefined ? {} : { body }),
    timeoutMs: 30_000,
    caFile: sim.caFile,
  });
  return { status: answer.status, json: answer.body };
}

export type Frame = Record<string, unknown> & { type: string };

/** Fields under payload or data merged onto the root, as contract §5 says a client must. */
export function merged(frame: Frame): Record<string, unknown> {
  const out: Record<string, unknown> = { ...frame };
  for (const key of ['payload', 'data'] as const) {
    const inner = frame[key];
    if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) Object.assign(out, inner);
  }
  return out;
}

export interface Connection {
  readonly ws: WebSocket;
  readonly protocol: string;
  readonly frames: Frame[];
  /** Resolves with the first frame (already received or not) that matches. */
  readonly next: (match: (frame: Frame) => boolean, timeoutMs?: number) => Promise<Frame>;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly send: (frame: unknown) => void;
}

export type ConnectOutcome =
  | { kind: 'open'; connection: Connection }
  | { kind: 'unexpected-response'; status: number; body: string }
  | { kind: 'error'; message: string };

export function connect(
  sim: SimulatorDescription,
  options: { protocols?: string[]; headers?: Record<string, string>; query?: string } = {},
): Promise<ConnectOutcome> {
  const url = `${sim.ws}/ws${options.query ?? ''}`;
  const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
  const frames: Frame[] = [];
  const waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString('utf8')) as Frame;
    frames.push(frame);
    for (const waiter of [...waiters]) {
      if (waiter.match(frame)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
    });
  });
  return new Promise((resolve) => {
    ws.on('open', () => {
      resolve({
        kind: 'open',
        connection: {
          ws,
          protocol: ws.protocol,
          frames,
          closed,
          send: (frame) => {
            ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
          },
          next: (match, timeoutMs = 5000) => {
            const seen = frames.find(match);
            if (seen !== undefined) return Promise.resolve(seen);
            return new Promise<Frame>((res, rej) => {
              const timer = setTimeout(() => {
                rej(new Error(`no matching frame within ${timeoutMs} ms; got ${frames.map((f) => f.type).join(', ')}`));
              }, timeoutMs);
              waiters.push({
                match,
                resolve: (f) => {
                  clearTimeout(timer);
                  res(f);
                },
              });
            });
          },
        },
      });
    });
    let refused = false;
    ws.on('unexpected-response', (_req, res) => {
      refused = true;
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        resolve({ kind: 'unexpected-response', status: res.statusCode ?? 0, body });
        ws.terminate();
      });
    });
    ws.on('error', (error) => {
      if (!refused) resolve({ kind: 'error', message: error.message });
    });
  });
}

export async function connectAs(sim: SimulatorDescription, tokens: Tokens): Promise<Connection> {
  const outcome = await connect(sim, { protocols: [protocolForToken(tokens.access_token)] });
  if (outcome.kind !== 'open') throw new Error(`connect failed: ${JSON.stringify(outcome)}`);
  return outcome.connection;
}

export function startAgent(connection: Connection, request: string): void {
  connection.send({ type: 'start_agent', payload: { user_request: request, thread_id: null, context: { source: 'message_input' } } });
}

export { CRITICAL_EVENTS as CRITICAL } from '../../src/model/golden-path.js';

/** The answer text by contract §5's precedence. */
export function answerText(frames: readonly Frame[]): string {
  const completed = frames.find((f) => f.type === 'agent_completed');
  const response = frames.find((f) => f.type === 'agent_response');
  const c = completed === undefined ? {} : merged(completed);
  const result = c.result;
  const candidates: unknown[] = [];
  if (typeof result === 'string') candidates.push(result);
  else if (typeof result === 'object' && result !== null) {
    const r = result as Record<string, unknown>;
    candidates.push(r.content, r.text, r.summary, r.message);
  }
  candidates.push(c.final_response, c.response);
  if (response !== undefined) candidates.push(merged(response).content);
  return (candidates.find((v) => typeof v === 'string' && v.trim() !== '') as string | undefined) ?? '';
}

/** The environment that makes a simulator `gpmon run --target env`'s target (design.md's GPMON_* variables): its bypass login as `email`, its CA when it serves TLS. */
export function envTargetOf(sim: SimulatorDescription, email: string): Record<string, string> {
  return {
    GPMON_TARGET: 'staging-sim',
    GPMON_APP_URL: sim.app,
    GPMON_AUTH_URL: sim.auth,
    GPMON_API_URL: sim.api,
    GPMON_WS_URL: sim.ws,
    GPMON_LOGIN: 'bypass',
    GPMON_EMAIL: email,
    GPMON_BYPASS_KEY: sim.bypassKey,
    ...(sim.caFile === undefined ? {} : { GPMON_CA_FILE: sim.caFile }),
  };
}

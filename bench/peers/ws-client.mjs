#!/usr/bin/env node
/* global process, Buffer, console, fetch, setTimeout, clearTimeout, AbortSignal, URL */
// The protocol golden path as a team would write it by hand: the peer of
// gpmon's golden-path-api journey in the side-by-side benchmark. One run per
// process, as a cron job starts it. It logs in over HTTP (POST /auth/login),
// opens the WebSocket offering the token as the subprotocol jwt.<base64url>,
// checks connection_established names the user that logged in, sends
// start_agent, waits for the five critical events in order, checks the
// answer against a regex, and closes.
//
// Config, all from the environment (all required):
//   GPMON_PEER_AUTH_URL   auth origin, e.g. http://127.0.0.1:44013
//   GPMON_PEER_WS_URL     WebSocket base or full URL; a bare origin gets /ws appended
//   GPMON_PEER_USERNAME   login email
//   GPMON_PEER_PASSWORD   login password
//   GPMON_PEER_PROMPT     the user_request sent with start_agent
//   GPMON_PEER_EXPECTED   RegExp source the answer must match
// Exit 0: passed (one line on stdout). Exit 1: failed, one line on stderr
// saying why. The whole run times out after 30 s.
import WebSocket from 'ws';

const CRITICAL = ['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_completed'];
const fail = (why) => {
  process.stderr.write(`FAIL ${why}\n`);
  process.exit(1);
};
const names = ['AUTH_URL', 'WS_URL', 'USERNAME', 'PASSWORD', 'PROMPT', 'EXPECTED'];
const cfg = Object.fromEntries(names.map((n) => [n, process.env[`GPMON_PEER_${n}`] ?? '']));
const missing = names.filter((n) => cfg[n] === '');
if (missing.length > 0) fail(`missing ${missing.map((n) => `GPMON_PEER_${n}`).join(', ')}`);
const expected = new RegExp(cfg.EXPECTED);
const timer = setTimeout(() => fail('timed out after 30 s'), 30_000);
const started = Date.now();

const login = await fetch(`${cfg.AUTH_URL.replace(/\/+$/, '')}/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email: cfg.USERNAME, password: cfg.PASSWORD }),
  signal: AbortSignal.timeout(10_000),
}).catch((error) => fail(`login: ${error.message}`));
if (login.status !== 200) fail(`login answered ${login.status}`);
const session = await login.json().catch(() => ({}));
const token = typeof session.access_token === 'string' ? session.access_token : fail('login answered no access_token');
const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}');
const userId = claims.sub ?? session.user?.id;

const url = new URL(cfg.WS_URL);
if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
const ws = new WebSocket(url, [`jwt.${Buffer.from(token).toString('base64url')}`]);
const seen = [];
let runId;
let pending = '';
let done = false;
ws.on('error', (error) => fail(`websocket: ${error.message}`));
ws.on('close', (code, reason) => (done ? process.exit(0) : fail(`socket closed ${code} ${reason.toString()} after [${seen.join(', ')}]`)));
ws.on('message', (raw) => {
  let frame;
  try {
    frame = JSON.parse(raw.toString());
  } catch {
    return;
  }
  if (typeof frame !== 'object' || frame === null || typeof frame.type !== 'string') return;
  const ev = { ...frame, ...(typeof frame.payload === 'object' ? frame.payload : {}), ...(typeof frame.data === 'object' ? frame.data : {}) };
  if (['error_message', 'error', 'agent_error'].includes(frame.type)) fail(`${frame.type}: ${ev.error_code ?? ''} ${ev.error_message ?? ev.message ?? ''}`);
  if (frame.type === 'connection_established') {
    if (ev.user_id !== userId) fail(`connection_established for user ${ev.user_id}, logged in as ${userId}`);
    ws.send(JSON.stringify({ type: 'start_agent', payload: { user_request: cfg.PROMPT, thread_id: null, context: { source: 'message_input' } } }));
  }
  if (frame.type === 'agent_response' && typeof ev.content === 'string') pending = ev.content;
  if (!CRITICAL.includes(frame.type)) return;
  if (frame.type === 'agent_started') runId ??= ev.run_id;
  else if (runId !== undefined && ev.run_id !== undefined && ev.run_id !== runId) return; // another run's event
  if (!seen.includes(frame.type)) seen.push(frame.type);
  if (frame.type !== 'agent_completed') return;
  // First arrivals must be the five, in order (thinking and tool pairs may repeat after).
  if (seen.join() !== CRITICAL.join()) fail(`critical events out of order or missing: [${seen.join(', ')}]`);
  const r = ev.result;
  const answer = [typeof r === 'string' ? r : undefined, r?.content, r?.text, r?.summary, r?.message, ev.final_response, ev.response, pending]
    .find((a) => typeof a === 'string' && a.trim() !== '');
  if (answer === undefined) fail('empty answer');
  if (!expected.test(answer)) fail(`answer does not match /${cfg.EXPECTED}/: ${answer.slice(0, 120)}`);
  done = true;
  clearTimeout(timer);
  console.log(`PASS ${Date.now() - started} ms: ${answer.slice(0, 80)}`);
  ws.close(1000);
  setTimeout(() => process.exit(0), 2000).unref();
});

import { z } from 'zod';

/**
 * What the simulator does and how slowly: the latency of every phase and the
 * faults switched on. Tests and benchmarks read the profile back as ground truth.
 */

// The contract's five events, from their one home (src/model/golden-path.ts): the simulator emits what monitors read.
export { CRITICAL_EVENTS, type CriticalEvent } from '../model/golden-path.js';
import { CRITICAL_EVENTS, type CriticalEvent } from '../model/golden-path.js';

/**
 * Phases in the order a golden-path run meets them. The agent phases chain:
 * agent_started comes `agent_start` ms after the request, agent_thinking
 * `thinking` ms after that, and so on (see eventOffsets).
 */
export const PHASES = [
  'login',
  'handshake',
  'agent_start',
  'thinking',
  'tool_start',
  'tool',
  'completion',
  'render',
] as const;
export type Phase = (typeof PHASES)[number];
export type LatencyProfile = Record<Phase, number>;

export const DEFAULT_LATENCY: LatencyProfile = {
  login: 40,
  handshake: 20,
  agent_start: 80,
  thinking: 120,
  tool_start: 60,
  tool: 150,
  completion: 100,
  render: 40,
};

const phaseSchema = z.enum(PHASES);
const eventSchema = z.enum(CRITICAL_EVENTS);
export const latencyPatchSchema = z.partialRecord(phaseSchema, wholeNumber(0, 600_000)).refine(
  (patch) => Object.keys(patch).length > 0,
  'name at least one phase',
);

/** A count given as a JSON number or as decimal digits (a flag's `key=value`): nothing else passes for one. */
function wholeNumber(min: number, max: number) {
  return z
    .union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)], {
      error: (issue) => (issue.input === undefined ? `required: a whole number from ${min} to ${max}` : 'must be a whole number'),
    })
    .pipe(z.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

export const faultSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('subprotocol_mismatch') }),
  z.strictObject({ name: z.literal('subprotocol_refused'), mode: z.enum(['403', '1003']).default('403') }),
  z.strictObject({ name: z.literal('ws_auth_rejected'), mode: z.enum(['close', '401']).default('close') }),
  z.strictObject({
    name: z.literal('close_1011'),
    after: eventSchema.default('agent_thinking'),
    // The chat page opens a new socket at once after the close, as front ends that auto-reconnect do.
    reconnect: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], { error: 'must be true or false' }).optional(),
  }),
  z.strictObject({ name: z.literal('missing_event'), event: eventSchema.default('tool_completed') }),
  z.strictObject({ name: z.literal('events_out_of_order') }),
  z.strictObject({ name: z.literal('agent_error') }),
  z.strictObject({ name: z.literal('agent_never_completes') }),
  z.strictObject({ name: z.literal('empty_answer') }),
  z.strictObject({ name: z.literal('login_rejected') }),
  z.strictObject({ name: z.literal('auth_down') }),
  z.strictObject({ name: z.literal('slow_phase'), phase: phaseSchema, ms: wholeNumber(1, 600_000) }),
  z.strictObject({ name: z.literal('new_revision'), revision: z.string().regex(/^[0-9a-f]{7,40}$/).optional() }),
  z.strictObject({ name: z.literal('permissive_auth') }),
  z.strictObject({ name: z.literal('cors_broken') }),
  z.strictObject({
    name: z.literal('broken_chat_page'),
    mode: z.enum(['no_send_button', 'script_error']).default('no_send_button'),
  }),
  z.strictObject({ name: z.literal('answer_not_rendered') }),
  z.strictObject({ name: z.literal('welcome_stall') }),
  // A page that works, with its live channel in a Web Worker, off the main thread, as some front ends keep it.
  z.strictObject({ name: z.literal('socket_in_worker') }),
  z.strictObject({ name: z.literal('login_stall'), mode: z.enum(['stall', 'drip']).default('stall') }),
  // give_up: the chat page closes its still-connecting socket after this many ms, as front ends with a connect timeout do.
  z.strictObject({ name: z.literal('upgrade_unanswered'), give_up: wholeNumber(1, 600_000).optional() }),
  // The chat page's session check (GET /auth/me) answers 200 and its headers, then no body, or a byte a second.
  z.strictObject({ name: z.literal('me_stall'), mode: z.enum(['stall', 'drip']).default('stall') }),
  // The chat page's main thread stops yielding for good once Send is clicked.
  z.strictObject({ name: z.literal('page_freeze') }),
  // Odd but healthy streams: a long answer as thousands of thinking frames, a flood of heartbeats before the welcome.
  z.strictObject({ name: z.literal('long_stream'), thinking: wholeNumber(1, 100_000).default(2500) }),
  z.strictObject({ name: z.literal('heartbeat_flood'), count: wholeNumber(1, 1_000_000).default(100_000) }),
  // A follow-up in a thread loses its context (same thread_id, answered as a first request), or its thread (a new thread_id).
  // A thread's first request is never touched.
  z.strictObject({ name: z.literal('thread_lost'), mode: z.enum(['context', 'thread']).default('context') }),
  // The refresh path refuses a refresh token it handed out (401), or the socket refuses the access token it mints, while a login's still opens.
  z.strictObject({ name: z.literal('refresh_rejected') }),
  z.strictObject({ name: z.literal('refreshed_token_refused') }),
  // One event of a user's run (its tool_executing) also goes to another user's socket; or agent runs queue one after another.
  z.strictObject({ name: z.literal('cross_delivery') }),
  z.strictObject({ name: z.literal('serialised') }),
  // A backend dependency answers slowly and reports itself degraded: the backend stays up, flagged.
  z.strictObject({
    name: z.literal('dependency_degraded'),
    dependency: z.enum(['postgres', 'redis', 'clickhouse']).default('redis'),
    latency_ms: wholeNumber(0, 600_000).default(850),
  }),
  // A deploy is accepted but never takes effect: /api/system/info keeps reporting the revision that ran before it.
  z.strictObject({ name: z.literal('deploy_stuck') }),
  // The certificate's validity ends within `days` days (0: already expired): a TLS simulator re-issues its leaf
  // with that end on every origin. A plain-http simulator lists the fault and does nothing else: it has no certificate.
  z.strictObject({ name: z.literal('cert_expiring'), days: wholeNumber(0, 3650).default(5) }),
]);
export type Fault = z.infer<typeof faultSchema>;
export type FaultName = Fault['name'];
export const FAULT_NAMES: readonly FaultName[] = faultSchema.options.map((o) => o.shape.name.value);

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

export function parseFault(input: unknown): Parsed<Fault> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, error: `a fault is an object {"name": …, and its options}; known names: ${FAULT_NAMES.join(', ')}` };
  }
  if (!('name' in input)) return { ok: false, error: `name: required; known: ${FAULT_NAMES.join(', ')}` };
  const name = input.name;
  if (typeof name !== 'string' || !(FAULT_NAMES as readonly string[]).includes(name)) {
    return { ok: false, error: `unknown fault ${JSON.stringify(name)}; known: ${FAULT_NAMES.join(', ')}` };
  }
  const result = faultSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: describeIssues(result.error) };
}

/** `name` or `name:key=value,key=value`, the form flags and env use. */
export function parseFaultSpec(spec: string): Parsed<Fault> {
  const [name, rest] = splitOnce(spec.trim(), ':');
  const fields: Record<string, string> = { name };
  if (name === '') return { ok: false, error: `fault "${spec}": no fault name (name, or name:key=value,key=value)` };
  if (rest !== undefined && rest.trim() === '') return { ok: false, error: `fault "${spec}": nothing after ":" (name, or name:key=value,key=value)` };
  if (rest !== undefined) {
    for (const pair of rest.split(',')) {
      const [key, value] = splitOnce(pair, '=');
      if (key === '' || value === undefined) {
        return { ok: false, error: `fault "${spec}": "${pair}" is not key=value` };
      }
      if (key in fields) return { ok: false, error: `fault "${spec}": "${key}" is given twice` };
      fields[key] = value;
    }
  }
  const parsed = parseFault(fields);
  return parsed.ok ? parsed : { ok: false, error: `fault "${spec}": ${parsed.error}` };
}

export function parseLatencyPatch(input: unknown): Parsed<Partial<LatencyProfile>> {
  if (typeof input === 'object' && input !== null) {
    const unknown = Object.keys(input).find((key) => !(PHASES as readonly string[]).includes(key));
    if (unknown !== undefined) return { ok: false, error: `unknown phase "${unknown}"; known: ${PHASES.join(', ')}` };
  }
  const result = latencyPatchSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: describeIssues(result.error) };
}

/** `phase=ms,phase=ms`, the form of the --latency flag. */
export function parseLatencySpec(spec: string): Parsed<Partial<LatencyProfile>> {
  const fields: Record<string, string> = {};
  for (const pair of spec.split(',')) {
    const [key, value] = splitOnce(pair.trim(), '=');
    if (key === '' || value === undefined) return { ok: false, error: `latency "${spec}": "${pair}" is not phase=ms` };
    fields[key] = value;
  }
  const parsed = parseLatencyPatch(fields);
  return parsed.ok ? parsed : { ok: false, error: `latency "${spec}": ${parsed.error}` };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/**
 * When each critical event leaves the server, in ms after the request arrived,
 * for a profile: the ground truth a journey's measurements are checked against.
 */
export function eventOffsets(latency: LatencyProfile): Record<CriticalEvent, number> {
  const started = latency.agent_start;
  const thinking = started + latency.thinking;
  const executing = thinking + latency.tool_start;
  const completed = executing + latency.tool;
  return {
    agent_started: started,
    agent_thinking: thinking,
    tool_executing: executing,
    tool_completed: completed,
    agent_completed: completed + latency.completion,
  };
}

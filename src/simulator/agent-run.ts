import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CRITICAL_EVENTS, type CriticalEvent, type Phase } from './profile.js';
import type { SimulatorState } from './state.js';

/**
 * One agent run as the platform streams it: the five critical events (thinking
 * repeated), with the envelope and the place of the answer varying from run to
 * run the way the platform's different server paths emit them (contract §5).
 */

export type Envelope = 'data' | 'payload' | 'root';
const ENVELOPES: readonly Envelope[] = ['data', 'payload', 'root'];
export const ANSWER_SHAPES = ['result_string', 'result_object', 'final_response', 'response', 'agent_response'] as const;
export type AnswerShape = (typeof ANSWER_SHAPES)[number];

export interface AgentRunIo {
  readonly send: (frame: Record<string, unknown>) => void;
  readonly close: (code: number, reason: string) => void;
  readonly signal: AbortSignal;
  /** Sends a frame to another user's socket too (fault cross_delivery); absent where there is none to find. */
  readonly crossDeliver?: (frame: Record<string, unknown>) => void;
  /** The socket's own handshake time (upgrade arrival → welcome sent, ms), for the run's entry in the observation log. */
  readonly connectMs?: () => number | undefined;
}

/**
 * Runs `work` now, or, under the fault `serialised`, after every run queued
 * before it has ended: one agent run at a time across all users, as a backend
 * behind a single worker serves them. A run ends when its stream ends or its
 * socket closes, so the queue never outlives its sockets.
 */
export async function inAgentQueue(state: SimulatorState, work: () => Promise<void>): Promise<void> {
  if (state.fault('serialised') === undefined) {
    await work();
    return;
  }
  const before = state.agentQueue;
  let release = (): void => undefined;
  state.agentQueue = new Promise<void>((resolve) => {
    release = resolve;
  });
  try {
    await before;
    await work();
  } finally {
    release();
  }
}

export interface AgentRunRequest {
  readonly request: string;
  /** The thread the run belongs to (ws-server resolves it: a new thread, or the follow-up's own). */
  readonly threadId: string;
  /**
   * A follow-up answered in its thread's context: the thread's first request.
   * Absent for a thread's first request (and for a follow-up whose thread lost its context).
   */
  readonly firstRequest?: string;
  /** Which run of the simulator this is: picks the envelope and answer shapes. */
  readonly sequence: number;
}

/** A request as an answer quotes it: its first 200 characters, and an ellipsis if there were more. */
function quote(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** The answer to a thread's first request. Monitors match `^Golden path OK`. */
export function answerFor(request: string): string {
  return `Golden path OK. The agent processed your request: "${quote(request)}"`;
}

/** The answer to a follow-up in a thread whose first request was `firstRequest`: the thread's context shows. */
export function followUpAnswerFor(firstRequest: string, request: string): string {
  return `Golden path OK. Following up on "${quote(firstRequest)}": the agent processed your request: "${quote(request)}"`;
}

export function wrap(envelope: Envelope, type: string, fields: Record<string, unknown>): Record<string, unknown> {
  const timestamp = new Date().toISOString();
  switch (envelope) {
    case 'data':
      return { type, data: fields, timestamp };
    case 'payload':
      return { type, payload: fields, timestamp };
    case 'root':
      return { type, ...fields, critical: true, timestamp };
  }
}

export async function runAgent(state: SimulatorState, run: AgentRunRequest, io: AgentRunIo): Promise<void> {
  const runId = `run_${randomUUID()}`;
  const threadId = run.threadId;
  let frameIndex = 0;
  const received = performance.now();
  // When each critical event really left, on the server's clock: the ground truth of event latency.
  const sent: Partial<Record<CriticalEvent, number>> = {};
  state.observed.events = sent;
  const connect = io.connectMs?.();
  state.observeRun({ runId, arrivedAt: Date.now(), ...(connect !== undefined ? { connect } : {}), events: sent });
  const emit = (type: string, fields: Record<string, unknown>): void => {
    // A missing event is missing every time it would repeat, too.
    if (state.fault('missing_event')?.event === type) return;
    const envelope = ENVELOPES[(run.sequence + frameIndex++) % ENVELOPES.length] ?? 'data';
    const frame = wrap(envelope, type, { run_id: runId, thread_id: threadId, ...fields });
    io.send(frame);
    if (type === 'tool_executing' && state.fault('cross_delivery') !== undefined) io.crossDeliver?.(frame);
    if ((CRITICAL_EVENTS as readonly string[]).includes(type)) sent[type as CriticalEvent] ??= performance.now() - received;
  };
  const critical = (event: CriticalEvent, fields: Record<string, unknown>): boolean => {
    emit(event, fields);
    if (state.fault('close_1011')?.after === event) {
      io.close(1011, 'Internal error');
      return false;
    }
    return true;
  };
  const wait = async (phase: Phase): Promise<boolean> => {
    const ms = state.delay(phase);
    try {
      if (ms > 0) await sleep(ms, undefined, { signal: io.signal });
      return !io.signal.aborted;
    } catch {
      return false;
    }
  };

  const started = Date.now();
  if (!(await wait('agent_start'))) return;
  if (!critical('agent_started', { agent_name: 'supervisor_agent' })) return;
  if (!(await wait('thinking'))) return;
  if (!critical('agent_thinking', { reasoning: 'Working out which tool answers this request', step_number: 1 })) return;
  const longStream = state.fault('long_stream');
  if (longStream !== undefined) {
    for (let i = 1; i < longStream.thinking && !io.signal.aborted; i++) emit('agent_thinking', { reasoning: `token ${i}`, step_number: 1 });
  }
  if (state.fault('agent_error') !== undefined) {
    io.send({ type: 'agent_error', data: { run_id: runId, error_code: 'AGENT_EXECUTION_FAILED', error_message: 'Agent execution failed: upstream model timed out' } });
    return;
  }
  if (!(await wait('tool_start'))) return;
  const tool = { tool_name: 'knowledge_search' };
  const executing = { ...tool, parameters: { query: run.request.slice(0, 100) } };
  const completed = { ...tool, result: { documents_found: 3 }, execution_time_ms: state.delay('tool') };
  const outOfOrder = state.fault('events_out_of_order') !== undefined;
  if (!critical(outOfOrder ? 'tool_completed' : 'tool_executing', outOfOrder ? completed : executing)) return;
  if (!(await wait('tool'))) return;
  if (!critical(outOfOrder ? 'tool_executing' : 'tool_completed', outOfOrder ? executing : completed)) return;
  emit('agent_thinking', { reasoning: 'Writing the answer from the tool result', step_number: 2 });
  if (state.fault('agent_never_completes') !== undefined) return;
  if (!(await wait('completion'))) return;

  const full = run.firstRequest === undefined ? answerFor(run.request) : followUpAnswerFor(run.firstRequest, run.request);
  const answer = state.fault('empty_answer') === undefined ? full : '';
  const shape = ANSWER_SHAPES[run.sequence % ANSWER_SHAPES.length] ?? 'result_string';
  const execution_time_ms = Date.now() - started;
  const done = { status: 'success' };
  if (answer === '') {
    critical('agent_completed', { result: '', execution_time_ms });
    return;
  }
  switch (shape) {
    case 'result_string':
      critical('agent_completed', { result: answer, execution_time_ms });
      break;
    case 'result_object':
      critical('agent_completed', { result: { content: answer, ...done }, execution_time_ms });
      break;
    case 'final_response':
      critical('agent_completed', { result: done, final_response: answer, execution_time_ms });
      break;
    case 'response':
      critical('agent_completed', { response: answer, execution_time_ms });
      break;
    case 'agent_response':
      emit('agent_response', { content: answer });
      critical('agent_completed', { result: done, execution_time_ms });
      break;
  }
}

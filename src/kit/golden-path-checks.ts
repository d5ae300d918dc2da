import type { RunInputs } from '../model/run-record.js';
import { JourneyFailure } from './failure.js';
import { excerpt } from './answer.js';
import type { EventCollector } from './event-collector.js';
import { earlyCloseFailure, shortProtocol } from './ws-client.js';

/**
 * The verdicts of the golden path's stream steps (contract §7), shared by the
 * browser and protocol journeys: each takes what the client saw and either
 * returns the time the step ended or throws the failure that names why not.
 */

export type Waited = 'ok' | 'closed' | 'timeout';
export interface CloseState {
  readonly code: number;
  readonly reason: string;
}

export function connectVerdict(
  collector: EventCollector,
  close: CloseState | undefined,
  check: { offered: string; selected: string; userId: string; timeoutMs: number },
): number {
  const established = collector.established;
  const at = collector.establishedAt;
  if (established !== undefined && at !== undefined) {
    if (check.selected !== check.offered) {
      throw new JourneyFailure('ws_subprotocol', `server selected ${JSON.stringify(shortProtocol(check.selected))}, not the offered value`, {
        offered: [shortProtocol(check.offered)],
        selected: shortProtocol(check.selected),
      });
    }
    const userId = typeof established.user_id === 'string' ? established.user_id : null;
    if (userId !== check.userId) {
      throw new JourneyFailure('security', `connection_established is for user ${JSON.stringify(userId)}, not the logged-in ${JSON.stringify(check.userId)}: the socket did not authenticate us`, {
        expectedUser: check.userId,
        connectedUser: userId,
      });
    }
    return at;
  }
  const error = collector.error;
  const authFailed = error?.code === 'AUTH_FAILED';
  if (close !== undefined) throw earlyCloseFailure(close.code, close.reason, collector.lastTypes, authFailed);
  if (error !== undefined && authFailed) {
    throw new JourneyFailure('ws_auth', `server answered AUTH_FAILED: ${error.message}`, { errorCode: 'AUTH_FAILED', lastFrames: [...collector.lastTypes] });
  }
  throw new JourneyFailure('timeout', `no connection_established by the end of the step (step timeout ${check.timeoutMs} ms, the upgrade included)`, { lastFrames: [...collector.lastTypes] });
}

function errorFailure(collector: EventCollector): JourneyFailure | undefined {
  const error = collector.error;
  if (error === undefined) return undefined;
  return new JourneyFailure('agent_error', `${error.type}${error.code === null ? '' : ` ${error.code}`}: ${error.message}`, {
    frameType: error.type,
    errorCode: error.code,
    serverMessage: excerpt(error.message, 200),
    seen: collector.arrivals.slice(0, 32),
  });
}

function closedFailure(collector: EventCollector, close: CloseState, waitingFor: string): JourneyFailure {
  return new JourneyFailure('ws_closed', `server closed ${close.code} "${close.reason}" while waiting for ${waitingFor}`, {
    closeCode: close.code,
    closeReason: close.reason,
    seen: collector.arrivals.slice(0, 32),
  });
}

/** agent_request ends when agent_started arrives. */
export function agentRequestVerdict(collector: EventCollector, close: CloseState | undefined, timeoutMs: number): number {
  const started = collector.firstAt('agent_started');
  if (started !== undefined) return started;
  const error = errorFailure(collector);
  if (error !== undefined) throw error;
  if (collector.completed) {
    throw new JourneyFailure('event_missing', 'agent_started never arrived; the run completed without it', { missing: ['agent_started'], seen: collector.arrivals.slice(0, 32) });
  }
  if (close !== undefined) throw closedFailure(collector, close, 'agent_started');
  throw new JourneyFailure('timeout', `no agent_started within ${timeoutMs} ms of the request`, { seen: collector.arrivals.slice(0, 32), lastFrames: [...collector.lastTypes] });
}

/** live_events ends when agent_completed arrives, with all five critical events seen in order. */
export function liveEventsVerdict(collector: EventCollector, close: CloseState | undefined, timeoutMs: number): number {
  const error = errorFailure(collector);
  if (error !== undefined) throw error;
  const completed = collector.firstAt('agent_completed');
  if (completed !== undefined) {
    const problem = collector.streamProblem();
    if (problem !== undefined) throw new JourneyFailure(problem.reason, problem.message, problem.evidence);
    return completed;
  }
  if (close !== undefined) throw closedFailure(collector, close, 'agent_completed');
  throw new JourneyFailure('timeout', `agent_completed did not arrive within ${timeoutMs} ms`, { seen: collector.arrivals.slice(0, 32), lastFrames: [...collector.lastTypes] });
}

/** The answer as the stream carried it: non-empty and matching the expected pattern. */
export function answerVerdict(collector: EventCollector, inputs: RunInputs): string {
  const answer = collector.answer();
  if (answer.trim() === '') {
    throw new JourneyFailure('response_empty', 'agent_completed carried no answer (result, final_response, response or agent_response)', { seen: collector.arrivals.slice(0, 32) });
  }
  let pattern: RegExp;
  try {
    pattern = new RegExp(inputs.expectedAnswer, 'i');
  } catch (error) {
    throw new JourneyFailure('monitor_error', `expected answer pattern is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!pattern.test(answer)) {
    throw new JourneyFailure('response_mismatch', `answer does not match /${inputs.expectedAnswer}/`, { answer: excerpt(answer, 200), expected: inputs.expectedAnswer });
  }
  return answer;
}

/** Waits until `done()` holds, the socket closes, or the time runs out; re-checked on every frame. */
export function waitForStream(collector: EventCollector, closed: Promise<unknown>, done: () => boolean, timeoutMs: number): Promise<Waited> {
  if (done()) return Promise.resolve('ok');
  return new Promise<Waited>((resolve) => {
    let finished = false;
    const finish = (result: Waited) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      unsubscribe();
      resolve(result);
    };
    const timer = setTimeout(() => {
      finish('timeout');
    }, timeoutMs);
    const unsubscribe = collector.onChange(() => {
      if (done()) finish('ok');
    });
    void closed.then(() => {
      finish(done() ? 'ok' : 'closed');
    });
  });
}

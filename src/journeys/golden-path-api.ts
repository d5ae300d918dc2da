import type { JourneyRun } from '../kit/journey-run.js';
import { EventCollector } from '../kit/event-collector.js';
import { loginOverHttp, tokenSubprotocol, type Session } from '../kit/login.js';
import { handshakeFailure, shortProtocol, type ProtocolSocket } from '../kit/ws-client.js';
import { openRunSocket } from '../kit/run-socket.js';
import { agentRequestVerdict, answerVerdict, connectVerdict, liveEventsVerdict, waitForStream } from '../kit/golden-path-checks.js';
import { readTargetInfo } from '../kit/target-info.js';
import { excerpt } from '../kit/answer.js';
import { JourneyFailure, fail } from '../kit/failure.js';
import { stepBudget } from '../kit/step-budget.js';
import type { Evidence } from '../model/reasons.js';

/** A refusal of the socket's auth with the caller's explanation added (the failure as it was otherwise). */
async function explained(error: unknown, explain: GoldenPathOptions['explainRefusal']): Promise<unknown> {
  if (!(error instanceof JourneyFailure) || error.reason !== 'ws_auth' || explain === undefined) return error;
  const more = await explain().catch(() => undefined);
  return more === undefined ? error : new JourneyFailure(error.reason, `${error.detail}; ${more.note}`, { ...error.evidence, ...more.evidence });
}

/** What the golden path leaves open for a journey that goes on after it (`goldenPathApi(run, { keepOpen: true })`). */
export interface OpenGoldenPath {
  /** The session login gave (its tokens are already registered as secrets). */
  readonly session: Session;
  /** The socket, still open: the caller closes it. */
  readonly socket: ProtocolSocket;
  /** The golden path's own run, as the stream gave it (its thread in `threadId`). */
  readonly collector: EventCollector;
  /** Feeds every later frame of the socket to `listener` too (a second run's collector); returns its removal. */
  listen(listener: (data: string, at: number) => void): () => void;
}

/** How a journey built on the golden path changes it. */
export interface GoldenPathOptions {
  /** The request the agent gets (default the run's prompt, `run.inputs.prompt`). */
  readonly prompt?: string;
  /** Leave the socket open and return it, for steps of the caller's own after ai_response. */
  readonly keepOpen?: boolean;
  /**
   * A session the caller already has (a refreshed one, say): the golden path
   * then starts at `connect` with its access token, and runs no `login` step
   * of its own.
   */
  readonly session?: Session;
  /**
   * When the socket refuses the session's token (`ws_auth`): more to say
   * about why, added to the failure's message (token-refresh asks whether a
   * login's token still opens it). Undefined adds nothing.
   */
  readonly explainRefusal?: () => Promise<{ note: string; evidence?: Evidence } | undefined>;
}

/**
 * The golden path without a browser: HTTP login, a ws client offering the
 * token as `jwt.<base64url>`, start_agent, the five events, the answer. Times
 * are taken in this process with a monotonic clock as each frame arrives.
 * With `keepOpen`, resolves to the open socket once the five steps passed;
 * else, or when a step failed (it throws, as every step does), the socket is
 * closed.
 */
export async function goldenPathApi(run: JourneyRun, options: GoldenPathOptions & { keepOpen: true }): Promise<OpenGoldenPath>;
export async function goldenPathApi(run: JourneyRun, options?: GoldenPathOptions): Promise<OpenGoldenPath | undefined>;
export async function goldenPathApi(run: JourneyRun, options: GoldenPathOptions = {}): Promise<OpenGoldenPath | undefined> {
  const { stepTimeoutMs: timeout } = run;
  await readTargetInfo(run);
  const collector = new EventCollector();
  const listeners = new Set<(data: string, at: number) => void>();
  let session: Session | undefined = options.session;
  let socket: ProtocolSocket | undefined;
  let handedOver = false;
  const closeState = () => socket?.closeState;

  try {
    if (options.session === undefined) {
      await run.step('login', async (step) => {
        const started = run.clock();
        session = await loginOverHttp(run, timeout);
        step.measured(run.clock() - started);
      });
    }

    await run.step('connect', async (step) => {
      try {
        if (session === undefined) return fail('monitor_error', 'no session after login');
        const offered = tokenSubprotocol(session.accessToken);
        const started = run.clock();
        const left = stepBudget(timeout);
        const outcome = await openRunSocket(run, {
          protocols: [offered],
          timeoutMs: left(),
          onFrame: (data, at) => {
            collector.receive(data, at);
            for (const listener of listeners) listener(data, at);
          },
        });
        if (outcome.kind !== 'open') throw handshakeFailure(outcome, [offered]);
        socket = outcome.socket;
        await waitForStream(collector, socket.closed, () => collector.established !== undefined || collector.error !== undefined, left());
        const at = connectVerdict(collector, closeState(), { offered, selected: socket.protocol, userId: session.userId, timeoutMs: timeout });
        run.mark('subprotocol', { offered: shortProtocol(offered), selected: shortProtocol(socket.protocol) });
        step.measured(at - started);
    
      } catch (error) {
        throw await explained(error, options.explainRefusal);
      }
    });

    await run.step('agent_request', async (step) => {
      if (socket === undefined) return fail('monitor_error', 'no socket after connect');
      const sentAt = socket.send({
        type: 'start_agent',
        payload: { user_request: options.prompt ?? run.inputs.prompt, thread_id: null, context: { source: 'message_input' } },
      });
      collector.requestSent(sentAt);
      await waitForStream(collector, socket.closed, () => collector.firstAt('agent_started') !== undefined || collector.error !== undefined || collector.completed, timeout);
      step.measured(agentRequestVerdict(collector, closeState(), timeout) - sentAt);
    });

    await run.step('live_events', async (step) => {
      if (socket === undefined) return fail('monitor_error', 'no socket after connect');
      await waitForStream(collector, socket.closed, () => collector.completed || collector.error !== undefined, timeout);
      const completedAt = liveEventsVerdict(collector, closeState(), timeout);
      step.measured(completedAt - (collector.firstAt('agent_started') ?? completedAt));
    });

    await run.step('ai_response', (step) => {
      const started = run.clock();
      const answer = answerVerdict(collector, run.inputs);
      run.mark('answer', { chars: answer.length, excerpt: excerpt(answer) });
      step.measured(run.clock() - started);
    });
    if (options.keepOpen === true && session !== undefined && socket !== undefined) {
      handedOver = true;
      return {
        session,
        socket,
        collector,
        listen: (listener) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      };
    }
    return undefined;
  } finally {
    run.mark('eventLatencyMs', collector.latencies());
    run.mark('maxGapMs', collector.maxGapMs);
    // Frames that are not JSON objects with a type are ignored, but never silently.
    if (collector.unparsable > 0) run.mark('unparsableFrames', collector.unparsable);
    if (!handedOver) socket?.close();
  }
}

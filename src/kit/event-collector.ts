import type { Evidence, FailureReason } from '../model/reasons.js';
import { answerFrom } from './answer.js';

import { CRITICAL_EVENTS, type CriticalEvent } from '../model/golden-path.js';

export { CRITICAL_EVENTS, type CriticalEvent };
const ERROR_TYPES = new Set(['error_message', 'error', 'agent_error']);

export interface StreamProblem {
  readonly reason: FailureReason;
  readonly message: string;
  readonly evidence: Evidence;
}

export interface StreamError {
  readonly type: string;
  readonly code: string | null;
  readonly message: string;
}

/** Fields live under payload, data or the root (contract §5): merged, data last. */
export function mergeFrame(frame: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...frame };
  for (const key of ['payload', 'data'] as const) {
    const inner = frame[key];
    if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) Object.assign(merged, inner);
  }
  return merged;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Reads one agent run out of the frames a client received, whatever client it
 * is (a ws client in the test process, or the page's own WebSocket). Times are
 * in ms on one clock of the caller's choosing; latencies are taken from the
 * moment the request was sent. Pure: no I/O, no waiting.
 */
export class EventCollector {
  private sentAt: number | undefined;
  private runIdValue: string | undefined;
  /** Every thread_id this run's critical events named, in first-seen order (one, when the platform keeps its thread). */
  private readonly threads: string[] = [];
  private readonly firstArrival = new Map<CriticalEvent, number>();
  private readonly sequence: CriticalEvent[] = [];
  private lastFrameAt: number | undefined;
  private maxGap = 0;
  private agentResponse: string | undefined;
  private completedFrame: Record<string, unknown> | undefined;
  private errorValue: StreamError | undefined;
  private establishedFrame: Record<string, unknown> | undefined;
  private establishedTime: number | undefined;
  private readonly recent: string[] = [];
  private unparsableCount = 0;
  private readonly listeners = new Set<() => void>();

  requestSent(at: number): void {
    this.sentAt = at;
    this.lastFrameAt = at;
  }

  /** Feeds one received frame: its raw text (or parsed value) and arrival time. */
  receive(raw: unknown, at: number): void {
    const frame = this.parse(raw);
    if (frame !== undefined) this.take(frame, at);
    for (const listener of this.listeners) listener();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private parse(raw: unknown): Record<string, unknown> | undefined {
    let value = raw;
    if (typeof raw === 'string') {
      try {
        value = JSON.parse(raw);
      } catch {
        this.unparsableCount++;
        this.note('<unparsable>');
        return undefined;
      }
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') {
      this.unparsableCount++;
      this.note('<no type>');
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  private note(type: string): void {
    this.recent.push(type);
    if (this.recent.length > 10) this.recent.shift();
  }

  private take(frame: Record<string, unknown>, at: number): void {
    const type = frame.type as string;
    const merged = mergeFrame(frame);
    this.note(type);
    if (type === 'connection_established') {
      if (this.establishedFrame === undefined) {
        this.establishedFrame = merged;
        this.establishedTime = at;
      }
      return;
    }
    if (type === 'error_message' && this.establishedFrame === undefined && this.errorValue === undefined) {
      // Before the handshake's welcome, an error is the server refusing us (AUTH_FAILED).
      this.errorValue = { type, code: text(merged.error_code) ?? null, message: text(merged.error_message) ?? '(no message)' };
      return;
    }
    if (this.sentAt === undefined) return;
    if (this.completedFrame === undefined && this.lastFrameAt !== undefined) {
      this.maxGap = Math.max(this.maxGap, at - this.lastFrameAt);
      this.lastFrameAt = at;
    }
    const runId = text(merged.run_id);
    const otherRun = runId !== undefined && this.runIdValue !== undefined && runId !== this.runIdValue;
    if (ERROR_TYPES.has(type)) {
      if (!otherRun && this.errorValue === undefined) {
        this.errorValue = {
          type,
          code: text(merged.error_code) ?? null,
          message: text(merged.error_message) ?? text(merged.message) ?? text(merged.error) ?? '(no message)',
        };
      }
      return;
    }
    if ((CRITICAL_EVENTS as readonly string[]).includes(type)) {
      if (otherRun) return;
      this.runIdValue ??= runId;
      const thread = text(merged.thread_id);
      if (thread !== undefined && !this.threads.includes(thread)) this.threads.push(thread);
      const event = type as CriticalEvent;
      // A long answer streams as thousands of thinking frames: one entry stands for a run of them, so the
      // sequence (and the evidence drawn from it) grows with the stream's shape, not its length.
      if (!(event === 'agent_thinking' && this.sequence.at(-1) === 'agent_thinking')) this.sequence.push(event);
      if (!this.firstArrival.has(event)) this.firstArrival.set(event, at);
      if (event === 'agent_completed') this.completedFrame ??= merged;
      return;
    }
    if (type === 'agent_response' && !otherRun && this.completedFrame === undefined) {
      this.agentResponse = text(merged.content) ?? this.agentResponse;
    }
  }

  get established(): Record<string, unknown> | undefined {
    return this.establishedFrame;
  }
  /** When the request was sent, on the collector's clock. */
  get requestSentAt(): number | undefined {
    return this.sentAt;
  }
  get establishedAt(): number | undefined {
    return this.establishedTime;
  }
  get error(): StreamError | undefined {
    return this.errorValue;
  }
  get completed(): boolean {
    return this.completedFrame !== undefined;
  }
  get runId(): string | undefined {
    return this.runIdValue;
  }
  /** The thread the run's first critical event named (contract §5: agent_started names the thread_id); undefined when none did. */
  get threadId(): string | undefined {
    return this.threads[0];
  }
  /** Every thread id the run's critical events named, first seen first: more than one is a run that changed threads. */
  get threadIds(): readonly string[] {
    return [...this.threads];
  }
  get unparsable(): number {
    return this.unparsableCount;
  }
  /** The last frame types seen, for evidence. */
  get lastTypes(): readonly string[] {
    return [...this.recent];
  }
  /** Critical events of this run in arrival order (a run of agent_thinking frames as one). */
  get arrivals(): readonly CriticalEvent[] {
    return [...this.sequence];
  }

  /** Absolute time of an event's first arrival. */
  firstAt(event: CriticalEvent): number | undefined {
    return this.firstArrival.get(event);
  }

  /** ms from the request to each critical event's first arrival. */
  latencies(): Partial<Record<CriticalEvent, number>> {
    const out: Partial<Record<CriticalEvent, number>> = {};
    if (this.sentAt === undefined) return out;
    for (const event of CRITICAL_EVENTS) {
      const at = this.firstArrival.get(event);
      if (at !== undefined) out[event] = at - this.sentAt;
    }
    return out;
  }

  /** The longest silence between two frames of the stream, from the request to agent_completed. */
  get maxGapMs(): number {
    return this.maxGap;
  }

  answer(): string {
    return this.completedFrame === undefined ? '' : answerFrom(this.completedFrame, this.agentResponse);
  }

  /**
   * Once the run completed: every critical event there, first arrivals in the
   * contract's order, every tool_completed after its tool_executing.
   */
  streamProblem(): StreamProblem | undefined {
    const seen = this.sequence.slice(0, 16);
    const missing = CRITICAL_EVENTS.filter((event) => !this.firstArrival.has(event));
    if (missing.length > 0) {
      return {
        reason: 'event_missing',
        message: `${missing.join(', ')} never arrived`,
        evidence: { missing, seen },
      };
    }
    const firstIndex = CRITICAL_EVENTS.map((event) => this.sequence.indexOf(event));
    for (let i = 1; i < firstIndex.length; i++) {
      if ((firstIndex[i] ?? 0) < (firstIndex[i - 1] ?? 0)) {
        return {
          reason: 'event_order',
          message: `${CRITICAL_EVENTS[i] ?? ''} arrived before ${CRITICAL_EVENTS[i - 1] ?? ''}`,
          evidence: { seen },
        };
      }
    }
    let open = 0;
    for (const event of this.sequence) {
      if (event === 'tool_executing') open++;
      if (event === 'tool_completed') {
        if (open === 0) return { reason: 'event_order', message: 'tool_completed arrived without a tool_executing before it', evidence: { seen } };
        open--;
      }
    }
    if (open > 0) {
      return { reason: 'event_missing', message: `${open} tool_executing without its tool_completed when the run completed`, evidence: { missing: ['tool_completed'], seen } };
    }
    return undefined;
  }
}

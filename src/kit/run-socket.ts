import type { JourneyRun } from './journey-run.js';
import { ProtocolSocket, type OpenOutcome } from './ws-client.js';

/** What a journey's socket needs of its run: the target (its socket URL and CA), the clock, the transcript and the step timeout. */
export type SocketRun = Pick<JourneyRun, 'target' | 'clock' | 'transcript' | 'stepTimeoutMs'>;

export interface RunSocketOptions {
  /** Offered through ws's own subprotocol list (`tokenSubprotocol(token)` for the contract's auth), never as a raw header. */
  readonly protocols: readonly string[];
  /** Extra handshake headers (Authorization for a non-browser client). */
  readonly headers?: Readonly<Record<string, string>>;
  /** ms for the handshake; default the run's step timeout. */
  readonly timeoutMs?: number;
  /** Every frame received, with its time on the run's clock. */
  readonly onFrame?: (data: string, at: number) => void;
}

/**
 * Opens the target's WebSocket for a run, the way every journey should: at
 * the target's socket URL, trusting its private CA (`caFile`), timed on the
 * run's clock and written to its transcript. Resolves to the handshake's
 * outcome as `ProtocolSocket.open` gives it (`handshakeFailure` turns one
 * that is not `open` into the failure it means).
 */
export function openRunSocket(run: SocketRun, options: RunSocketOptions): Promise<OpenOutcome> {
  return ProtocolSocket.open({
    url: run.target.wsUrl,
    protocols: options.protocols,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    timeoutMs: options.timeoutMs ?? run.stepTimeoutMs,
    caFile: run.target.caFile,
    clock: run.clock,
    transcript: run.transcript,
    ...(options.onFrame === undefined ? {} : { onFrame: options.onFrame }),
  });
}

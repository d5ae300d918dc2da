import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Evidence } from '../model/reasons.js';
import { JourneyFailure } from './failure.js';
import { urlWithoutSecrets } from '../secrets/url.js';
import type { Transcript } from './transcript.js';
import { trustedCas, untrustedCertificateFailure } from './tls.js';

export type OpenOutcome =
  | { kind: 'open'; socket: ProtocolSocket }
  | { kind: 'refused'; status: number; body: string; selected: string | null }
  | { kind: 'error'; message: string; selected: string | null; /** Set when the server's certificate was not trusted: the failure that means. */ untrusted?: JourneyFailure }
  | { kind: 'timeout' };

export interface OpenOptions {
  readonly url: string;
  /** Offered through ws's own subprotocol list, never as a raw header (contract §4). */
  readonly protocols: readonly string[];
  /** Extra handshake headers, such as Authorization for a non-browser client; never Sec-WebSocket-Protocol. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** The target's private CA (its `caFile`), trusted for wss beside the system's CAs. */
  readonly caFile?: string | undefined;
  readonly clock: () => number;
  readonly transcript: Transcript;
  readonly onFrame?: (data: string, at: number) => void;
}

/**
 * A ws client that records every frame with a monotonic time as it arrives,
 * for the protocol journeys. Opening never throws for what the target did:
 * the outcome says how the handshake went, with what the server selected
 * (only a `caFile` that cannot be read rejects, as the monitor's error).
 */
// How long a refused handshake's body is read for its words.
const REFUSAL_BODY_MS = 1000;

export class ProtocolSocket {
  readonly closed: Promise<{ code: number; reason: string; at: number }>;
  private closeInfo: { code: number; reason: string; at: number } | undefined;

  private constructor(
    private readonly ws: WebSocket,
    private readonly options: OpenOptions,
  ) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        const at = options.clock();
        this.closeInfo = { code, reason: reason.toString('utf8'), at };
        options.transcript.add({ t: at, dir: 'event', event: 'close', detail: { code, reason: this.closeInfo.reason } });
        resolve(this.closeInfo);
      });
    });
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  get closeState(): { code: number; reason: string; at: number } | undefined {
    return this.closeInfo;
  }

  static open(options: OpenOptions): Promise<OpenOutcome> {
    const { transcript, clock } = options;
    transcript.add({ t: clock(), dir: 'event', event: 'connect', detail: { url: urlWithoutSecrets(options.url), offered: [...options.protocols] } });
    let ca: { ca?: string[] };
    try {
      ca = options.caFile === undefined ? {} : { ca: [...trustedCas(options.caFile)] };
    } catch (error) {
      // An unreadable caFile is the monitor's setup, not the target's doing: the one rejection of open().
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const ws = new WebSocket(options.url, [...options.protocols], { handshakeTimeout: options.timeoutMs, perMessageDeflate: false, headers: { ...options.headers }, ...ca });
    let selected: string | null = null;
    let settled = false;
    return new Promise<OpenOutcome>((resolve) => {
      const settle = (outcome: OpenOutcome) => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      ws.on('upgrade', (res: IncomingMessage) => {
        const header = res.headers['sec-websocket-protocol'];
        selected = typeof header === 'string' ? header : null;
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        const at = clock();
        const text = isBinary ? `<binary ${data.length} bytes>` : data.toString('utf8');
        transcript.add({ t: at, dir: 'in', data: text });
        options.onFrame?.(text, at);
      });
      const socket = new ProtocolSocket(ws, options);
      ws.on('open', () => {
        transcript.add({ t: clock(), dir: 'event', event: 'open', detail: { protocol: ws.protocol } });
        settle({ kind: 'open', socket });
      });
      ws.on('unexpected-response', (_req, res: IncomingMessage) => {
        // The status is the verdict; the body only its words: read for a moment at most, so a refusal whose
        // body stalls or drips is still the refusal it is, at once, and never a hang.
        let body = '';
        const refused = () => {
          clearTimeout(bodyWait);
          transcript.add({ t: clock(), dir: 'event', event: 'refused', detail: { status: res.statusCode ?? 0 } });
          settle({ kind: 'refused', status: res.statusCode ?? 0, body: body.slice(0, 300), selected });
          res.destroy();
          ws.terminate();
        };
        const bodyWait = setTimeout(refused, Math.min(REFUSAL_BODY_MS, options.timeoutMs));
        res.on('data', (chunk: Buffer) => {
          if (body.length < 1000) body += chunk.toString('utf8');
          if (body.length >= 1000) refused();
        });
        res.on('end', refused);
        res.on('error', refused);
      });
      ws.on('error', (error: Error) => {
        transcript.add({ t: clock(), dir: 'event', event: 'error', detail: { message: error.message } });
        const untrusted = untrustedCertificateFailure(error, socketOrigin(options.url));
        if (untrusted !== undefined) settle({ kind: 'error', message: error.message, selected, untrusted });
        else if (/timed out/i.test(error.message)) settle({ kind: 'timeout' });
        else settle({ kind: 'error', message: error.message, selected });
      });
    });
  }

  send(frame: unknown): number {
    const data = JSON.stringify(frame);
    const at = this.options.clock();
    this.ws.send(data);
    this.options.transcript.add({ t: at, dir: 'out', data });
    return at;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000, 'journey done');
  }
}

/**
 * What a failed handshake means, from what a client can see: the status and
 * body of a refusal, the library's complaint about the echoed subprotocol, or
 * a server certificate the client does not trust (`network`, saying so).
 */
export function handshakeFailure(outcome: Exclude<OpenOutcome, { kind: 'open' }>, offered: readonly string[]): JourneyFailure {
  const evidence: Evidence = { offered: offered.map(shortProtocol) };
  switch (outcome.kind) {
    case 'timeout':
      return new JourneyFailure('timeout', 'the WebSocket handshake did not finish in time', evidence);
    case 'refused': {
      const full = { ...evidence, status: outcome.status, body: outcome.body.slice(0, 200) };
      if (outcome.status === 401) return new JourneyFailure('ws_auth', `handshake refused with 401: ${outcome.body.slice(0, 120)}`, full);
      if (/subprotocol/i.test(outcome.body)) return new JourneyFailure('ws_subprotocol', `handshake refused with ${outcome.status}: ${outcome.body.slice(0, 120)}`, full);
      if (/auth/i.test(outcome.body)) return new JourneyFailure('ws_auth', `handshake refused with ${outcome.status}: ${outcome.body.slice(0, 120)}`, full);
      return new JourneyFailure('ws_handshake', `handshake refused with HTTP ${outcome.status}`, full);
    }
    case 'error': {
      if (outcome.untrusted !== undefined) return new JourneyFailure('network', outcome.untrusted.detail, { ...evidence, ...outcome.untrusted.evidence });
      const full = { ...evidence, selected: outcome.selected === null ? null : shortProtocol(outcome.selected), error: outcome.message };
      if (/subprotocol/i.test(outcome.message)) {
        return new JourneyFailure('ws_subprotocol', `server answered subprotocol ${JSON.stringify(outcome.selected === null ? null : shortProtocol(outcome.selected))}, which was not offered: ${outcome.message}`, full);
      }
      return new JourneyFailure('network', `WebSocket failed: ${outcome.message}`, full);
    }
  }
}

/** The origin of a socket URL (`wss://host:port`), for messages: never its path or query, which may hold a token. */
function socketOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the socket URL';
  }
}

/** A subprotocol for evidence: the prefix and a few characters, never the whole token. */
export function shortProtocol(protocol: string): string {
  const dot = protocol.indexOf('.');
  return dot < 0 ? protocol : `${protocol.slice(0, dot + 1)}…(${protocol.length - dot - 1} chars)`;
}

/** What a close before connection_established means (contract §4 close codes). */
export function earlyCloseFailure(code: number, reason: string, lastTypes: readonly string[], authFailed: boolean): JourneyFailure {
  const evidence: Evidence = { closeCode: code, closeReason: reason, lastFrames: [...lastTypes] };
  if (code === 1008 || authFailed) return new JourneyFailure('ws_auth', `server closed ${code} "${reason}" before connection_established`, evidence);
  if (code === 1003) return new JourneyFailure('ws_subprotocol', `server closed 1003 "${reason}": no supported subprotocol`, evidence);
  return new JourneyFailure('ws_closed', `server closed ${code} "${reason}" before connection_established`, evidence);
}

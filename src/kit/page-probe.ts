import type { Page, WebSocket as PwWebSocket } from '@playwright/test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JourneyRun } from './journey-run.js';
import type { EventCollector } from './event-collector.js';

/** What the page's own WebSocket did, recorded inside the page (times are epoch ms, page clock). */
export interface PageSocket {
  readonly url: string;
  readonly offered: string[];
  readonly createdAt: number;
  readonly openAt: number | null;
  readonly protocol: string | null;
  readonly errorAt: number | null;
  readonly close: { code: number; reason: string; wasClean: boolean; t: number } | null;
  readonly frames: { dir: 'in' | 'out'; t: number; data: string }[];
}

interface PageRecord {
  sockets: PageSocket[];
  mutations: { t: number; text: string }[];
}

/**
 * Runs in the page before its own scripts: wraps WebSocket so every frame,
 * both ways, is stamped with the page's clock as the page sees it, with the
 * offered and negotiated subprotocols and the close; and logs when text
 * appears in the DOM, so the answer's render time is the page's, too.
 * Playwright relays frame events to the test process late (tens of ms), so
 * times are never taken there.
 */
function installProbe(): void {
  const w = window as unknown as { __gpmon?: PageRecord; WebSocket: typeof WebSocket };
  if (w.__gpmon !== undefined) return;
  const record: PageRecord = { sockets: [], mutations: [] };
  w.__gpmon = record;
  const now = () => performance.timeOrigin + performance.now();
  const Native = w.WebSocket;
  const entries = new WeakMap<WebSocket, PageSocket>();
  const MAX_FRAMES = 2000;
  class ProbedWebSocket extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      const entry: PageSocket = {
        url: String(url),
        offered: protocols === undefined ? [] : ([] as string[]).concat(protocols),
        createdAt: now(),
        openAt: null,
        protocol: null,
        errorAt: null,
        close: null,
        frames: [],
      };
      const mutable = entry as { -readonly [K in keyof PageSocket]: PageSocket[K] };
      entries.set(this, entry);
      record.sockets.push(entry);
      // Listeners added here run before the app's own, so the stamp is the arrival.
      this.addEventListener('open', () => {
        mutable.openAt = now();
        mutable.protocol = this.protocol;
      });
      this.addEventListener('message', (event: MessageEvent) => {
        if (entry.frames.length < MAX_FRAMES) entry.frames.push({ dir: 'in', t: now(), data: typeof event.data === 'string' ? event.data : '<binary>' });
      });
      this.addEventListener('error', () => {
        mutable.errorAt = now();
      });
      this.addEventListener('close', (event: CloseEvent) => {
        mutable.close = { code: event.code, reason: event.reason, wasClean: event.wasClean, t: now() };
      });
    }
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      const entry = entries.get(this);
      if (entry !== undefined && entry.frames.length < MAX_FRAMES) entry.frames.push({ dir: 'out', t: now(), data: typeof data === 'string' ? data : '<binary>' });
      super.send(data);
    }
  }
  w.WebSocket = ProbedWebSocket;
  const MAX_MUTATIONS = 2000;
  new MutationObserver((mutations) => {
    const t = now();
    for (const mutation of mutations) {
      if (record.mutations.length >= MAX_MUTATIONS) return;
      const texts = mutation.type === 'characterData' ? [mutation.target.textContent ?? ''] : [...mutation.addedNodes].map((node) => node.textContent ?? '');
      for (const text of texts) if (text.trim() !== '') record.mutations.push({ t, text: text.slice(0, 4000) });
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
}

/**
 * The test process's view of the probe: it reads the page's record, feeds
 * new frames to the collector with their page times on the run's clock, and
 * keeps what Playwright itself saw (handshake errors, console and page errors).
 */
export class PageProbe {
  readonly consoleErrors: string[] = [];
  readonly pageErrors: string[] = [];
  readonly socketErrors: string[] = [];
  private fed = 0;
  private socketIndex: number | undefined;
  private last: PageSocket | undefined;

  private constructor(
    private readonly page: Page,
    private readonly run: JourneyRun,
  ) {}

  static async install(page: Page, run: JourneyRun): Promise<PageProbe> {
    const probe = new PageProbe(page, run);
    // Sent as source: a transpiler that keeps function names (esbuild, under tsx) wraps classes in a
    // `__name()` helper the page does not have, so the script brings a no-op one in its own scope.
    await page.addInitScript({ content: `(() => { const __name = (target) => target; (${installProbe.toString()})(); })();` });
    page.on('console', (message) => {
      if (message.type() === 'error' && probe.consoleErrors.length < 100) probe.consoleErrors.push(message.text().slice(0, 500));
    });
    page.on('pageerror', (error) => {
      if (probe.pageErrors.length < 100) probe.pageErrors.push(`${error.name}: ${error.message}`.slice(0, 500));
    });
    page.on('websocket', (socket: PwWebSocket) => {
      socket.on('socketerror', (message: string) => {
        probe.socketErrors.push(message.slice(0, 500));
      });
    });
    return probe;
  }

  /** The page's live-channel socket: the newest one whose URL is the target's WebSocket. */
  get socket(): PageSocket | undefined {
    return this.last;
  }

  private async read(): Promise<PageRecord | undefined> {
    try {
      return await this.page.evaluate(() => (window as unknown as { __gpmon?: PageRecord }).__gpmon);
    } catch (error) {
      // A crashed or closed page is the monitor's fault and must surface as such.
      if (this.page.isClosed() || /closed|crash/i.test(error instanceof Error ? error.message : String(error))) throw error;
      // A navigation in progress: read again on the next poll.
      return undefined;
    }
  }

  /** Pulls the page's record and feeds frames not yet fed to the collector. */
  async pump(collector: EventCollector): Promise<void> {
    const record = await this.read();
    if (record === undefined) return;
    const wsUrl = `${this.run.target.wsUrl}/ws`;
    const candidates = record.sockets.map((socket, index) => ({ socket, index })).filter(({ socket }) => socket.url.startsWith(wsUrl));
    const newest = candidates.at(-1);
    if (newest === undefined) return;
    if (this.socketIndex !== newest.index) {
      this.socketIndex = newest.index;
      this.fed = 0;
    }
    this.last = newest.socket;
    const frames = newest.socket.frames;
    // Frames in page order, the request included: an event that arrives before
    // this poll saw the request still counts from the request.
    for (; this.fed < frames.length; this.fed++) {
      const frame = frames[this.fed];
      if (frame === undefined) continue;
      if (frame.dir === 'in') collector.receive(frame.data, this.run.fromEpoch(frame.t));
      else if (collector.requestSentAt === undefined && REQUEST_FRAME.test(frame.data)) collector.requestSent(this.run.fromEpoch(frame.t));
    }
  }

  /** Polls until `done()` holds, the socket closes, or time runs out. Poll latency never enters a measurement. */
  async waitFor(collector: EventCollector, done: () => boolean, timeoutMs: number): Promise<'ok' | 'closed' | 'timeout'> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      await this.pump(collector);
      if (done()) return 'ok';
      if (this.last?.close != null) return 'closed';
      if (performance.now() >= deadline) return 'timeout';
      await sleep(15);
    }
  }

  /** When text containing `snippet` first appeared in the page (run clock), if it did. */
  async appearedAt(snippet: string): Promise<number | undefined> {
    const record = await this.read();
    const needle = normalise(snippet);
    const hit = record?.mutations.find((mutation) => normalise(mutation.text).includes(needle));
    return hit === undefined ? undefined : this.run.fromEpoch(hit.t);
  }

  /** When the page's own clock says now, on the run clock. */
  async pageNow(): Promise<number> {
    return this.run.fromEpoch(await this.page.evaluate(() => performance.timeOrigin + performance.now()));
  }

  /** Waits briefly for Playwright to relay the browser's handshake error, which can trail the page's close. */
  async settleSocketError(ms = 500): Promise<void> {
    const deadline = performance.now() + ms;
    while (this.socketErrors.length === 0 && performance.now() < deadline) await sleep(20);
  }

  /** Writes the page's socket activity into the run's transcript (page times on the run clock). */
  async transcribe(): Promise<void> {
    const record = await this.read();
    for (const socket of record?.sockets ?? []) {
      const t = (epoch: number) => this.run.fromEpoch(epoch);
      this.run.transcript.add({ t: t(socket.createdAt), dir: 'event', event: 'connect', detail: { url: socket.url, offered: socket.offered } });
      if (socket.openAt !== null) this.run.transcript.add({ t: t(socket.openAt), dir: 'event', event: 'open', detail: { protocol: socket.protocol } });
      if (socket.errorAt !== null) this.run.transcript.add({ t: t(socket.errorAt), dir: 'event', event: 'error', detail: { socketErrors: this.socketErrors } });
      for (const frame of socket.frames) this.run.transcript.add({ t: t(frame.t), dir: frame.dir, data: frame.data });
      if (socket.close !== null) this.run.transcript.add({ t: t(socket.close.t), dir: 'event', event: 'close', detail: { code: socket.close.code, reason: socket.close.reason } });
    }
  }
}

const REQUEST_FRAME = /"type"\s*:\s*"(start_agent|user_message)"/;

export function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

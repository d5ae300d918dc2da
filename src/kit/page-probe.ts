import type { Page, Request, WebSocket as PwWebSocket } from '@playwright/test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JourneyRun } from './journey-run.js';
import type { EventCollector } from './event-collector.js';
import { JourneyFailure } from './failure.js';
import { urlWithoutSecrets } from '../secrets/url.js';
import { raceTimeout } from '../time/race-timeout.js';

/** One frame of the page's socket, stamped in the page (epoch ms, page clock); `seq` counts from 1 per socket. */
export interface PageFrame {
  readonly seq: number;
  readonly dir: 'in' | 'out';
  readonly t: number;
  readonly data: string;
}

/** What the page's own WebSocket did, recorded inside the page (times are epoch ms, page clock). */
export interface PageSocket {
  readonly url: string;
  readonly offered: string[];
  readonly createdAt: number;
  readonly openAt: number | null;
  readonly protocol: string | null;
  readonly errorAt: number | null;
  readonly close: { code: number; reason: string; wasClean: boolean; t: number } | null;
  /** When the page's own code closed the socket while it was still connecting (it gave up waiting for the upgrade's answer). */
  readonly abandonedAt: number | null;
  /** Frames recorded so far, both ways. */
  readonly seq: number;
  /** Read through Playwright's relay (opened outside the page's scripts): open, subprotocol and close code unseen. */
  readonly relayed?: true;
}

/** A socket as the page keeps it: its first frames, the frames not yet read, and a tail of read ones. */
interface PageSocketRecord extends PageSocket {
  readonly head: PageFrame[];
  readonly recent: PageFrame[];
  /** The last seq the monitor has read. */
  read: number;
  /** Read frames let go (neither head nor tail): counted, never silently. */
  dropped: number;
}

interface PageRecord {
  /** Names this document's record: a navigation starts a new one. */
  doc: string;
  /** The socket the request went out on (its index), marked in the page as it is sent. */
  carrier: number | null;
  sockets: PageSocketRecord[];
  mutations: { t: number; text: string }[];
  mutationsDropped: number;
}

/** What one poll brings back (as JSON): every socket's state, and the chosen socket's frames the monitor has not acknowledged. */
interface PageRead {
  readonly doc: string;
  readonly sockets: PageSocket[];
  readonly chosen: number | null;
  readonly frames: PageFrame[];
  /** Sockets on the live channel's path. */
  readonly live: number;
  /** How the chosen socket was recognised: the configured URL, or only its path (another host name). */
  readonly matchedBy: 'url' | 'path';
}

/** The last frame the monitor processed: the page lets go of frames only up to it. */
interface Ack {
  readonly doc: string;
  readonly index: number;
  readonly seq: number;
}

/**
 * Runs in the page before its own scripts: wraps WebSocket so every frame,
 * both ways, is stamped with the page's clock as the page sees it, with the
 * offered and negotiated subprotocols and the close; and logs when text
 * appears in the DOM, so the answer's render time is the page's, too.
 * Playwright relays frame events to the test process late (tens of ms), so
 * times are never taken there.
 *
 * Memory stays bounded on a long stream (thousands of thinking frames, a
 * flood of heartbeats) without losing what decides the verdict: a frame is
 * let go only once the monitor has read it, and then only if it is neither
 * among the first HEAD_FRAMES nor the last TAIL_FRAMES; what is let go is
 * counted. DOM text is kept the same way, head and tail.
 */
function installProbe(): void {
  const w = window as unknown as { __gpmon?: PageRecord; WebSocket: typeof WebSocket };
  if (w.__gpmon !== undefined) return;
  const record: PageRecord = { doc: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`, carrier: null, sockets: [], mutations: [], mutationsDropped: 0 };
  // The request frame of the contract (start_agent, or a follow-up user_message): the socket it goes out on carries the run.
  const REQUEST = /"type"\s*:\s*"(start_agent|user_message)"/;
  w.__gpmon = record;
  const now = () => performance.timeOrigin + performance.now();
  const Native = w.WebSocket;
  const entries = new WeakMap<WebSocket, PageSocketRecord>();
  const HEAD_FRAMES = 200;
  const TAIL_FRAMES = 1000;
  const MAX_FRAME_CHARS = 16_384;
  const keep = (entry: PageSocketRecord, dir: 'in' | 'out', data: string) => {
    const mutable = entry as { seq: number };
    mutable.seq += 1;
    const frame = { seq: entry.seq, dir, t: now(), data: data.length > MAX_FRAME_CHARS ? `${data.slice(0, MAX_FRAME_CHARS)}…` : data };
    if (entry.head.length < HEAD_FRAMES) {
      entry.head.push(frame);
      return;
    }
    entry.recent.push(frame);
    if (entry.recent.length > TAIL_FRAMES * 2) trim(entry);
  };
  // Only frames already read may go, oldest first, down to the tail; in one splice, so a flood costs O(1) a frame.
  const trim = (entry: PageSocketRecord) => {
    const limit = entry.recent.length - TAIL_FRAMES;
    let cut = 0;
    while (cut < limit && (entry.recent[cut]?.seq ?? Infinity) <= entry.read) cut++;
    if (cut > 0) {
      entry.recent.splice(0, cut);
      entry.dropped += cut;
    }
  };
  class ProbedWebSocket extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      const entry: PageSocketRecord = {
        // The URL as the browser resolved it (a page may pass a relative one).
        url: this.url,
        offered: protocols === undefined ? [] : ([] as string[]).concat(protocols),
        createdAt: now(),
        openAt: null,
        protocol: null,
        errorAt: null,
        close: null,
        abandonedAt: null,
        seq: 0,
        head: [],
        recent: [],
        read: 0,
        dropped: 0,
      };
      const mutable = entry as { -readonly [K in keyof PageSocketRecord]: PageSocketRecord[K] };
      entries.set(this, entry);
      record.sockets.push(entry);
      // Listeners added here run before the app's own, so the stamp is the arrival.
      this.addEventListener('open', () => {
        mutable.openAt = now();
        mutable.protocol = this.protocol;
      });
      this.addEventListener('message', (event: MessageEvent) => {
        keep(entry, 'in', typeof event.data === 'string' ? event.data : '<binary>');
      });
      this.addEventListener('error', () => {
        mutable.errorAt = now();
      });
      this.addEventListener('close', (event: CloseEvent) => {
        mutable.close = { code: event.code, reason: event.reason, wasClean: event.wasClean, t: now() };
      });
    }
    override close(code?: number, reason?: string): void {
      const entry = entries.get(this) as { abandonedAt: number | null } | undefined;
      if (entry !== undefined && this.readyState === Native.CONNECTING) entry.abandonedAt = now();
      super.close(code, reason);
    }
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      const entry = entries.get(this);
      if (entry !== undefined) keep(entry, 'out', typeof data === 'string' ? data : '<binary>');
      if (entry !== undefined && record.carrier === null && typeof data === 'string' && REQUEST.test(data)) record.carrier = record.sockets.indexOf(entry);
      super.send(data);
    }
  }
  w.WebSocket = ProbedWebSocket;
  const HEAD_MUTATIONS = 200;
  const TAIL_MUTATIONS = 1800;
  new MutationObserver((mutations) => {
    const t = now();
    for (const mutation of mutations) {
      const texts = mutation.type === 'characterData' ? [mutation.target.textContent ?? ''] : [...mutation.addedNodes].map((node) => node.textContent ?? '');
      for (const text of texts) {
        if (text.trim() === '') continue;
        record.mutations.push({ t, text: text.slice(0, 4000) });
        // Let go of the middle in one splice once the tail has doubled: O(1) a mutation, not a splice each.
        if (record.mutations.length > HEAD_MUTATIONS + TAIL_MUTATIONS * 2) {
          const cut = record.mutations.length - HEAD_MUTATIONS - TAIL_MUTATIONS;
          record.mutations.splice(HEAD_MUTATIONS, cut);
          record.mutationsDropped += cut;
        }
      }
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
}

/**
 * Runs in the page at each poll: the state of every socket, and the frames
 * of the chosen one (the carrier once the request went out, else the newest
 * on the live channel's URL) after the last one the monitor acknowledged. A
 * reply lost on the way (a navigation, a slow page) is sent again.
 */
function readProbe(args: { origin: string; path: string; ack: Ack | null }): string | undefined {
  const record = (window as unknown as { __gpmon?: PageRecord }).__gpmon;
  if (record === undefined) return undefined;
  const acked = args.ack !== null && args.ack.doc === record.doc ? record.sockets[args.ack.index] : undefined;
  if (acked !== undefined && args.ack !== null) acked.read = Math.max(acked.read, args.ack.seq);
  const sockets = record.sockets.map((s) => ({ url: s.url, offered: s.offered, createdAt: s.createdAt, openAt: s.openAt, protocol: s.protocol, errorAt: s.errorAt, close: s.close, abandonedAt: s.abandonedAt, seq: s.seq }));
  // The live channel: the configured socket URL's origin and path (its query aside); failing that, a socket on
  // the same path at another host name (the page's own spelling of the API host), said so in `matchedBy`.
  // (No named closures here: a transpiler that keeps names would wrap them in a helper the page does not have.)
  const places: ({ origin: string; path: string } | undefined)[] = [];
  for (const socket of record.sockets) {
    try {
      const parsed = new URL(socket.url);
      places.push({ origin: parsed.origin, path: parsed.pathname.replace(/\/+$/, '') });
    } catch {
      places.push(undefined);
    }
  }
  let exact: number | null = null;
  let samePath: number | null = null;
  let live = 0;
  for (let i = 0; i < places.length; i++) {
    const place = places[i];
    if (place?.path !== args.path) continue;
    live += 1;
    samePath = i;
    if (place.origin === args.origin) exact = i;
  }
  const byPath: number | null = exact === null ? samePath : null;
  const matchedBy: 'url' | 'path' = exact === null && byPath !== null ? 'path' : 'url';
  const chosen: number | null = record.carrier ?? exact ?? byPath;
  // The monitor reads only the chosen socket: the others' frames count as read, so their tails stay bounded too.
  for (let i = 0; i < record.sockets.length; i++) {
    const other = record.sockets[i];
    if (i !== chosen && other !== undefined) other.read = other.seq;
  }
  const entry = chosen === null ? undefined : record.sockets[chosen];
  // As one JSON string: Playwright carries a string at native speed, where an array of thousands of frame
  // objects goes through its serialiser and protocol validation value by value (a flood's polls fall behind).
  if (entry === undefined) return JSON.stringify({ doc: record.doc, sockets, chosen: null, frames: [], live, matchedBy });
  const from = entry.read;
  const frames = entry.head.filter((f) => f.seq > from).concat(entry.recent.filter((f) => f.seq > from));
  return JSON.stringify({ doc: record.doc, sockets, chosen, frames, live, matchedBy });
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
  /** The last frame processed, per document: acknowledged at the next poll. */
  private ack: Ack | null = null;
  /** How many live-channel sockets the page opened, when more than one (reconnects). */
  socketsSeen = 1;
  private last: PageSocket | undefined;
  /** Every WebSocket the browser opened for this page, as Playwright relays them: a worker's and a frame's too. */
  private readonly relayed: RelayedSocket[] = [];
  /** When the page last answered an evaluation (performance.now()): how long a silent page has been silent. */
  private lastAnswerAt = performance.now();
  /** The relayed socket read as the live channel, when the page's own scripts opened none. */
  private relayedLive: RelayedSocket | undefined;
  /** Frames of the relayed live socket let go before they were read (it outran the polls by RELAY_PENDING_MAX). */
  private relayedDropped = 0;
  /** The page's calls to the target (app, auth and API origins) still in flight, in the order they were made. */
  private readonly inFlight = new Map<Request, PendingCall>();

  /** Written once: by the journey, or when its body ends. */
  private transcribed = false;

  private constructor(
    private readonly page: Page,
    private readonly run: JourneyRun,
  ) {}

  static async install(page: Page, run: JourneyRun): Promise<PageProbe> {
    const probe = new PageProbe(page, run);
    // The page's socket activity reaches the transcript whatever the journey does: written once its body ends.
    run.whenBodyEnds(() => probe.transcribe());
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
      if (probe.relayed.length < 100) probe.relayed.push(relay(socket));
    });
    const { appUrl, authUrl, apiUrl } = run.target;
    const origins = new Set([appUrl, authUrl, apiUrl].map((url) => new URL(url).origin));
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (origins.has(url.origin)) probe.inFlight.set(request, { method: request.method(), origin: url.origin, path: url.pathname, status: null, startedAt: performance.now() });
    });
    page.on('response', (response) => {
      const call = probe.inFlight.get(response.request());
      if (call === undefined) return;
      // A stream the app keeps open on purpose (server-sent events) never finishes, and is no stall.
      if (/^text\/event-stream/i.test(response.headers()['content-type'] ?? '')) probe.inFlight.delete(response.request());
      else call.status = response.status();
    });
    const done = (request: Request) => probe.inFlight.delete(request);
    page.on('requestfinished', done);
    page.on('requestfailed', done);
    return probe;
  }

  /**
   * The page's oldest call to the target that has not finished (no answer, or headers and then a stalled
   * body) and has waited long enough to be the cause: why a page that answers still does not show what a
   * user needs, in a step that ran out its `stepTimeoutMs`. A call of the step's last second (of its last
   * half, on a short step) is no cause: a page only slow to load its assets is not a target that hung.
   */
  stalledCall(stepTimeoutMs: number): PendingCall | undefined {
    const minMs = Math.min(STALLED_CALL_MIN_MS, stepTimeoutMs / 2);
    const now = performance.now();
    for (const call of this.inFlight.values()) if (now - call.startedAt >= minMs) return call;
    return undefined;
  }

  /** A stalled call as the step's failure: the target's `timeout` where it hung (design.md), not the page's `ui`. */
  stalledFailure(call: PendingCall, stepTimeoutMs: number): JourneyFailure {
    const waited = Math.round(performance.now() - call.startedAt);
    const answered = call.status === null ? 'did not answer' : `answered ${call.status} but did not finish its body`;
    return new JourneyFailure('timeout', `the page's ${call.method} ${call.path} ${answered} in ${waited} ms (step timeout ${stepTimeoutMs} ms)`, {
      method: call.method,
      origin: call.origin,
      path: call.path,
      status: call.status,
      waitedMs: waited,
    });
  }

  /**
   * Sockets the browser opened for this page that its main frame's scripts did not: a Web Worker's, or a
   * frame's. The probe cannot read their frames; a failure that would blame the page must say so instead.
   */
  socketsOutOfSight(): string[] {
    return this.relayed.filter((socket) => socket.sight === 'outside').map((socket) => urlWithoutSecrets(socket.url));
  }

  /**
   * When the page's own scripts opened no live socket, but the browser did (a Web Worker's, a frame's): that
   * socket is read through Playwright's relay, its frames timed as they reach this process (tens of ms late),
   * its subprotocol and close code unseen. The record says so (`socketRelayed`); the page is not blamed.
   */
  private pumpRelayed(collector: EventCollector, where: { origin: string; path: string }): void {
    const live = this.relayed.filter((socket) => socket.sight === 'outside' && onPath(socket.url, where));
    const socket = live.at(-1);
    if (socket === undefined) return;
    if (live.length > 1) this.socketsSeen = live.length;
    if (this.relayedLive !== socket) {
      this.relayedLive = socket;
      this.run.transcript.add({ t: this.run.fromEpoch(socket.createdAt), dir: 'event', event: 'connect', detail: { url: urlWithoutSecrets(socket.url), relayed: true } });
      this.run.mark('socketRelayed', {
        url: urlWithoutSecrets(socket.url),
        why: "opened outside the page's own scripts (a Web Worker or a frame): read through Playwright's relay, times tens of ms late, subprotocol and close code not visible",
      });
    }
    const taken = socket.take();
    const first = taken.frames[0];
    if (taken.dropped > 0 && first !== undefined) {
      this.run.transcript.add({ t: this.run.fromEpoch(first.t), dir: 'event', event: 'frames_dropped', detail: { frames: taken.dropped, relayed: true } });
      this.relayedDropped += taken.dropped;
      this.run.mark('relayedFramesDropped', this.relayedDropped);
    }
    for (const frame of taken.frames) {
      const t = this.run.fromEpoch(frame.t);
      this.run.transcript.add({ t, dir: frame.dir, data: frame.data });
      if (frame.dir === 'in') collector.receive(frame.data, t);
      else if (collector.requestSentAt === undefined && REQUEST_FRAME.test(frame.data)) collector.requestSent(t);
    }
    this.last = socket.state();
  }

  /** The page's live-channel socket: the one the request went out on, or before that the newest on the target's socket URL. */
  get socket(): PageSocket | undefined {
    return this.last;
  }

  /**
   * Evaluates in the page; undefined while a navigation replaces the document
   * (read again at the next poll), or when the page does not answer within
   * `ms` (a frozen page must not hold the run past its step).
   */
  private async inPage<T>(evaluation: Promise<T>, ms = 3000): Promise<T | undefined> {
    try {
      const answer = await raceTimeout(evaluation, ms, undefined);
      if (answer !== undefined) this.lastAnswerAt = performance.now();
      return answer;
    } catch (error) {
      // A crashed or closed page is the monitor's fault and must surface as such.
      if (this.page.isClosed() || /closed|crash/i.test(error instanceof Error ? error.message : String(error))) throw error;
      return undefined;
    }
  }

  /** Pulls the frames the page recorded since the last one processed and feeds them to the collector, in page order. */
  async pump(collector: EventCollector): Promise<void> {
    const configured = new URL(this.run.target.wsUrl);
    // Until the request goes out, the page's newest socket is its live channel (a page may reconnect while it
    // starts). Once the request went out on a socket (marked in the page as it is sent), that socket carries the
    // run: its answer can only come there, and its close is the run's failure even if the page opens another.
    const where = { origin: configured.origin, path: configured.pathname.replace(/\/+$/, '') };
    const pollStartedAt = epochNow();
    const json = await this.inPage(this.page.evaluate(readProbe, { ...where, ack: this.ack }));
    const read = json === undefined ? undefined : (JSON.parse(json) as PageRead);
    if (read === undefined) return;
    // A socket the browser reported before this read began, and the page's record does not hold, was not
    // opened by the page's own scripts (a Web Worker's, a frame's). The others need no relay.
    const own = new Set(read.sockets.map((socket) => socket.url));
    for (const socket of this.relayed) {
      if (socket.sight !== 'unknown' || socket.createdAt >= pollStartedAt) continue;
      socket.sight = own.has(socket.url) ? 'page' : 'outside';
      if (socket.sight === 'page') socket.stop();
    }
    if (read.chosen === null) {
      this.pumpRelayed(collector, where);
      return;
    }
    if (read.live > 1) this.socketsSeen = read.live;
    this.last = read.sockets[read.chosen];
    if (read.matchedBy === 'path' && this.last !== undefined) this.run.mark('pageSocketUrl', urlWithoutSecrets(this.last.url));
    // A frame already processed comes again only when its acknowledgement was lost: it is skipped.
    const processed = this.ack !== null && this.ack.doc === read.doc && this.ack.index === read.chosen ? this.ack.seq : 0;
    for (const frame of read.frames) {
      if (frame.seq <= processed) continue;
      if (frame.dir === 'in') collector.receive(frame.data, this.run.fromEpoch(frame.t));
      else if (collector.requestSentAt === undefined && REQUEST_FRAME.test(frame.data)) collector.requestSent(this.run.fromEpoch(frame.t));
      this.ack = { doc: read.doc, index: read.chosen, seq: frame.seq };
    }
  }

  /**
   * Polls until `done()` holds, the socket closes, or time runs out. Poll
   * latency never enters a measurement. A page whose main thread does not
   * yield cannot be read: that is a `timeout` of the step, thrown when its
   * time runs out, never a wait past it.
   */
  async waitFor(collector: EventCollector, done: () => boolean, timeoutMs: number): Promise<'ok' | 'closed' | 'timeout'> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const pumped = await raceTimeout(this.pump(collector).then(() => true), Math.max(0, deadline - performance.now()) + 50, false);
      if (!pumped) {
        // A page that answers was only slow to read: the step's own verdict stands.
        if (await this.responsive()) return 'timeout';
        // How long the page has been silent, not the whole wait: a page busy with a flood still answers now and then.
        throw this.frozenFailure(Math.round(performance.now() - this.lastAnswerAt));
      }
      if (done()) return 'ok';
      if (this.last?.close != null) return 'closed';
      if (performance.now() >= deadline) return 'timeout';
      await sleep(15);
    }
  }

  /** When text containing `snippet` first appeared in the page (run clock), if it did. */
  async appearedAt(snippet: string): Promise<number | undefined> {
    // As JSON, like every bulk read of the record (see readProbe).
    const json = await this.inPage(this.page.evaluate(() => JSON.stringify((window as unknown as { __gpmon?: PageRecord }).__gpmon?.mutations ?? [])));
    const mutations = json === undefined ? undefined : (JSON.parse(json) as PageRecord['mutations']);
    const needle = normalise(snippet);
    const hit = mutations?.find((mutation) => normalise(mutation.text).includes(needle));
    return hit === undefined ? undefined : this.run.fromEpoch(hit.t);
  }

  /** Whether the page's main thread answers within `ms` (a frozen page does not). */
  async responsive(ms = 1000): Promise<boolean> {
    return raceTimeout(this.page.evaluate(() => true).catch(() => true), ms, false);
  }

  /** The failure of a page that stopped answering: the target's page, at the step where it froze. */
  frozenFailure(waitedMs?: number, what?: string): JourneyFailure {
    const how =
      waitedMs !== undefined
        ? `it has not answered the monitor for ${Math.round(waitedMs)} ms (its main thread busy or frozen)`
        : `its main thread does not yield (${what ?? 'an action timed out'})`;
    return new JourneyFailure('timeout', `the page stopped responding: ${how}`, { pageResponsive: false, pageErrors: this.pageErrors.slice(0, 3) });
  }

  /**
   * When the page's own clock says now, on the run clock. Throws the frozen-page failure when the page does
   * not answer within `ms` (give it the step's time left: a page busy with a flood of frames is slow, not frozen).
   */
  async pageNow(ms = 3000): Promise<number> {
    const now = await this.inPage(this.page.evaluate(() => performance.timeOrigin + performance.now()), ms);
    if (now === undefined) throw this.frozenFailure(ms);
    return this.run.fromEpoch(now);
  }

  /** The page's localStorage values for `keys` (null where unset). Throws the frozen-page failure when the page does not answer within `ms`. */
  async stored(keys: readonly string[], ms = 3000): Promise<(string | null)[]> {
    const values = await this.inPage(this.page.evaluate((names) => names.map((name) => localStorage.getItem(name)), [...keys]), ms);
    if (values === undefined) throw this.frozenFailure(ms);
    return values;
  }

  /** Waits briefly for Playwright to relay the browser's handshake error, which can trail the page's close. */
  async settleSocketError(ms = 500): Promise<void> {
    const deadline = performance.now() + ms;
    while (this.socketErrors.length === 0 && performance.now() < deadline) await sleep(20);
  }

  /**
   * Writes the page's socket activity into the run's transcript (page times
   * on the run clock): every socket's head and tail, with a line that counts
   * the frames let go between them. Marks the count (`droppedFrames`).
   */
  async transcribe(): Promise<void> {
    if (this.transcribed) return;
    this.transcribed = true;
    const json = await this.inPage(this.page.evaluate(() => JSON.stringify((window as unknown as { __gpmon?: PageRecord }).__gpmon ?? null)));
    const record = json === undefined ? undefined : (JSON.parse(json) as PageRecord | null);
    let dropped = 0;
    const t = (epoch: number) => this.run.fromEpoch(epoch);
    for (const socket of record?.sockets ?? []) {
      this.run.transcript.add({ t: t(socket.createdAt), dir: 'event', event: 'connect', detail: { url: urlWithoutSecrets(socket.url), offered: socket.offered } });
      if (socket.openAt !== null) this.run.transcript.add({ t: t(socket.openAt), dir: 'event', event: 'open', detail: { protocol: socket.protocol } });
      if (socket.errorAt !== null) this.run.transcript.add({ t: t(socket.errorAt), dir: 'event', event: 'error', detail: { socketErrors: this.socketErrors } });
      for (const frame of socket.head) this.run.transcript.add({ t: t(frame.t), dir: frame.dir, data: frame.data });
      const first = socket.recent[0];
      if (socket.dropped > 0 && first !== undefined) this.run.transcript.add({ t: t(first.t), dir: 'event', event: 'frames_dropped', detail: { frames: socket.dropped } });
      for (const frame of socket.recent) this.run.transcript.add({ t: t(frame.t), dir: frame.dir, data: frame.data });
      if (socket.close !== null) this.run.transcript.add({ t: t(socket.close.t), dir: 'event', event: 'close', detail: { code: socket.close.code, reason: socket.close.reason } });
      dropped += socket.dropped;
    }
    if (dropped > 0) this.run.mark('droppedFrames', dropped);
  }
}

/** A call of the page to one of the target's origins, not finished yet. */
export interface PendingCall {
  readonly method: string;
  readonly origin: string;
  readonly path: string;
  /** The answer's status once its headers arrived; null before. */
  status: number | null;
  /** performance.now() in the test process when the page made it. */
  readonly startedAt: number;
}

const REQUEST_FRAME = /"type"\s*:\s*"(start_agent|user_message)"/;

/** How long a call of the page must have waited, when a step fails, to be the reason the page waits. */
const STALLED_CALL_MIN_MS = 1000;

/** Epoch ms in this process, on the same footing as a page's timeOrigin + now. */
function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

function onPath(url: string, where: { origin: string; path: string }): boolean {
  try {
    return new URL(url).pathname.replace(/\/+$/, '') === where.path;
  } catch {
    return false;
  }
}

/** Frames a relay holds before a poll decides whether its socket is the page's own; beyond, the oldest go. */
const RELAY_PENDING_MAX = 50_000;

/**
 * A WebSocket of the page as Playwright relays it: frames, both ways, stamped as they reach this process,
 * kept until taken, and only until a poll finds the socket in the page's own record (then the page's
 * probe reads it, with the page's times).
 */
interface RelayedSocket {
  readonly url: string;
  /** Epoch ms when the relay reported the socket. */
  readonly createdAt: number;
  /** Whose socket: not yet known, the page's own scripts', or opened outside them. */
  sight: 'unknown' | 'page' | 'outside';
  /** The frames since the last take, in arrival order, and how many were let go before them (counted, never silently). */
  take(): { frames: { dir: 'in' | 'out'; t: number; data: string }[]; dropped: number };
  /** The socket's state as the page probe reports one (no subprotocol: the relay does not carry it). */
  state(): PageSocket;
  /** Stops keeping frames: the page's own record has the socket. */
  stop(): void;
}

function relay(socket: PwWebSocket): RelayedSocket {
  const createdAt = epochNow();
  let pending: { dir: 'in' | 'out'; t: number; data: string }[] = [];
  let dropped = 0;
  let seq = 0;
  let firstFrameAt: number | null = null;
  let closedAt: number | null = null;
  let errorAt: number | null = null;
  const keep = (dir: 'in' | 'out') => (frame: { payload: string | Buffer }) => {
    const t = epochNow();
    seq += 1;
    firstFrameAt ??= t;
    pending.push({ dir, t, data: typeof frame.payload === 'string' ? frame.payload : '<binary>' });
    if (pending.length > RELAY_PENDING_MAX) {
      pending = pending.slice(RELAY_PENDING_MAX / 2);
      dropped += RELAY_PENDING_MAX / 2;
    }
  };
  const received = keep('in');
  const sent = keep('out');
  const closed = () => {
    closedAt ??= epochNow();
  };
  const failed = () => {
    errorAt ??= epochNow();
  };
  socket.on('framereceived', received);
  socket.on('framesent', sent);
  socket.on('close', closed);
  socket.on('socketerror', failed);
  return {
    url: socket.url(),
    createdAt,
    sight: 'unknown',
    take: () => {
      const taken = { frames: pending, dropped };
      pending = [];
      dropped = 0;
      return taken;
    },
    state: () => ({
      url: socket.url(),
      offered: [],
      createdAt,
      // The relay has no open event: a frame either way means the socket was open.
      openAt: firstFrameAt,
      protocol: null,
      errorAt,
      // 1005: no status code present, as RFC 6455 §7.4.1 names it; the relay does not carry the code.
      close: closedAt === null ? null : { code: 1005, reason: '(close code not visible: the socket is outside the page\'s scripts)', wasClean: false, t: closedAt },
      abandonedAt: null,
      seq,
      relayed: true,
    }),
    stop: () => {
      pending = [];
      socket.off('framereceived', received);
      socket.off('framesent', sent);
    },
  };
}

export function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

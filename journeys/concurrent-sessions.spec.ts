import { randomBytes } from 'node:crypto';
import {
  EventCollector,
  openRunSocket,
  agentRequestVerdict,
  answerVerdict,
  connectVerdict,
  defineJourney,
  excerpt,
  fail,
  handshakeFailure,
  liveEventsVerdict,
  loginOverHttp,
  mergeFrame,
  readTargetInfo,
  stepBudget,
  tokenSubprotocol,
  waitForStream,
  type JourneyRun,
  type ProtocolSocket,
  type Session,
} from 'golden-path-monitor/kit';

/**
 * Several users at once (contract §8, "concurrent sockets"): N users log in,
 * open their sockets and start the agent at the same moment. Each socket must
 * carry exactly its own run: an event of another session's run (its run_id,
 * or thread_id where a platform sends no run id), or an answer naming another
 * session's request, is `isolation`, which pages like `security`. A platform
 * that serves the runs one after another passes, and shows it as latency:
 * each step's time is its slowest session's, every session's event latencies
 * go to the usual histogram, and the mark `concurrency` says whether the runs
 * overlapped. Staging's E2E bypass login issues a user per email; a target
 * with the password login has one account, so its sessions share a user,
 * and only the runs' overlap is checked (the mark `concurrency` says
 * `distinctUsers: 1`): several sockets of one user may rightly all get that
 * user's events.
 */
export default defineJourney(
  {
    name: 'concurrent-sessions',
    kind: 'protocol',
    steps: ['login', 'connect', 'agent_request', 'live_events', 'ai_response'],
    schedule: '50 */2 * * * *',
    timeoutMs: 45_000,
    slo: { login: 3000, connect: 1000, agent_request: 2000, live_events: 10_000, ai_response: 2000 },
    description: 'N users at once each get their own run and only theirs',
    params: { users: { default: 3, min: 2, max: 20, integer: true } },
  },
  async ({ run }) => {
    // The config's value is checked against the bounds above before any run; a run by hand gets the default.
    const count = run.param('users', 3);
    const sessions = Array.from({ length: count }, (_, i) => new UserSession(i, run));
    // What is deployed, for the record and gpmon verify (never fails the run).
    await readTargetInfo(run);
    try {
      await run.step('login', async (step) => {
        const started = run.clock();
        await Promise.all(sessions.map(async (s) => s.login()));
        step.measured(run.clock() - started);
        run.mark('concurrency', { sessions: count, distinctUsers: distinctUsers(sessions) });
      });

      await run.step('connect', async (step) => {
        const started = run.clock();
        const left = stepBudget(run.stepTimeoutMs);
        await Promise.all(sessions.map(async (s) => s.connect(left())));
        step.measured(Math.max(...sessions.map((s) => s.connectedAt - started)));
      });

      await run.step('agent_request', async (step) => {
        // The same moment for every user: the sends go out back to back, no await between them.
        for (const s of sessions) s.sendRequest();
        const left = stepBudget(run.stepTimeoutMs);
        await Promise.all(sessions.map(async (s) => s.wait(() => s.collector.firstAt('agent_started') !== undefined || s.collector.error !== undefined || s.collector.completed, left())));
        isolationVerdict(sessions);
        step.measured(Math.max(...sessions.map((s) => agentRequestVerdict(s.collector, s.closeState, run.stepTimeoutMs) - s.sentAt)));
      });

      await run.step('live_events', async (step) => {
        const left = stepBudget(run.stepTimeoutMs);
        await Promise.all(sessions.map(async (s) => s.wait(() => s.collector.completed || s.collector.error !== undefined, left())));
        isolationVerdict(sessions);
        const spans = sessions.map((s) => {
          const completedAt = liveEventsVerdict(s.collector, s.closeState, run.stepTimeoutMs);
          return { from: s.collector.firstAt('agent_started') ?? completedAt, to: completedAt };
        });
        step.measured(Math.max(...spans.map((span) => span.to - span.from)));
        const overlapped = spans.some((a, i) => spans.some((b, j) => i !== j && a.from < b.to && b.from < a.to));
        const starts = sessions.map((s) => s.collector.firstAt('agent_started') ?? 0);
        run.mark('concurrency', {
          sessions: count,
          distinctUsers: distinctUsers(sessions),
          overlapped,
          startSpreadMs: Math.round(Math.max(...starts) - Math.min(...starts)),
        });
      });

      await run.step('ai_response', (step) => {
        const started = run.clock();
        const answers = sessions.map((s) => answerVerdict(s.collector, { ...run.inputs, prompt: s.prompt }));
        answers.forEach((answer, i) => {
          const own = sessions[i];
          const other = sessions.find((s, j) => j !== i && s.session?.userId !== own?.session?.userId && answer.includes(s.codeWord));
          if (other !== undefined) {
            fail('isolation', `session ${i + 1}'s answer names the request of session ${other.index + 1} (its code word): another user's answer reached this user`, {
              session: i + 1,
              otherSession: other.index + 1,
              answer: excerpt(answer, 200),
            });
          }
        });
        run.mark('answer', { chars: answers[0]?.length ?? 0, excerpt: excerpt(answers[0] ?? '') });
        step.measured(run.clock() - started);
      });
    } finally {
      run.mark('sessionEventLatencyMs', sessions.map((s) => s.collector.latencies()));
      run.mark('maxGapMs', Math.max(0, ...sessions.map((s) => s.collector.maxGapMs)));
      for (const s of sessions) s.socket?.close();
    }
  },
);

/** One user of the journey: its login, socket, request and everything its socket carried. */
class UserSession {
  session: Session | undefined;
  socket: ProtocolSocket | undefined;
  readonly collector = new EventCollector();
  /** Every run (run_id, else thread_id) a frame on this socket named, in first-seen order. */
  readonly runsSeen = new Set<string>();
  /** A word made for this run and this session, in its request: an answer naming another session's is a leak. */
  readonly codeWord = `gpmon-${randomBytes(4).toString('hex')}`;
  connectedAt = 0;
  sentAt = 0;

  constructor(
    readonly index: number,
    private readonly run: JourneyRun,
  ) {}

  get prompt(): string {
    return `${this.run.inputs.prompt} (session ${this.index + 1}, reference ${this.codeWord})`;
  }

  get closeState(): { code: number; reason: string } | undefined {
    return this.socket?.closeState;
  }

  /** A user of its own where the target's login gives one per email (`name+gpmon-N@domain`). */
  async login(): Promise<void> {
    const [local, domain] = this.run.target.email.split('@');
    this.session = await loginOverHttp(this.run, this.run.stepTimeoutMs, { email: `${local ?? 'gpmon'}+gpmon-${this.index + 1}@${domain ?? 'invalid'}` });
  }

  async connect(timeoutMs: number): Promise<void> {
    if (this.session === undefined) fail('monitor_error', 'no session after login');
    const offered = tokenSubprotocol(this.session.accessToken);
    const left = stepBudget(timeoutMs);
    const outcome = await openRunSocket(this.run, {
      protocols: [offered],
      timeoutMs: left(),
      onFrame: (data, at) => {
        this.note(data);
        this.collector.receive(data, at);
      },
    });
    if (outcome.kind !== 'open') throw handshakeFailure(outcome, [offered]);
    this.socket = outcome.socket;
    await this.wait(() => this.collector.established !== undefined || this.collector.error !== undefined, left());
    this.connectedAt = connectVerdict(this.collector, this.closeState, { offered, selected: this.socket.protocol, userId: this.session.userId, timeoutMs: this.run.stepTimeoutMs });
  }

  sendRequest(): void {
    if (this.socket === undefined) fail('monitor_error', 'no socket after connect');
    this.sentAt = this.socket.send({ type: 'start_agent', payload: { user_request: this.prompt, thread_id: null, context: { source: 'message_input' } } });
    this.collector.requestSent(this.sentAt);
  }

  async wait(done: () => boolean, timeoutMs: number): Promise<void> {
    if (this.socket === undefined) fail('monitor_error', 'no socket after connect');
    await waitForStream(this.collector, this.socket.closed, done, timeoutMs);
  }

  private note(data: string): void {
    try {
      const frame: unknown = JSON.parse(data);
      if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return;
      const merged = mergeFrame(frame as Record<string, unknown>);
      const id = typeof merged.run_id === 'string' && merged.run_id !== '' ? merged.run_id : typeof merged.thread_id === 'string' && merged.thread_id !== '' ? merged.thread_id : undefined;
      if (id !== undefined) this.runsSeen.add(id);
    } catch {
      // Not JSON: the collector counts it as unparsable.
    }
  }
}

/**
 * Each socket carried one run, and no run reached two sockets: checked
 * before any other verdict of a step, since another user's event can make a
 * socket's own stream look out of order or early.
 */
function isolationVerdict(sessions: readonly UserSession[]): void {
  const socketsOf = new Map<string, UserSession[]>();
  for (const s of sessions) for (const id of s.runsSeen) socketsOf.set(id, [...(socketsOf.get(id) ?? []), s]);
  for (const [id, where] of socketsOf) {
    // Several sockets of one user may all get that user's events (a platform that keeps every tab in step): only another user's is a leak.
    if (new Set(where.map((s) => s.session?.userId)).size > 1) {
      fail('isolation', `events of one agent run (${id}) reached the sockets of ${where.length} different users (sessions ${where.map((s) => s.index + 1).join(', ')}): another user's events reached this user`, {
        run: id,
        sessions: where.map((s) => String(s.index + 1)),
        runsPerSession: sessions.map((s) => `${s.index + 1}:${s.runsSeen.size}`),
      });
    }
  }
}

/** Whether any two sessions are different users: else isolation between users cannot be seen (a password login has one account). */
function distinctUsers(sessions: readonly UserSession[]): number {
  return new Set(sessions.map((s) => s.session?.userId)).size;
}

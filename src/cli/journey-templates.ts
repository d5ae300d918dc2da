/**
 * The starting files `gpmon new journey` writes: a journey that passes
 * against the embedded simulator as written, and shows the kit's surface an
 * author builds on (journeys/README.md walks through them). `name` is
 * already checked: lower-case words joined by '-'.
 */

/** A protocol journey: the HTTP login, then one agent request over the socket, its five events and its answer. */
export function protocolJourney(name: string): string {
  return `import {
  EventCollector,
  answerVerdict,
  connectVerdict,
  defineJourney,
  fail,
  handshakeFailure,
  liveEventsVerdict,
  loginOverHttp,
  openRunSocket,
  stepBudget,
  tokenSubprotocol,
  waitForStream,
  type Session,
} from 'golden-path-monitor/kit';

/**
 * ${name}: what this journey proves, for the on-call engineer its alert wakes.
 * (Written by \`gpmon new journey\`; journeys/README.md walks through it.)
 */
export default defineJourney(
  {
    name: '${name}',
    kind: 'protocol',
    // The steps, in the order the body runs them: each is a label on the metrics and names the step an alert blames.
    steps: ['login', 'ask_agent'],
    schedule: '0 */5 * * * *',
    timeoutMs: 30_000,
    slo: { login: 3000, ask_agent: 10_000 },
    description: 'TODO: one line on what this journey proves',
  },
  async ({ run }) => {
    let session: Session | undefined;
    await run.step('login', async () => {
      // The kit registers the tokens it gets as the run's secrets: no log, record or artifact holds them.
      // Anything secret your journey gets some other way, register with run.secret(value).
      session = await loginOverHttp(run);
    });

    await run.step('ask_agent', async (step) => {
      if (session === undefined) return fail('monitor_error', 'no session after login');
      const left = stepBudget(run.stepTimeoutMs);
      const collector = new EventCollector();
      const offered = tokenSubprotocol(session.accessToken);
      const opened = await openRunSocket(run, {
        protocols: [offered],
        timeoutMs: left(),
        onFrame: (data, at) => {
          collector.receive(data, at);
        },
      });
      if (opened.kind !== 'open') throw handshakeFailure(opened, [offered]);
      const socket = opened.socket;
      try {
        await waitForStream(collector, socket.closed, () => collector.established !== undefined || collector.error !== undefined, left());
        connectVerdict(collector, socket.closeState, { offered, selected: socket.protocol, userId: session.userId, timeoutMs: run.stepTimeoutMs });
        const sentAt = socket.send({ type: 'start_agent', payload: { user_request: run.inputs.prompt, thread_id: null, context: { source: 'message_input' } } });
        collector.requestSent(sentAt);
        await waitForStream(collector, socket.closed, () => collector.completed || collector.error !== undefined, left());
        const completedAt = liveEventsVerdict(collector, socket.closeState, run.stepTimeoutMs);
        const answer = answerVerdict(collector, run.inputs);
        run.mark('answerChars', answer.length);
        step.measured(completedAt - sentAt);
      } finally {
        socket.close();
      }
    });
  },
);
`;
}

/** A browser journey: the login through the web app, then a question typed in the chat page and its answer on screen. */
export function browserJourney(name: string): string {
  return `import { PageProbe, defineJourney, expect, loginInBrowser } from 'golden-path-monitor/kit';

/**
 * ${name}: what this journey proves, for the on-call engineer its alert wakes.
 * (Written by \`gpmon new journey\`; journeys/README.md walks through it.)
 */
export default defineJourney(
  {
    name: '${name}',
    kind: 'browser',
    // The steps, in the order the body runs them: each is a label on the metrics and names the step an alert blames.
    steps: ['login', 'ask_agent'],
    schedule: '0 */5 * * * *',
    timeoutMs: 60_000,
    slo: { login: 3000, ask_agent: 10_000 },
    description: 'TODO: one line on what this journey proves',
  },
  async ({ page, run }) => {
    // Watches the page's own calls and WebSocket, so a failure names its cause (a rejected login, a stalled call).
    const probe = await PageProbe.install(page, run);
    const { locators } = run.target;

    await run.step('login', async () => {
      await loginInBrowser(page, run, probe);
    });

    await run.step('ask_agent', async () => {
      const cards = page.locator(locators.assistantMessage);
      const before = await cards.count();
      await page.locator(locators.messageInput).fill(run.inputs.prompt);
      await page.locator(locators.sendButton).click();
      // The user's own card, then the assistant's: its text must match the expected answer (a failed expect is reason ui).
      await expect(cards).toHaveCount(before + 2, { timeout: run.stepTimeoutMs });
      await expect(cards.last()).toHaveText(new RegExp(run.inputs.expectedAnswer), { timeout: run.stepTimeoutMs });
    });
  },
);
`;
}

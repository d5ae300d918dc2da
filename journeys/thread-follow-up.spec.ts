import { randomBytes } from 'node:crypto';
import { EventCollector, answerVerdict, defineJourney, excerpt, fail, goldenPathApi, liveEventsVerdict, stepBudget, waitForStream } from 'golden-path-monitor/kit';

/**
 * A follow-up question in the same thread (contract §5, §8 "threads"): the
 * golden path's five steps, then `follow_up`. The first request carries a
 * code word made for this run; the follow-up, sent as `user_message` with the
 * first run's `thread_id`, asks for it back without saying it. The follow-up's
 * events must stay in that thread, and its answer must give the code word:
 * only a thread that kept its context can. The worked example of
 * journeys/README.md.
 */
export default defineJourney(
  {
    name: 'thread-follow-up',
    kind: 'protocol',
    steps: ['login', 'connect', 'agent_request', 'live_events', 'ai_response', 'follow_up'],
    schedule: '45 */2 * * * *',
    timeoutMs: 45_000,
    slo: { login: 3000, connect: 1000, agent_request: 2000, live_events: 10_000, ai_response: 2000, follow_up: 12_000 },
    description: 'a follow-up in the same thread is answered there, with the first request in mind',
  },
  async ({ run }) => {
    const codeWord = `gpmon-${randomBytes(4).toString('hex')}`;
    const path = await goldenPathApi(run, { keepOpen: true, prompt: `Remember this code word for later: ${codeWord}. ${run.inputs.prompt}` });
    const { socket, collector: first } = path;
    try {
      await run.step('follow_up', async (step) => {
        const thread = first.threadId;
        if (thread === undefined) return fail('event_missing', 'the first run named no thread_id (agent_started carries it, contract §5): there is no thread to follow up in', { seen: [...first.arrivals] });
        const left = stepBudget(run.stepTimeoutMs);
        // A collector of its own: the follow-up is a second agent run on the same socket.
        const followUp = new EventCollector();
        const stop = path.listen((data, at) => {
          followUp.receive(data, at);
        });
        try {
          const sentAt = socket.send({ type: 'user_message', payload: { content: 'What was the code word I asked you to remember? Answer with the code word.', thread_id: thread } });
          followUp.requestSent(sentAt);
          await waitForStream(followUp, socket.closed, () => followUp.completed || followUp.error !== undefined, left());
        } finally {
          stop();
        }
        const completedAt = liveEventsVerdict(followUp, socket.closeState, run.stepTimeoutMs);
        const threads = followUp.threadIds;
        if (threads.length !== 1 || threads[0] !== thread) {
          fail('response_mismatch', `the follow-up was answered in thread ${threads.map((t) => JSON.stringify(t)).join(', ') || '(none named)'}, not the thread it was sent to, ${JSON.stringify(thread)}: the platform lost the thread`, {
            thread,
            answeredIn: [...threads],
          });
        }
        // Any non-empty answer first (response_empty otherwise); the configured pattern is the first answer's, not this one's.
        const answer = answerVerdict(followUp, { prompt: run.inputs.prompt, expectedAnswer: '\\S' });
        run.mark('followUp', { thread, answerChars: answer.length, excerpt: excerpt(answer) });
        if (!answer.includes(codeWord)) {
          fail('response_mismatch', `the follow-up's answer does not give the code word of the thread's first request: the thread lost its context`, {
            codeWord,
            answer: excerpt(answer, 200),
          });
        }
        step.measured(completedAt - (followUp.requestSentAt ?? completedAt));
      });
    } finally {
      socket.close();
    }
  },
);

import { defineJourney } from '../src/kit/fixtures.js';
import { goldenPath } from '../src/journeys/golden-path.js';

/**
 * The golden path as a user walks it, in the web app, with live events read
 * from the page's own WebSocket (src/journeys/golden-path.ts, where tests can
 * also run it in-process).
 */
export default defineJourney(
  {
    name: 'golden-path',
    kind: 'browser',
    steps: ['login', 'connect', 'agent_request', 'live_events', 'ai_response'],
    schedule: '0 * * * * *',
    timeoutMs: 60_000,
    description: 'the five steps through the web app; live events read from the page’s own WebSocket',
  },
  async ({ page, run }) => {
    await goldenPath(page, run);
  },
);

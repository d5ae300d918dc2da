import { journeyTest } from '../src/kit/fixtures.js';
import { goldenPathApi } from '../src/journeys/golden-path-api.js';

/**
 * The golden path without a browser: HTTP login, a ws client offering the
 * token as `jwt.<base64url>`, start_agent, the five events, the answer
 * (src/journeys/golden-path-api.ts, where tests can also run it in-process).
 */
journeyTest('golden-path-api', async ({ run }) => {
  await goldenPathApi(run);
});

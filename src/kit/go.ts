import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import { CHILD_ENV, goMessageSchema, type GoMessage } from '../protocol/child.js';
import { DEFAULT_INPUTS } from '../model/run-record.js';
// The monitor's own default, also for a run by hand.
import { DEFAULT_STEP_TIMEOUT_MS } from '../model/journey.js';

/**
 * Under the executor, a prepared journey waits here, runner and worker already
 * loaded, until the executor says go with the run's id and inputs: that hides
 * Playwright's start-up from the run. Run by hand, it goes at once, with the
 * inputs GPMON_PROMPT and GPMON_EXPECTED_ANSWER give (else the defaults) and
 * `handStepTimeoutMs` (the journey file's own) or DEFAULT_STEP_TIMEOUT_MS.
 */
export async function waitForGo(env: NodeJS.ProcessEnv, handStepTimeoutMs?: number): Promise<GoMessage> {
  const path = env[CHILD_ENV.goSocket];
  if (path === undefined || path === '') {
    return {
      runId: `manual-${randomUUID()}`,
      inputs: {
        prompt: env.GPMON_PROMPT ?? DEFAULT_INPUTS.prompt,
        expectedAnswer: env.GPMON_EXPECTED_ANSWER ?? DEFAULT_INPUTS.expectedAnswer,
      },
      stepTimeoutMs: handStepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
    };
  }
  return new Promise<GoMessage>((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      socket.end();
      try {
        resolve(goMessageSchema.parse(JSON.parse(buffer.slice(0, newline))));
      } catch (error) {
        reject(new Error(`bad go message from the executor: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      reject(new Error('the executor closed the go socket without a go message'));
    });
  });
}

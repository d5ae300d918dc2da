import type { JourneyRun } from './journey-run.js';
import { callJson } from './http.js';

/**
 * Reads what is deployed (`/api/system/info`) once per run, so a fix that was
 * "deployed" but is not running shows as an unchanged revision. Never fails
 * the run: a missing endpoint is noted as a mark.
 */
export async function readTargetInfo(run: JourneyRun): Promise<void> {
  try {
    const answer = await callJson(`${run.target.apiUrl}/api/system/info`, { timeoutMs: Math.min(run.stepTimeoutMs, 5000), caFile: run.target.caFile });
    const body = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as Record<string, unknown>;
    if (answer.status !== 200) {
      run.mark('targetInfoError', `GET /api/system/info answered ${answer.status}`);
      return;
    }
    run.mark('targetInfo', {
      version: typeof body.version === 'string' ? body.version : null,
      revision: typeof body.git_commit === 'string' ? body.git_commit : null,
    });
  } catch (error) {
    run.mark('targetInfoError', error instanceof Error ? error.message : String(error));
  }
}

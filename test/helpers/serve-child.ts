import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from './journey-harness.js';
import { waitFor } from './prom-tools.js';

export interface ServeChild {
  readonly child: ChildProcess;
  /** The URL the daemon printed once it was listening and its scheduler ran. */
  readonly url: string;
}

/** `gpmon serve --config FILE` as its own process, so a test can kill it with -9; resolved once it serves. */
export async function spawnServe(config: string, env: NodeJS.ProcessEnv): Promise<ServeChild> {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/gpmon.js'), 'serve', '--config', config], { env: { ...process.env, GPMON_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await waitFor(
    'gpmon serve to listen',
    () => {
      if (child.exitCode !== null) throw new Error(`gpmon serve exited ${child.exitCode}: ${stderr}`);
      return Promise.resolve(/gpmon serve: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1]);
    },
    60_000,
  );
  return { child, url };
}

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { PROJECT_ROOT } from './journey-harness.js';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running `gpmon` command and what it has printed so far. */
export interface RunningGpmon {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/** Starts the real `gpmon` command (an undefined value removes a variable from the environment); the test signals or waits for it. */
export function startGpmon(args: readonly string[], env: Record<string, string | undefined> = {}, cwd?: string): RunningGpmon {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) Reflect.deleteProperty(merged, key);
    else merged[key] = value;
  }
  const child = spawn(process.execPath, [`${PROJECT_ROOT}bin/gpmon.js`, ...args], { env: merged, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stdout: () => stdout, stderr: () => stderr };
}

/**
 * Runs the real `gpmon` command and collects what it printed. With
 * `withinMs`, a command that has not exited by itself by then is killed (its
 * code is then null): for tests of commands that must exit on their own.
 */
export async function gpmon(args: readonly string[], env: Record<string, string | undefined> = {}, options: { withinMs?: number; cwd?: string } = {}): Promise<CliResult> {
  const { child, stdout, stderr } = startGpmon(args, env, options.cwd);
  const timer = options.withinMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.withinMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout: stdout(), stderr: stderr() };
}

/**
 * The `gpmon` command run in this process (src/cli/main.ts), with what it
 * printed, line by line as the real process prints it: for tests of messages
 * and exit codes, where a process start (a second each) buys nothing.
 */
export async function gpmonInProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../../src/cli/main.js');
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (line) => out.push(line), err: (line) => err.push(line), env, stopSignal: new Promise(() => undefined) });
  return { code, stdout: out.map((line) => `${line}\n`).join(''), stderr: err.map((line) => `${line}\n`).join('') };
}

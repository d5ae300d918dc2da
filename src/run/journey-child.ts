import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { CHILD_ENV, parseChildEvent, type ChildEvent } from '../protocol/child.js';

const require = createRequire(import.meta.url);
const PLAYWRIGHT_CLI = require.resolve('@playwright/test/cli');
const EVENTS_FD = 3;
const TAIL_BYTES = 8192;
// Linux's page size on x86-64 and most arm64 kernels; /proc/<pid>/statm counts pages.
const PAGE_BYTES = 4096;

export interface ChildOptions {
  readonly projectRoot: string;
  readonly journeyFile: string;
  readonly configFile: string;
  readonly reporterFile: string;
  readonly outputDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly runTag: string;
  readonly onEvent: (event: ChildEvent) => void;
  readonly onBadLine: (error: string) => void;
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly spawnError?: string;
}

/**
 * A `playwright test` child for one journey's runs (one, or a warm runner's
 * many: GPMON_RUNNER_RUNS tests, src/kit/fixtures.ts `journeyTest`), in a
 * process group of its own so a deadline can kill all of it. Its reporter's NDJSON arrives on fd 3;
 * stdout and stderr are kept only as a short tail for diagnosis.
 */
export class JourneyChild {
  readonly exited: Promise<ChildExit>;
  private readonly child: ChildProcess;
  private tail = '';
  /** Characters printed so far: a mark for `outputSince`. */
  private printed = 0;

  constructor(private readonly options: ChildOptions) {
    this.child = spawn(
      process.execPath,
      [PLAYWRIGHT_CLI, 'test', options.journeyFile, '--config', options.configFile, '--reporter', options.reporterFile, '--output', options.outputDir, '--workers', '1', '--retries', '0'],
      {
        cwd: options.projectRoot,
        env: { ...options.env, [CHILD_ENV.eventsFd]: String(EVENTS_FD), [CHILD_ENV.runTag]: options.runTag, FORCE_COLOR: '0' },
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        detached: true,
      },
    );
    const keep = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.printed += text.length;
      this.tail = (this.tail + text).slice(-TAIL_BYTES);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    const events = this.child.stdio[EVENTS_FD] as Readable | null;
    let streamDone: Promise<void> = Promise.resolve();
    if (events) {
      const lines = createInterface({ input: events, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (line.trim() === '') return;
        const parsed = parseChildEvent(line);
        if (parsed.ok) options.onEvent(parsed.event);
        else options.onBadLine(parsed.error);
      });
      streamDone = new Promise((resolve) => lines.once('close', resolve));
    }
    this.exited = new Promise<ChildExit>((resolve) => {
      this.child.once('error', (error) => {
        resolve({ code: null, signal: null, spawnError: error.message });
      });
      this.child.once('exit', (code, signal) => {
        // Every event written before exit is read before the exit is reported.
        void streamDone.then(() => {
          resolve({ code, signal });
        });
      });
    });
  }

  /** True once the child has exited (or could not start). */
  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined;
  }

  /**
   * Resident memory of the child and everything carrying its tag (its worker,
   * its browser), in bytes, summed over processes (shared pages count in
   * each: an upper bound). Linux /proc; 0 elsewhere.
   */
  residentBytes(): number {
    let bytes = 0;
    for (const pid of findTagged(CHILD_ENV.runTag, this.options.runTag)) {
      try {
        const resident = Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]);
        if (Number.isFinite(resident)) bytes += resident * PAGE_BYTES;
      } catch {
        // Gone meanwhile.
      }
    }
    return bytes;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** A mark in the child's output, for `outputSince`: a warm runner's output holds many runs, and a run's evidence only its own. */
  outputMark(): number {
    return this.printed;
  }

  /** The end of what the child printed after `mark` (at most the kept tail). */
  outputSince(mark: number): string {
    const since = this.printed - mark;
    return since >= this.tail.length ? this.tail : this.tail.slice(this.tail.length - since);
  }

  /**
   * Kills it and everything it started, and resolves once they are gone: the
   * child has exited and no live process carries its tag (SIGKILL is not
   * instant; a folder removed before a browser dies could be written again).
   */
  async killAndWait(timeoutMs = 5_000): Promise<void> {
    this.kill();
    await this.exited;
    const deadline = Date.now() + timeoutMs;
    for (let left = this.kill(); left.length > 0 && Date.now() < deadline; left = this.kill()) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills the whole process group, then anything else carrying this run's tag (a browser in a group of its own); returns the tagged pids it found. */
  kill(): number[] {
    const pid = this.child.pid;
    // Once it has exited its pid (and group id) may be another's: only its tag finds what is left.
    if (pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    return killTagged(CHILD_ENV.runTag, this.options.runTag);
  }
}

/** Kills every process whose environment carries NAME=VALUE (Linux /proc; elsewhere the group kill must do). */
export function killTagged(name: string, value: string): number[] {
  const found = findTagged(name, value).filter((pid) => pid !== process.pid);
  for (const pid of found) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Processes whose environment carries NAME=VALUE: leftovers of a run. */
export function findTagged(name: string, value: string): number[] {
  const needle = Buffer.from(`${name}=${value}\0`);
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // A zombie is dead already: it has no environment left to read.
      if (readFileSync(`/proc/${entry}/environ`).indexOf(needle) >= 0 && !isZombie(entry)) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

function isZombie(pid: string): boolean {
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return true;
  }
}

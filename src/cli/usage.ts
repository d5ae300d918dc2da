/** Bad command-line input: exit 2 with a message that names what is wrong. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CliIo {
  /** One line of standard output (the newline is added). */
  readonly out: (line: string) => void;
  /** One line of standard error (the newline is added). */
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (the first SIGINT/SIGTERM), with the signal's name. */
  readonly stopSignal: Promise<string>;
  /** Resolves on a second signal: stop now, without waiting for runs in flight. */
  readonly forceSignal?: Promise<string>;
  /**
   * Standard output is a terminal a person watches: output may redraw a line
   * in place (src/cli/live-progress.ts). Unset or false for pipes, files, CI
   * and tests, which get plain lines only.
   */
  readonly tty?: boolean;
  /** Raw text to standard output, as is (no newline added): what a redraw writes. Needed with `tty`. */
  readonly write?: (text: string) => void;
}

/** 0 ok or passed, 1 failed (the target), 2 error or bad usage, 130/143 stopped by SIGINT/SIGTERM. */
export type ExitCode = 0 | 1 | 2 | 130 | 143;

/** A port flag's value (0-65535; 0 asks the OS for a free one), or undefined when the flag was not given. UsageError otherwise. */
export function parsePort(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${flag}: "${value}" is not a port number (0-65535)`);
  }
  return port;
}

/** A count flag's value (a whole number above 0), or undefined when the flag was not given. UsageError otherwise. */
export function parsePositiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n <= 0) throw new UsageError(`${flag}: "${value}" is not a positive integer`);
  return n;
}

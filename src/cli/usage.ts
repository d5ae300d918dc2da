import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad command-line input: exit 2 with a message that names what is wrong. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (the first SIGINT/SIGTERM), with the signal's name. */
  readonly stopSignal: Promise<string>;
  /** Resolves on a second signal: stop now, without waiting for runs in flight. */
  readonly forceSignal?: Promise<string>;
}

/** 0 ok or passed, 1 failed (the target), 2 error or bad usage, 130/143 stopped by SIGINT/SIGTERM. */
export type ExitCode = 0 | 1 | 2 | 130 | 143;

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`gpmon ${command}: ${message}`);
  }
}

export function parsePort(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${flag}: "${value}" is not a port number (0-65535)`);
  }
  return port;
}

export function parsePositiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag}: "${value}" is not a positive integer`);
  return n;
}

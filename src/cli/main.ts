import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { UsageError, type CliIo, type ExitCode } from './usage.js';

/**
 * Runs the `gpmon` command line `argv` (the arguments after `gpmon`) with
 * `io`, and resolves with its exit code: the command's own, 0 for help and
 * --version, 2 for bad usage (what is wrong is on io.err, never a stack
 * trace). Never exits the process: tests call it in this process.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const result: { code: ExitCode } = { code: 0 };
  const program = buildProgram(io, (code) => (result.code = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (error) {
    // Commander has written its message (or the help, or the version) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const command = `gpmon${argv[0] === undefined ? '' : ` ${argv[0]}`}`;
    if (error instanceof UsageError) {
      // A value check (a port, a count) names its flag; the line names the command too.
      io.err(error.message.startsWith('gpmon') ? error.message : `${command}: ${error.message}`);
      return 2;
    }
    io.err(`${command}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

/**
 * The process edge: real streams, env and signals. The first SIGINT or
 * SIGTERM asks the command to stop (a daemon drains, a run stops); a second
 * one forces it. Once the command returns, the process exits with its code:
 * nothing left open (a simulator, a socket, a timer) may keep a stopped
 * command alive, and a restart policy always sees the exit.
 */
export async function runFromProcess(): Promise<void> {
  let signals = 0;
  let stop: (name: string) => void = () => undefined;
  let force: (name: string) => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => (stop = resolve));
  const forceSignal = new Promise<string>((resolve) => (force = resolve));
  const onSignal = (name: NodeJS.Signals) => {
    signals++;
    if (signals === 1) stop(name);
    else if (signals === 2) force(name);
    // A third: whatever still runs is not worth waiting for.
    else process.exit(name === 'SIGTERM' ? 143 : 130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const io: CliIo = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    stopSignal,
    forceSignal,
    // A person at a terminal gets the live step line; a pipe, a file or CI gets plain lines.
    tty: process.stdout.isTTY,
    write: (text) => process.stdout.write(text),
  };
  const code = await main(process.argv.slice(2), io);
  process.exit(code);
}

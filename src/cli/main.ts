import { simulatorCommand, SIMULATOR_USAGE } from './simulator-command.js';
import { runCommand, RUN_USAGE } from './run-command.js';
import { serveCommand, validateCommand, SERVE_USAGE, VALIDATE_USAGE } from './serve-command.js';
import { monitorVersion } from './versions.js';
import { replayCommand, REPLAY_USAGE } from './replay-command.js';
import { verifyCommand, VERIFY_USAGE } from './verify-command.js';
import { journeysCommand, JOURNEYS_USAGE } from './journeys-command.js';
import { newCommand, NEW_USAGE } from './new-command.js';
import { UsageError, type CliIo, type ExitCode } from './usage.js';

type Command = (args: readonly string[], io: CliIo) => Promise<ExitCode>;

/** Each command with its usage; `gpmon <command> --help` prints the usage. */
const COMMANDS: Readonly<Record<string, { usage: string; run: Command }>> = {
  serve: { usage: SERVE_USAGE, run: serveCommand },
  validate: { usage: VALIDATE_USAGE, run: validateCommand },
  journeys: { usage: JOURNEYS_USAGE, run: journeysCommand },
  new: { usage: NEW_USAGE, run: newCommand },
  run: { usage: RUN_USAGE, run: runCommand },
  replay: { usage: REPLAY_USAGE, run: replayCommand },
  verify: { usage: VERIFY_USAGE, run: verifyCommand },
  simulator: { usage: SIMULATOR_USAGE, run: simulatorCommand },
};

const USAGE = `usage: gpmon <command> [options]

commands:
  serve        the monitor: schedules, metrics, history and API (see gpmon serve --help)
  run          run one journey now (see gpmon run --help)
  replay       run a stored run again (see gpmon replay --help)
  verify       after a deploy: wait until the target runs a commit, then run the golden path on it (see gpmon verify --help)
  validate     check the config
  journeys     the journeys found in journeys/ and the config's journeyDirs, as their files declare them
  new          write a starting journey file (gpmon new journey <name> [--browser|--protocol])
  simulator    run the staging simulator alone (see gpmon simulator --help)
  help         this text

${Object.values(COMMANDS).map((c) => c.usage).join('\n\n')}`;

export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [command, ...rest] = argv;
  try {
    // Own keys only: "toString" is no command.
    const known = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (known !== undefined) {
      if (rest.includes('--help')) {
        io.out(known.usage);
        return 0;
      }
      return await known.run(rest, io);
    }
    switch (command) {
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return 0;
      case '--version':
        io.out(monitorVersion());
        return 0;
      case undefined:
        io.err(USAGE);
        return 2;
      default:
        throw new UsageError(`gpmon: unknown command "${command}"; try gpmon help`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(error.message);
      return 2;
    }
    io.err(`gpmon ${command}: ${error instanceof Error ? error.message : String(error)}`);
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
  };
  const code = await main(process.argv.slice(2), io);
  process.exit(code);
}

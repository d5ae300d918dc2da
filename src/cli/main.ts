import { simulatorCommand, SIMULATOR_USAGE } from './simulator-command.js';
import { runCommand, RUN_USAGE } from './run-command.js';
import { serveCommand, validateCommand, SERVE_USAGE, VALIDATE_USAGE } from './serve-command.js';
import { monitorVersion } from './versions.js';
import { replayCommand, REPLAY_USAGE } from './replay-command.js';
import { UsageError, type CliIo, type ExitCode } from './usage.js';

const USAGE = `usage: gpmon <command> [options]

commands:
  serve        the monitor: schedules, metrics, history and API (see gpmon serve --help)
  run          run one journey now (see gpmon run --help)
  replay       run a stored run again (see gpmon replay --help)
  validate     check the config
  simulator    run the staging simulator alone (see gpmon simulator --help)
  help         this text

${SERVE_USAGE}

${VALIDATE_USAGE}

${RUN_USAGE}

${REPLAY_USAGE}

${SIMULATOR_USAGE}`;

export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'simulator':
        if (rest.includes('--help')) {
          io.out(SIMULATOR_USAGE);
          return 0;
        }
        return await simulatorCommand(rest, io);
      case 'serve':
        if (rest.includes('--help')) {
          io.out(SERVE_USAGE);
          return 0;
        }
        return await serveCommand(rest, io);
      case 'validate':
        if (rest.includes('--help')) {
          io.out(VALIDATE_USAGE);
          return 0;
        }
        return await validateCommand(rest, io);
      case 'replay':
        if (rest.includes('--help')) {
          io.out(REPLAY_USAGE);
          return 0;
        }
        return await replayCommand(rest, io);
      case 'run':
        if (rest.includes('--help')) {
          io.out(RUN_USAGE);
          return 0;
        }
        return await runCommand(rest, io);
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

/** The process edge: real streams, env and signals. */
export async function runFromProcess(): Promise<void> {
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGINT', () => { resolve('SIGINT'); });
    process.once('SIGTERM', () => { resolve('SIGTERM'); });
  });
  const io: CliIo = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    stopSignal,
  };
  process.exitCode = await main(process.argv.slice(2), io);
}

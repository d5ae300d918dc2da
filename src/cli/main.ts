import { readFileSync } from 'node:fs';
import { simulatorCommand, SIMULATOR_USAGE } from './simulator-command.js';
import { runCommand, RUN_USAGE } from './run-command.js';
import { UsageError, type CliIo, type ExitCode } from './usage.js';

const USAGE = `usage: gpmon <command> [options]

commands:
  run          run one journey now (see gpmon run --help)
  simulator    run the staging simulator alone (see gpmon simulator --help)
  help         this text

${RUN_USAGE}

${SIMULATOR_USAGE}`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

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
        io.out(version());
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

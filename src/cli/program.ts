import { Command } from 'commander';
import { journeysCommand, journeysSpec } from './journeys-command.js';
import { newCommand, newSpec, type NewFlags } from './new-command.js';
import { replayCommand, replaySpec, type ReplayFlags } from './replay-command.js';
import { runCommand, runSpec, type RunFlags } from './run-command.js';
import { runsCommand, type RunsOptions } from './runs-command.js';
import { serveCommand, serveSpec, validateCommand, validateSpec, type ServeFlags } from './serve-command.js';
import { showCommand, type ShowOptions } from './show-command.js';
import { statusCommand, statusSpec, type StatusOptions } from './status-command.js';
import { serveSimulator, simulatorSpec, type SimulatorFlags } from './simulator-command.js';
import { verifyCommand, verifySpec, type VerifyFlags } from './verify-command.js';
import { didYouMean } from '../model/did-you-mean.js';
import { useIo } from './grammar.js';
import { UsageError, type CliIo, type ExitCode } from './usage.js';
import { monitorVersion } from './versions.js';

const PROGRAM_HELP = `
gpmon <command> --help shows a command's options, environment and exit codes.

Exit codes: 0 ok (passed), 1 the target failed, 2 an error of the monitor or
bad usage, 130 stopped by Ctrl-C, 143 by SIGTERM.

Environment:
  GPMON_APP_URL, GPMON_AUTH_URL, GPMON_API_URL, GPMON_WS_URL, GPMON_LOGIN,
  GPMON_EMAIL, GPMON_PASSWORD, GPMON_BYPASS_KEY, GPMON_CA_FILE, GPMON_TARGET
                    a target described by the environment (--target env)
  GPMON_API_TOKEN   gpmon serve's token (writes, artifacts, console sign-in)
  GPMON_RUNS_DIR    another folder for the CLI's run folders and history
  GPMON_LOG_LEVEL   gpmon serve's log level (info)`;

function runsSpec(): Command {
  return new Command('runs')
    .description("the run history, newest first: what the console's runs list shows")
    .option('--journey <name>', "only this journey's runs")
    .option('--target <name>', 'only the runs against this target')
    .option('--failed', 'only the runs that did not pass (failed, or an error of the monitor)')
    .option('--since <duration>', 'only the runs started within this long (e.g. 30m, 1h, 7d)')
    .option('--limit <n>', 'at most this many runs')
    .option('--json', 'print the runs as JSON')
    .option('--config <file>', 'the config whose run history it reads (runs.database; default ./monitor.config.ts)')
    .addHelpText('after', '\nExit: 0 listed (none is not an error), 2 bad usage or a history that cannot\n      be read.');
}

function showSpec(): Command {
  return new Command('show')
    .description(
      "one run as the console's run view shows it: steps against their SLOs, the failure and its evidence, the event timeline, the transcript, the artifacts and the inputs",
    )
    .argument('<run-id>', 'the run (gpmon runs lists them; gpmon run prints its own)')
    .option('--json', 'print the run record as JSON')
    .option('--page <n>', 'the page of the WebSocket transcript to print')
    .option('--config <file>', 'the config whose run history it reads (runs.database; default ./monitor.config.ts)')
    .addHelpText('after', '\nExit: 0 shown, 2 no such run, bad usage or a history that cannot be read.');
}

/**
 * The `gpmon` command line as commander parses it: every command with its
 * options, help (-h/--help everywhere, gpmon help <command>), -V/--version,
 * and "Did you mean …?" for a mistyped command or option. A command's action
 * hands its exit code to `finish`. Nothing here exits the process or writes
 * anywhere but `io`; main.ts maps commander's own errors to exit codes.
 */
export function buildProgram(io: CliIo, finish: (code: ExitCode) => void): Command {
  const program = useIo(new Command('gpmon'), io, 'gpmon')
    .description('gpmon, the golden-path synthetic monitor: runs journeys through a real-time AI agent platform and exports what they saw')
    .version(monitorVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', PROGRAM_HELP)
    .hook('preAction', (_program, action) => {
      // Named, where commander would only count them.
      const extra = action.args.slice(action.registeredArguments.length);
      if (extra.length > 0) throw new UsageError(`gpmon ${action.name()}: unexpected argument "${extra[0] ?? ''}"`);
    });
  const add = (spec: Command): Command => {
    useIo(spec, io, `gpmon ${spec.name()}`).helpOption('-h, --help', 'show this help');
    program.addCommand(spec);
    return spec;
  };
  add(serveSpec()).action(async (flags: ServeFlags) => {
    finish(await serveCommand(flags, io));
  });
  add(runSpec()).action(async (journey: string | undefined, flags: RunFlags) => {
    finish(await runCommand(journey, flags, io));
  });
  add(runsSpec()).action(async (flags: RunsOptions) => {
    finish(await runsCommand(flags, io));
  });
  add(showSpec()).action(async (id: string, flags: ShowOptions) => {
    finish(await showCommand(id, flags, io));
  });
  add(statusSpec()).action(async (flags: StatusOptions) => {
    finish(await statusCommand(flags, io));
  });
  add(replaySpec()).action(async (id: string | undefined, flags: ReplayFlags) => {
    finish(await replayCommand(id, flags, io));
  });
  add(verifySpec()).action(async (flags: VerifyFlags) => {
    finish(await verifyCommand(flags, io));
  });
  add(validateSpec()).action(async (flags: { config?: string }) => {
    finish(await validateCommand(flags, io));
  });
  add(journeysSpec()).action(async (flags: { config?: string }) => {
    finish(await journeysCommand(flags, io));
  });
  add(newSpec()).action(async (what: string | undefined, name: string | undefined, flags: NewFlags) => {
    finish(await newCommand(what, name, flags, io));
  });
  add(simulatorSpec()).action(async (flags: SimulatorFlags) => {
    finish(await serveSimulator(flags, io));
  });
  // Commander's own help command answers an unknown name with the whole help, as an error: this one names it.
  program.helpCommand(false);
  add(new Command('help').description('show the help of gpmon or of a command').argument('[command]', 'the command')).action((name: string | undefined) => {
    const known = program.commands.map((c) => c.name()).filter((c) => c !== 'help');
    const found = program.commands.find((c) => c.name() === name);
    if (name !== undefined && found === undefined) throw new UsageError(`gpmon help: unknown command "${name}"${didYouMean(name, known)}; the commands: ${known.join(', ')}`);
    (found ?? program).outputHelp();
    finish(0);
  });
  return program;
}

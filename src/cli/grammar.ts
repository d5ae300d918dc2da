import { Command, CommanderError, type OptionValues } from 'commander';
import { UsageError, type CliIo } from './usage.js';

/** A repeatable flag's values, in order (`--fault a --fault b`): commander's argParser for it. */
export function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * How gpmon's commands behave under commander: they never exit the process
 * (a CommanderError is thrown instead; main turns it into an exit code),
 * help and version go to `io.out`, errors to `io.err` as `gpmon <command>:
 * <what is wrong>` with commander's "Did you mean …?" and a pointer to the
 * help. Applied to the program and to each command (a command added with
 * addCommand inherits nothing by itself).
 */
export function useIo(command: Command, io: CliIo, name: string): Command {
  return command
    .exitOverride()
    .configureOutput({
      writeOut: (text) => {
        io.out(text.replace(/\n$/, ''));
      },
      writeErr: (text) => {
        io.err(text.replace(/\n$/, ''));
      },
      outputError: (text, write) => {
        write(text.replace(/^error: /, `${name}: `));
      },
    })
    .showSuggestionAfterError(true)
    .showHelpAfterError(`(${name} --help shows what it takes)`)
    // Extra arguments are named by main's check (src/cli/program.ts), as "unexpected argument".
    .allowExcessArguments(true);
}

/**
 * Parses `args` (what follows the command's name) with a command's grammar
 * alone, without running it: its options, and its arguments. For callers in
 * this process that hold a command's arguments as strings. A parse error is
 * a UsageError naming what is wrong; --help is one too (there is nobody to
 * show it to). The options are as commander names them (--app-port: appPort).
 */
export function parseCommand(spec: Command, args: readonly string[]): { readonly args: readonly string[]; readonly options: OptionValues } {
  let problem = '';
  spec
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: (text) => (problem = text.trim()) })
    .allowExcessArguments(false);
  try {
    spec.parse([...args], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw new UsageError(`gpmon ${spec.name()}: ${(problem || error.message).replace(/^error: /, '')}`);
    throw error;
  }
  return { args: spec.args, options: spec.opts() };
}

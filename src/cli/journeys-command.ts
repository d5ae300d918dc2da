import { loadConfig } from '../config/load.js';
import { Command } from 'commander';
import type { CliIo, ExitCode } from './usage.js';

/** `gpmon journeys`'s grammar and help; main.ts gives it its action. */
export function journeysSpec(): Command {
  return new Command('journeys')
    .description("the journeys found in journeys/ and the config's journeyDirs, as their files declare them: kind, steps, schedule, targets")
    .option('--config <file>', "the config (default ./monitor.config.ts): its journeyDirs, and each journey's schedule and targets")
    .addHelpText('after', '\nExit: 0 listed, 2 a journey file or the config has problems (each one is\n      listed, naming its file).');
}


/**
 * Lists the discovered journeys (docs/journeys-as-code.md), with the
 * schedule and targets the config gives each (the file's own schedule when
 * the config says nothing). Every problem at once, each naming its file;
 * exit 2 on any, like `gpmon validate`.
 */
export async function journeysCommand(flags: { readonly config?: string }, io: CliIo): Promise<ExitCode> {
  const loaded = await loadConfig(flags.config, io.env);
  if (!loaded.ok) {
    io.err(`gpmon journeys: ${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}${loaded.file === null ? '' : ` (config ${loaded.file})`}`);
    for (const problem of loaded.problems) io.err(`  ${problem}`);
    return 2;
  }
  const config = loaded.config;
  for (const configured of config.journeys) {
    const journey = configured.definition;
    const targets = config.targets === 'simulator' ? 'the embedded simulator' : configured.targets.join(', ');
    io.out(`${journey.name} (${journey.kind}, ${journey.file})`);
    io.out(`  steps: ${journey.steps.join(', ')}`);
    io.out(`  schedule: ${configured.enabled ? `${configured.schedule} against ${targets}` : 'off'}`);
  }
  return 0;
}

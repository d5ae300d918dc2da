import { loadConfig } from '../config/load.js';
import { parseFlags, UsageError, type CliIo, type ExitCode } from './usage.js';

export const JOURNEYS_USAGE = `gpmon journeys [--config FILE]   the journeys found in journeys/ and the config's journeyDirs, as their files declare them: kind, steps, schedule, targets; exit 2 on any load error`;


/**
 * Lists the discovered journeys (docs/journeys-as-code.md), with the
 * schedule and targets the config gives each (the file's own schedule when
 * the config says nothing). Every problem at once, each naming its file;
 * exit 2 on any, like `gpmon validate`.
 */
export async function journeysCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseFlags('journeys', args, { config: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`gpmon journeys: unexpected argument "${positionals[0] ?? ''}"`);
  const loaded = await loadConfig(values.config, io.env);
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

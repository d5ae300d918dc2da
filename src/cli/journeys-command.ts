import { discoverJourneys } from '../catalog/discover.js';
import { loadConfig } from '../config/load.js';
import { parseFlags, UsageError, type CliIo, type ExitCode } from './usage.js';
import { PROJECT_ROOT } from './project-root.js';

export const JOURNEYS_USAGE = `gpmon journeys [--config FILE]   the journeys found in journeys/, as their files declare them: kind, steps, schedule, targets; exit 2 on any load error`;


/**
 * Lists the discovered journeys (docs/journeys-as-code.md), with the
 * schedule and targets the config gives each (the file's own schedule when
 * the config says nothing). Every problem at once, each naming its file;
 * exit 2 on any, like `gpmon validate`.
 */
export async function journeysCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseFlags('journeys', args, { config: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`gpmon journeys: unexpected argument "${positionals[0] ?? ''}"`);
  const found = await discoverJourneys(PROJECT_ROOT, ['journeys']);
  const loaded = await loadConfig(values.config, io.env);
  if (!found.ok || !loaded.ok) {
    const problems = [...(found.ok ? [] : found.problems), ...(loaded.ok ? [] : loaded.problems.map((problem) => `${loaded.file ?? 'config'}: ${problem}`))];
    io.err(`gpmon journeys: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
    for (const problem of problems) io.err(`  ${problem}`);
    return 2;
  }
  const config = loaded.config;
  for (const journey of found.journeys) {
    const configured = config.journeys.find((entry) => entry.definition.name === journey.name);
    const targets = config.targets === 'simulator' ? 'the embedded simulator' : (configured?.targets.join(', ') ?? '');
    const schedule = configured === undefined ? journey.schedule : configured.enabled ? configured.schedule : 'off';
    io.out(`${journey.name} (${journey.kind}, ${journey.file})`);
    io.out(`  steps: ${journey.steps.join(', ')}`);
    io.out(`  schedule: ${schedule}${schedule === 'off' ? '' : ` against ${targets}`}`);
  }
  return 0;
}

import { Command } from 'commander';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { journeyDeclarationSchema } from '../model/journey.js';
import { loadConfig } from '../config/load.js';
import { PROJECT_ROOT, SHIPPED_JOURNEYS } from '../catalog/shipped.js';
import { browserJourney, protocolJourney } from './journey-templates.js';
import { UsageError, type CliIo, type ExitCode } from './usage.js';

/** Playwright's own command line, run with node: it works in an author's project, where `npx playwright` may not be installed. */
const PLAYWRIGHT_CLI = createRequire(import.meta.url).resolve('@playwright/test/cli');

/** What `gpmon new` takes, as commander parses it. */
export interface NewFlags {
  readonly browser?: boolean;
  readonly protocol?: boolean;
  readonly dir?: string;
  readonly config?: string;
}

/** `gpmon new`'s grammar and help; main.ts gives it its action. */
export function newSpec(): Command {
  return new Command('new')
    .description('write a starting journey file that passes against the embedded simulator (gpmon new journey <name>)')
    .usage('journey <name> [--browser | --protocol] [--dir DIR] [--config FILE]')
    .argument('[what]', 'journey: the one thing it makes')
    .argument('[name]', 'the journey\'s name: lower-case words joined by "-" (my-checkout); the file is <dir>/<name>.spec.ts')
    .option('--browser', 'the login and a question in the web app, in Chromium (the default)')
    .option('--protocol', 'the login over HTTP and a question over the WebSocket, no browser')
    .option('--dir <dir>', 'the folder to write it in (default ./journeys)')
    .option('--config <file>', 'the config whose journeys the name must not repeat (default ./monitor.config.ts)')
    .addHelpText('after', '\nAn existing file is never overwritten. journeys/README.md walks through the\nnext steps.\n\nExit: 0 written, 2 bad usage (a bad or taken name, an existing file).');
}

/**
 * Writes a new journey file from a template (src/cli/journey-templates.ts),
 * refusing a name that is not lower-case words joined by '-', a name a
 * discovered journey already has, and a file that exists. Prints what to do
 * next: run it by hand, with `gpmon run`, and list its folder in journeyDirs
 * when discovery does not already read it.
 */
export async function newCommand(what: string | undefined, name: string | undefined, values: NewFlags, io: CliIo): Promise<ExitCode> {
  if (what !== 'journey') throw new UsageError(`gpmon new: ${what === undefined ? 'say what to make' : `cannot make "${what}"`}: gpmon new journey <name>`);
  if (name === undefined) throw new UsageError('gpmon new journey: name the journey (lower-case words joined by "-", e.g. my-checkout)');
  if (values.browser === true && values.protocol === true) throw new UsageError('gpmon new journey: --browser or --protocol, not both');
  const nameCheck = journeyDeclarationSchema.shape.name.safeParse(name);
  if (!nameCheck.success) throw new UsageError(`gpmon new journey: "${name}" ${nameCheck.error.issues[0]?.message ?? 'is not a journey name'}`);
  const kind = values.protocol === true ? 'protocol' : 'browser';
  const dir = resolve(values.dir ?? 'journeys');
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`gpmon new journey: --dir: ${dir} is a file, not a folder`);
  const file = resolve(dir, `${name}.spec.ts`);
  if (existsSync(file)) throw new UsageError(`gpmon new journey: ${file} exists; it is left as it is (choose another name, or delete it first)`);
  // The names discovery knows (the shipped journeys and the config's journeyDirs): a second file with one would not load.
  const loaded = await loadConfig(values.config, io.env);
  const configName = loaded.file === null ? 'monitor.config.ts' : relative(process.cwd(), loaded.file) || loaded.file;
  if (loaded.ok && loaded.config.journeys.some((j) => j.definition.name === name)) {
    const twin = loaded.config.journeys.find((j) => j.definition.name === name);
    throw new UsageError(`gpmon new journey: "${name}" is already the name of ${twin?.definition.file ?? 'a journey'}`);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, kind === 'browser' ? browserJourney(name) : protocolJourney(name), { flag: 'wx' });
  const shown = relative(process.cwd(), file) || file;
  // Read already: gpmon's own journeys/, or a folder the config lists (the config's journeys come from the folders it reads).
  const shippedFolder = resolve(SHIPPED_JOURNEYS.path) === dir;
  const read = shippedFolder || (loaded.file !== null && (loaded.journeyDirs ?? []).includes(dir));
  io.out(`wrote ${shown}: a ${kind} journey "${name}", steps login, ask_agent`);
  io.out('next:');
  const here = resolve(PROJECT_ROOT) === resolve(process.cwd());
  const playwright = here ? 'npx playwright test' : `node ${relative(process.cwd(), PLAYWRIGHT_CLI) || PLAYWRIGHT_CLI} test`;
  const config = here ? '' : ` --config ${relative(process.cwd(), resolve(PROJECT_ROOT, 'playwright.config.ts'))}`;
  io.out(`  ${shippedFolder ? '' : `GPMON_JOURNEY_DIR=${dir} `}${playwright} ${shown}${config}   run it by hand against the embedded simulator (add --ui for UI mode)`);
  if (!read) io.out(`  add journeyDirs: ['${relative(loaded.file === null ? process.cwd() : dirname(loaded.file), dir) || '.'}'] to ${configName} (relative to the config's folder), so gpmon finds it`);
  io.out(`  gpmon run ${name}   run it as the monitor does, with a live step table`);
  io.out(`  gpmon journeys   see it listed; set its schedule and targets under journeys['${name}'] in ${configName}`);
  return 0;
}

import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DISCOVERY_REGISTRY, type DiscoveryRegistry } from '../kit/journey-declaration.js';
import { journeyDeclarationSchema, type JourneyDefinition } from '../model/journey.js';
import { describeIssues } from '../model/zod-issues.js';
import { raceTimeout } from '../time/race-timeout.js';

/** How long one journey file may take to load for its declaration (its top-level awaits included), ms. */
export const JOURNEY_LOAD_TIMEOUT_MS = 10_000;

let hooksRegistered = false;

/**
 * The hooks that hand a file read for its declaration the kit's light
 * stand-in (src/catalog/discovery-hooks.mjs): registered once per process,
 * the first time discovery runs (Node's module hooks cannot be removed).
 */
function registerDiscoveryHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  register('./discovery-hooks.mjs', import.meta.url, { data: { standIn: new URL('../kit/discovery-kit.ts', import.meta.url).href } });
}

/** An error's message as a load problem: its first lines (a transform error's cause is on the second), on one line. */
export function loadError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(0, 3)
    .join(' ')
    .slice(0, 500);
}

/** Every journey found, and every problem, each naming its file; `ok` only when there is none. */
export type Discovery = { readonly ok: true; readonly journeys: JourneyDefinition[] } | { readonly ok: false; readonly journeys: JourneyDefinition[]; readonly problems: string[] };

/** A folder of journey files: where it is, and how a problem names it (as the user wrote it). */
export interface JourneyFolder {
  /** Absolute, or relative to the process's working directory. */
  readonly path: string;
  /** How problems name the folder: the config's `journeyDirs` entry, say. */
  readonly label: string;
}

/**
 * Finds the journeys in `folders`: every `*.spec.ts` there (sub-folders
 * included, node_modules not) is imported with a discovery registry set, so
 * its `defineJourney` call records its declaration instead of registering a
 * Playwright test. A file must declare exactly one journey, valid, with a name
 * no other file has; a folder must exist. A journey's `file` is relative to
 * `root` when inside it, else absolute. TypeScript files need a loader in the
 * process (tsx, as bin/gpmon.js registers). Each call imports the files
 * afresh (a query on the URL makes a new module instance), so discovering
 * twice in one process finds the same journeys twice.
 */
export async function discoverJourneys(root: string, folders: readonly JourneyFolder[], options: { loadTimeoutMs?: number } = {}): Promise<Discovery> {
  const loadTimeoutMs = options.loadTimeoutMs ?? JOURNEY_LOAD_TIMEOUT_MS;
  const problems: string[] = [];
  const journeys: JourneyDefinition[] = [];
  const seenFiles = new Set<string>();
  const files: string[] = [];
  for (const folder of folders) {
    const path = resolve(folder.path);
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch {
      problems.push(`${folder.label}: no such folder of journeys (${path})`);
      continue;
    }
    if (!isFolder) {
      problems.push(`${folder.label}: ${path} is a file, not a folder of journeys`);
      continue;
    }
    // A folder listed twice, or inside another listed one, gives each file once.
    for (const file of specFiles(path)) {
      if (seenFiles.has(file)) continue;
      seenFiles.add(file);
      files.push(file);
    }
  }
  const holder = globalThis as { [DISCOVERY_REGISTRY]?: DiscoveryRegistry };
  const instance = randomUUID();
  if (files.length > 0) registerDiscoveryHooks();
  // A file that calls process.exit() while it loads would end gpmon with no word: it is refused instead, naming the file.
  const exit = process.exit.bind(process);
  process.exit = (code?: number | string | null) => {
    throw new Error(`it called process.exit(${code ?? ''}) while loading`);
  };
  try {
    for (const path of files) {
      const inRoot = relative(root, path);
      const file = inRoot.startsWith('..') || isAbsolute(inRoot) ? path : inRoot.split('\\').join('/');
      const registry: DiscoveryRegistry = { declared: [] };
      holder[DISCOVERY_REGISTRY] = registry;
      const late = Symbol('late');
      try {
        // raceTimeout's timer keeps the process alive while a top-level await is pending, so the limit can name the file.
        const loaded = await raceTimeout(import(`${pathToFileURL(path).href}?gpmon-discovery=${instance}`) as Promise<unknown>, loadTimeoutMs, late);
        if (loaded === late) {
          problems.push(`${file}: did not finish loading within ${loadTimeoutMs / 1000} s (a top-level await that never settles?)`);
          continue;
        }
      } catch (error) {
        const message = loadError(error);
        problems.push(
          /did not expect test\(\) to be called/.test(message)
            ? `${file}: declares its test with test() or journeyTest(), not defineJourney(): the monitor cannot read its name and steps`
            : `${file}: cannot load: ${message}`,
        );
        continue;
      }
      if (registry.declared.length !== 1) {
        problems.push(
          registry.declared.length === 0
            ? `${file}: declares no journey (export default defineJourney({ name, kind, steps, … }, async ({ run }) => { … }))`
            : `${file}: declares ${registry.declared.length} journeys; a file declares one`,
        );
        continue;
      }
      const declared = registry.declared[0];
      const parsed = journeyDeclarationSchema.safeParse(declared);
      if (!parsed.success) {
        for (const line of describeIssues(parsed.error, declared, '(declaration)')) problems.push(`${file}: ${line}`);
        continue;
      }
      const twin = journeys.find((journey) => journey.name === parsed.data.name);
      if (twin !== undefined) {
        problems.push(`${file}: the name "${parsed.data.name}" is already ${twin.file}'s`);
        continue;
      }
      journeys.push({ ...parsed.data, file });
    }
  } finally {
    // Gone once discovery ends, so a later import of a journey file registers its test as usual.
    Reflect.deleteProperty(holder, DISCOVERY_REGISTRY);
    process.exit = exit;
  }
  return problems.length === 0 ? { ok: true, journeys } : { ok: false, journeys, problems };
}

/** `*.spec.ts` files under the folder `dir` (absolute), in a stable order. */
function specFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = resolve(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : specFiles(path);
      return entry.isFile() && entry.name.endsWith('.spec.ts') ? [path] : [];
    });
}

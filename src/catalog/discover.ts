import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DISCOVERY_REGISTRY, journeyDeclarationSchema, type DiscoveryRegistry, type JourneyDeclaration } from '../kit/journey-declaration.js';

/** A journey as a file declares it, with where the file is (relative to the project root, '/'-separated). */
export interface DiscoveredJourney extends JourneyDeclaration {
  readonly file: string;
}

/** Every journey found, and every problem, each naming its file; `ok` only when there is none. */
export type Discovery = { readonly ok: true; readonly journeys: DiscoveredJourney[] } | { readonly ok: false; readonly journeys: DiscoveredJourney[]; readonly problems: string[] };

/**
 * Finds the journeys under `dirs` (relative to `root`): every `*.spec.ts`
 * there is imported with a discovery registry set, so its `defineJourney`
 * call records its declaration instead of registering a Playwright test.
 * A file must declare exactly one journey, valid, with a name no other file
 * has. TypeScript files need a loader in the process (tsx, as bin/gpmon.js
 * registers). An ES module is imported once per process: call it once, at start.
 */
export async function discoverJourneys(root: string, dirs: readonly string[]): Promise<Discovery> {
  const problems: string[] = [];
  const journeys: DiscoveredJourney[] = [];
  const files = dirs.flatMap((dir) => {
    const path = join(root, dir);
    try {
      return specFiles(path);
    } catch {
      problems.push(`${dir}: no such folder of journeys`);
      return [];
    }
  });
  const holder = globalThis as { [DISCOVERY_REGISTRY]?: DiscoveryRegistry };
  try {
    for (const path of files) {
      const file = relative(root, path).split('\\').join('/');
      const registry: DiscoveryRegistry = { declared: [] };
      holder[DISCOVERY_REGISTRY] = registry;
      try {
        await import(pathToFileURL(path).href);
      } catch (error) {
        const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
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
      const parsed = journeyDeclarationSchema.safeParse(registry.declared[0]);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) problems.push(`${file}: ${issue.path.join('.') || '(declaration)'}: ${issue.message}`);
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
  }
  return problems.length === 0 ? { ok: true, journeys } : { ok: false, journeys, problems };
}

/** `*.spec.ts` files under `dir`, in a stable order. Throws when `dir` is not a folder. */
function specFiles(dir: string): string[] {
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : specFiles(path);
      return entry.isFile() && entry.name.endsWith('.spec.ts') ? [path] : [];
    });
}

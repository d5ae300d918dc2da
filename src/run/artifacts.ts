import { mkdir, realpath, stat } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import type { ArtifactRecord } from '../model/run-record.js';
import type { Redactor } from '../secrets/redactor.js';
import { redactFiles } from '../secrets/artifact-files.js';

export interface ArtifactSource {
  readonly name: string;
  readonly path: string;
}

export interface ArtifactPlaces {
  /** The run's own folder, where the artifacts go. */
  readonly runDir: string;
  /** The runs folder: stored paths are relative to it. */
  readonly runsRoot: string;
  /** Only files whose real path is inside this folder are taken (the child's own scratch). */
  readonly allowedRoot: string;
}

/**
 * Moves a run's artifacts into its run folder with every secret replaced,
 * inside trace archives too, redacted together (redactFiles: every
 * credential any of them shows by its place is replaced in all). A file that
 * cannot be read, or whose real path is outside the child's folder (a symlink,
 * a path a journey made up), is skipped and reported.
 */
export async function storeArtifacts(
  sources: readonly ArtifactSource[],
  places: ArtifactPlaces,
  redactor: Redactor,
): Promise<{ stored: ArtifactRecord[]; problems: string[] }> {
  // A run with nothing to keep (interrupted before it began) gets no folder.
  if (sources.length > 0) await mkdir(places.runDir, { recursive: true });
  const problems: string[] = [];
  const used = new Set<string>();
  const root = await realpath(places.allowedRoot).catch(() => places.allowedRoot);
  const taken: { name: string; from: string; to: string }[] = [];
  for (const source of sources) {
    const name = uniqueName(fileNameFor(source), used);
    try {
      const real = await realpath(source.path);
      if (!real.startsWith(root + sep)) throw new Error('not inside the run\'s own folder; not taken');
      if (!(await stat(real)).isFile()) throw new Error('not a regular file; not taken');
      taken.push({ name, from: real, to: join(places.runDir, name) });
    } catch (error) {
      problems.push(`${source.name}: ${redactor.text(error instanceof Error ? error.message : String(error))}`);
    }
  }
  const results = await redactFiles(taken, redactor);
  const stored: ArtifactRecord[] = [];
  for (const [i, result] of results.entries()) {
    const { name, to } = taken[i] ?? { name: '?', to: '' };
    if (result.ok) stored.push({ name, path: relative(places.runsRoot, to), bytes: result.bytes });
    else problems.push(`${name}: ${result.problem}`);
  }
  return { stored, problems };
}

/** Playwright names its attachments `trace` and `screenshot`; files keep a safe base name. */
function fileNameFor(source: ArtifactSource): string {
  const ext = extname(source.path);
  const base = source.name.includes('.') ? source.name : `${source.name}${ext}`;
  return basename(base).replace(/[^A-Za-z0-9._-]/g, '_') || `artifact${ext}`;
}

function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  for (let i = 2; used.has(candidate); i++) {
    const ext = extname(name);
    candidate = `${name.slice(0, name.length - ext.length)}-${i}${ext}`;
  }
  used.add(candidate);
  return candidate;
}

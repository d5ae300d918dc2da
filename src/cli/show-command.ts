import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { realArtifactPath } from '../http/artifact-path.js';
import { runView, transcriptPage, type ArtifactView, type TranscriptPage } from '../model/run-view.js';
import type { RunStore } from '../store/run-store.js';
import { openHistory, readFailure, type HistoryReading } from './history-reader.js';
import { showLines, type ShowInput } from './show-text.js';
import { shellWord, terminalJson, terminalText } from './terminal-text.js';
import { UsageError, type CliIo, type ExitCode } from './usage.js';

/** What `gpmon show` takes, as commander parses it (values unchecked). */
export interface ShowOptions {
  readonly config?: string;
  readonly json?: boolean;
  readonly page?: string;
}

/** The run ids gpmon makes (UUIDs) and the API accepts. */
const RUN_ID = /^[A-Za-z0-9-]{1,64}$/;
/** A transcript larger than this is not paged here (the file is named; it can be read whole). */
const MAX_TRANSCRIPT_BYTES = 32 * 1024 * 1024;
/** The terminal width assumed when there is no terminal to ask (a pipe, a file, CI). */
const DEFAULT_WIDTH = 100;

/**
 * `gpmon show <run-id>`: one finished run as the console's run view shows it
 * (src/model/run-view.ts), in a terminal; with --json, the stored run record
 * (the shape of `gpmon run --json` and GET /api/runs/:id). --page N prints
 * that page of the WebSocket transcript (100 lines a page). Exit 0 shown; 2
 * for a bad id or value, a run not in the history (or still in flight), or a
 * history that cannot be read, each with a message naming it.
 */
export async function showCommand(id: string, options: ShowOptions, io: CliIo): Promise<ExitCode> {
  let reading: HistoryReading | undefined;
  try {
    if (!RUN_ID.test(id)) throw new UsageError(`gpmon show: "${terminalText(id)}" is not a run id (letters, digits and "-"; gpmon runs lists them)`);
    const page = parsePage(options.page);
    if (page !== undefined && options.json === true) throw new UsageError('gpmon show: --page pages the transcript in the text view, and --json prints the whole record: give one of them');
    reading = await openHistory('show', options.config, io);
    const { store, place, config } = reading;
    if (store === undefined) throw new UsageError(`gpmon show: no run ${id}: no runs are recorded in ${place.database} yet`);
    const record = store.get(id);
    if (record === undefined) {
      if (store.isRunning(id)) {
        throw new UsageError(`gpmon show: run ${id} is still in flight; show it again once it has finished (the console of the gpmon serve running it follows it live at /runs/${id})`);
      }
      throw new UsageError(`gpmon show: no run ${id} in ${place.database}${nearIds(store, id) || ' (gpmon runs lists the runs there; retention removes old ones)'}`);
    }
    if (options.json === true) {
      io.out(terminalJson(record));
      return 0;
    }
    const journey = config.journeys.find((j) => j.definition.name === record.journey);
    const view = runView(record, journey?.slo ?? {});
    const artifacts = await Promise.all(view.artifacts.map(async (artifact) => ({ artifact, hostPath: await realArtifactPath(place.runsDir, record.id, artifact.path) })));
    const transcriptArtifact = artifacts.find((a) => a.artifact.kind === 'transcript');
    if (page !== undefined && transcriptArtifact === undefined) throw new UsageError(`gpmon show: --page: run ${id} kept no WebSocket transcript`);
    const transcript = transcriptArtifact === undefined ? undefined : await readTranscript(transcriptArtifact, page ?? 1);
    if (page !== undefined && transcript?.page !== undefined && page > transcript.page.pages) {
      throw new UsageError(`gpmon show: --page: "${String(page)}" is past the transcript's last page, ${String(transcript.page.pages)}`);
    }
    const input: ShowInput = {
      view,
      journeyConfigured: journey !== undefined,
      runFolder: join(place.runsDir, record.id),
      artifacts,
      ...(transcript !== undefined ? { transcript } : {}),
      commandSuffix: options.config === undefined ? '' : ` --config ${shellWord(options.config)}`,
    };
    for (const line of showLines(input, terminalWidth(io), Date.now())) io.out(line);
    return 0;
  } catch (error) {
    return readFailure('show', error, reading?.place, io);
  } finally {
    reading?.store?.close();
  }
}

/** --page's value: a whole number from 1, or undefined when not given; UsageError otherwise. */
function parsePage(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const page = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(page) || page < 1) throw new UsageError(`gpmon show: --page: "${terminalText(value)}" is not a whole number from 1`);
  return page;
}

/** `; did you mean …?` for an id that begins one or a few of the newest runs' ids (a copy cut short), else ''. */
function nearIds(store: RunStore, id: string): string {
  const matches = store
    .list({ limit: 1000 })
    .map((r) => r.id)
    .filter((other) => other.startsWith(id));
  if (matches.length === 0) return '';
  if (matches.length === 1) return `; did you mean ${matches[0] ?? ''}?`;
  return `; ${String(matches.length)} runs begin with "${id}": ${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', …' : ''}`;
}

/** One page of the transcript artifact, or why it cannot be shown. */
async function readTranscript({ artifact, hostPath }: { artifact: ArtifactView; hostPath: string | undefined }, page: number): Promise<{ name: string; page?: TranscriptPage; problem?: string }> {
  const name = artifact.name;
  if (hostPath === undefined) return { name, problem: 'the file is not in the run folder any more' };
  try {
    const size = (await stat(hostPath)).size;
    if (size > MAX_TRANSCRIPT_BYTES) return { name, problem: `${String(Math.round(size / 1024 / 1024))} MiB, too large to page here; read the file: ${hostPath}` };
    return { name, page: transcriptPage(await readFile(hostPath, 'utf8'), page) };
  } catch (error) {
    return { name, problem: `cannot be read: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * The width the waterfall is drawn for: COLUMNS when set (shells set it; a
 * test or a script can), else the terminal's own when standard output is
 * one, else 100; within 40 to 400.
 */
export function terminalWidth(io: Pick<CliIo, 'env' | 'tty'>, ttyColumns: number = process.stdout.columns): number {
  const fromEnv = Number(io.env.COLUMNS);
  const width = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : io.tty === true && ttyColumns > 0 ? ttyColumns : DEFAULT_WIDTH;
  return Math.min(Math.max(width, 40), 400);
}

import type { RunRecord } from '../model/run-record.js';
import { revisionMatches, type RevisionExpectation } from '../model/revision.js';

export type { RevisionExpectation };

/**
 * The expectations, one per target (a new deploy replaces the last one), fed
 * by CI's POSTs and by every finished run. `onChange` gets each expectation
 * as it changes (the metrics and the store take it from there).
 */
export class DeployExpectations {
  private readonly byTarget = new Map<string, RevisionExpectation>();
  /** The last revision each target reported, from any run (so an expectation already live is live at once). */
  private readonly observed = new Map<string, string>();

  constructor(
    private readonly onChange: (expectation: RevisionExpectation) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Expectations kept from before a restart, and the revisions runs last read, as the store gives them back. */
  restore(expectations: readonly RevisionExpectation[]): void {
    for (const e of expectations) {
      this.byTarget.set(e.target, e);
      if (e.observed !== null) this.observed.set(e.target, e.observed);
      this.onChange(e);
    }
  }

  /** CI deployed `revision` to `target`; it must be live within `withinMs`. */
  expect(target: string, revision: string, withinMs: number): RevisionExpectation {
    const at = this.now();
    const observed = this.observed.get(target) ?? null;
    const expectation: RevisionExpectation = {
      target,
      revision,
      expectedAt: new Date(at).toISOString(),
      deadline: new Date(at + withinMs).toISOString(),
      ...(revisionMatches(revision, observed) ? { liveAt: new Date(at).toISOString() } : {}),
      observed,
    };
    this.byTarget.set(target, expectation);
    this.onChange(expectation);
    return expectation;
  }

  /** A finished run: the revision it read (if any) is the target's now. */
  observe(record: RunRecord): void {
    const revision = record.targetInfo.revision;
    if (revision === null) return;
    this.observed.set(record.target, revision);
    const current = this.byTarget.get(record.target);
    if (current === undefined || current.observed === revision) return;
    const live = current.liveAt !== undefined || revisionMatches(current.revision, revision);
    const next: RevisionExpectation = { ...current, observed: revision, ...(live && current.liveAt === undefined ? { liveAt: record.finishedAt } : {}) };
    this.byTarget.set(record.target, next);
    this.onChange(next);
  }

  get(target: string): RevisionExpectation | undefined {
    return this.byTarget.get(target);
  }

  list(): readonly RevisionExpectation[] {
    return [...this.byTarget.values()];
  }
}

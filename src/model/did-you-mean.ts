import { closest, distance } from 'fastest-levenshtein';

/**
 * ` (did you mean "x"?)` when the known name nearest to `name` is within
 * max(2, a third of the name's length) edits (Levenshtein, via
 * fastest-levenshtein), else ''. For messages that name an unknown journey.
 */
export function didYouMean(name: string, known: readonly string[]): string {
  if (known.length === 0) return '';
  const nearest = closest(name, [...known]);
  return distance(name, nearest) <= Math.max(2, Math.ceil(name.length / 3)) ? ` (did you mean "${nearest}"?)` : '';
}

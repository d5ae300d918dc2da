import type { z } from 'zod';

/**
 * Zod's issues as `path: message` lines, the form every load error takes
 * (config, journey declarations): an unknown key is `path.key: unknown key`;
 * an array item is named by its `name` field when `raw` (the value parsed)
 * gives it one, else by its index. `root` names the whole value when the path
 * is empty.
 */
export function describeIssues(error: z.ZodError, raw: unknown, root: string): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    const path = pathOf(issue.path, raw);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(`${path === '' ? '' : `${path}.`}${key}: unknown key`);
      continue;
    }
    lines.push(`${path === '' ? root : path}: ${issue.message}`);
  }
  return lines;
}

function pathOf(path: readonly PropertyKey[], raw: unknown): string {
  const parts: string[] = [];
  let node: unknown = raw;
  for (const key of path) {
    const child: unknown = typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    if (typeof key === 'number') {
      const name = typeof child === 'object' && child !== null ? (child as { name?: unknown }).name : undefined;
      parts.push(typeof name === 'string' && name !== '' ? name : String(key));
    } else {
      parts.push(String(key));
    }
    node = child;
  }
  return parts.join('.');
}

/**
 * The URLs people follow to this gpmon from outside it: its external URL (the
 * console's base, in alert annotations and on the dashboard) and the runbook's
 * base. Both end up in a metric label, an alert and a dashboard, so neither
 * may carry a user name or password; and links are built by appending to them,
 * so neither may carry a #fragment (nor, for the external URL, a ?query).
 */

export type PublicUrlResult = { ok: true; url: string } | { ok: false; problem: string };

/**
 * Checks an absolute http(s) URL given as a setting. `query`: whether a
 * ?query is allowed (a runbook page may be addressed by one; the console's
 * base is not). The URL as parsed is returned (lower-case scheme and host, no
 * default port); `trimSlash` drops trailing slashes from its path, so paths
 * can be appended with one. A problem never repeats the value given: it may
 * hold a password.
 */
export function parsePublicUrl(given: string, options: { readonly query: boolean; readonly trimSlash: boolean }): PublicUrlResult {
  let url: URL;
  try {
    url = new URL(given.trim());
  } catch {
    return { ok: false, problem: 'is not an absolute URL (for example https://gpmon.example.com)' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, problem: `must be an http:// or https:// URL (got ${url.protocol.slice(0, 16)})` };
  if (url.username !== '' || url.password !== '') return { ok: false, problem: 'must not hold a user name or password: it is shown in alerts, metrics and dashboards' };
  if (url.hash !== '' || given.includes('#')) return { ok: false, problem: 'must not have a #fragment: links are built by appending to it' };
  if (!options.query && (url.search !== '' || given.includes('?'))) return { ok: false, problem: 'must not have a ?query: links are built by appending paths to it' };
  if (!options.trimSlash) return { ok: true, url: url.href };
  return { ok: true, url: `${url.origin}${url.pathname.replace(/\/+$/, '')}${url.search}` };
}

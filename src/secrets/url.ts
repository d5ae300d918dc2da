/**
 * A URL as it may be written to a transcript, evidence or a terminal: no
 * user info, and every query value replaced by `…` (the names kept, for
 * debugging). Pages and operators put tokens in socket URLs
 * (`?token=`, `?ticket=`), under names no redactor can know in advance.
 * A string that is not a URL comes back as `<not a URL>`.
 */
export function urlWithoutSecrets(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '<not a URL>';
  }
  parsed.username = '';
  parsed.password = '';
  const names = [...parsed.searchParams.keys()];
  const query = names.length === 0 ? '' : `?${names.map((name) => `${name}=…`).join('&')}`;
  return `${parsed.origin}${parsed.pathname === '/' ? '' : parsed.pathname}${query}`;
}

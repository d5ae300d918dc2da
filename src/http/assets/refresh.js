// Keeps a console page's live parts fresh without reloading it (no inline script: the CSP allows only files
// from /assets). Every N seconds (the region's data-refresh), while the tab is visible and auto-refresh is on,
// it fetches the page again and swaps each [data-refresh] region (matched by id) for its new version. A
// region that holds the keyboard focus is left alone, so a refresh never moves the operator's focus or
// yanks what they are reading; the button (aria-pressed) turns auto-refresh off and on, remembered per tab.
/* global document, sessionStorage, fetch, location, DOMParser, setInterval */
(() => {
  const regions = () => [...document.querySelectorAll('[data-refresh][id]')];
  const first = regions()[0];
  if (first === undefined) return;
  const every = Math.max(5, Number(first.getAttribute('data-refresh')) || 15) * 1000;
  const KEY = 'gpmon.autoRefresh';
  let on = sessionStorage.getItem(KEY) !== 'off';
  const toggle = document.getElementById('auto-refresh');
  const show = () => {
    if (toggle === null) return;
    toggle.setAttribute('aria-pressed', String(on));
    toggle.title = on ? `Refreshes every ${every / 1000} s; press to stop` : 'Press to refresh this page every few seconds';
    toggle.hidden = false;
  };
  toggle?.addEventListener('click', () => {
    on = !on;
    sessionStorage.setItem(KEY, on ? 'on' : 'off');
    show();
  });
  show();
  let busy = false;
  const refresh = async () => {
    if (!on || busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin', cache: 'no-store' });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
      for (const region of regions()) {
        if (region.contains(document.activeElement)) continue;
        const next = fresh.getElementById(region.id);
        if (next !== null && next.hasAttribute('data-refresh')) region.replaceWith(document.importNode(next, true));
      }
    } catch {
      // The monitor is restarting or the network blinked: the next turn tries again.
    } finally {
      busy = false;
    }
  };
  setInterval(() => void refresh(), every);
})();

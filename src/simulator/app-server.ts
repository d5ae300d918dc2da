import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { SimulatorState } from './state.js';
import { notFound, jsonErrors } from './http-common.js';

export interface AppDeps {
  readonly state: SimulatorState;
  readonly authUrl: string;
  readonly apiUrl: string;
  readonly wsUrl: string;
}

const PUBLIC_DIR = fileURLToPath(new URL('./app/public/', import.meta.url));

/**
 * The web front end (contract §6): server-rendered shells whose scripts do the
 * work, as a single-page app does: cross-origin calls to auth, the WebSocket
 * with the token as a subprotocol, and the chat.
 */
export function createAppApp(deps: AppDeps): Express {
  const { state } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.use('/static', express.static(PUBLIC_DIR, { etag: false, maxAge: 0 }));

  app.get('/', (_req, res) => {
    res.redirect(302, '/chat');
  });

  app.get('/login', (_req, res) => {
    const body = state.loginForm
      ? `<form id="login-form" class="card">
  <h1>Sign in</h1>
  <input type="email" name="email" placeholder="Email" autocomplete="username" required>
  <input type="password" name="password" placeholder="Password" autocomplete="current-password" required>
  <button type="submit">Login with Custom Credentials</button>
  <p id="login-error" class="error" role="alert" hidden></p>
</form>`
      : `<div class="card">
  <h1>Netra</h1>
  <button type="button" id="access-beta">Access Beta</button>
  <p id="login-error" class="error" role="alert" hidden></p>
</div>`;
    res.type('html').send(page('Sign in', body, 'login.js', baseConfig(deps)));
  });

  app.get('/auth/callback', (_req, res) => {
    const body = `<div class="card"><p id="callback-status">Signing you in…</p></div>`;
    res.type('html').send(page('Signing in', body, 'callback.js', baseConfig(deps)));
  });

  app.get('/chat', (_req, res) => {
    const broken = state.fault('broken_chat_page');
    const sendButton =
      broken?.mode === 'no_send_button' ? '' : '<button type="button" data-testid="send-button" disabled>Send</button>';
    const body = `<header>
  <strong>Netra</strong>
  <span data-testid="user-email"></span>
  <span data-testid="connection-status" class="status">connecting</span>
</header>
<main id="messages" aria-live="polite"></main>
<div data-testid="thinking-indicator" class="thinking" hidden>Agent is thinking…</div>
<footer>
  <textarea data-testid="message-textarea" placeholder="Ask the agent something" rows="2" disabled></textarea>
  ${sendButton}
</footer>`;
    const config = {
      ...baseConfig(deps),
      renderDelayMs: state.delay('render'),
      scriptError: broken?.mode === 'script_error',
      answerNotRendered: state.fault('answer_not_rendered') !== undefined,
      reconnectOnClose: state.fault('close_1011')?.reconnect === true,
      freezeOnSend: state.fault('page_freeze') !== undefined,
      connectGiveUpMs: state.fault('upgrade_unanswered')?.give_up ?? null,
      socketInWorker: state.fault('socket_in_worker') !== undefined,
    };
    res.type('html').send(page('Chat', body, 'chat.js', config));
  });

  app.use(notFound);
  app.use(jsonErrors);
  return app;
}

function baseConfig(deps: AppDeps): Record<string, unknown> {
  return { authUrl: deps.authUrl, apiUrl: deps.apiUrl, wsUrl: deps.wsUrl };
}

function page(title: string, body: string, script: string, config: Record<string, unknown>): string {
  // `<` escaped so no value can close the script element.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Netra staging simulator</title>
<link rel="stylesheet" href="/static/app.css">
<link rel="icon" href="data:,">
</head>
<body>
${body}
<script>window.__APP_CONFIG__ = ${json};</script>
<script src="/static/${script}"></script>
</body>
</html>
`;
}

'use strict';
// The chat page of the simulated front end: checks the session with the auth
// service, opens the WebSocket with the token offered as a subprotocol
// (`jwt.<base64url>`, the only way a browser can send it), sends start_agent
// and renders the agent's answer as an assistant card.
(function () {
  var config = window.__APP_CONFIG__;
  var token = window.localStorage.getItem('jwt_token');
  if (!token) {
    window.location.replace('/login');
    return;
  }
  var messages = document.getElementById('messages');
  var status = document.querySelector('[data-testid="connection-status"]');
  var textarea = document.querySelector('[data-testid="message-textarea"]');
  var sendButton = document.querySelector('[data-testid="send-button"]');
  var thinking = document.querySelector('[data-testid="thinking-indicator"]');
  var socket = null;
  var pendingAnswer = '';

  function base64url(text) {
    var bytes = new TextEncoder().encode(text);
    var binary = '';
    bytes.forEach(function (b) { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function card(role, text) {
    var element = document.createElement('div');
    element.setAttribute('role', 'article');
    element.setAttribute('data-role', role);
    element.textContent = text;
    messages.appendChild(element);
    return element;
  }

  function setReady(ready) {
    textarea.disabled = !ready;
    if (sendButton) sendButton.disabled = !ready;
  }

  // Fields live under data, payload or the root, depending on the server path.
  function merge(frame) {
    var merged = Object.assign({}, frame);
    if (frame.payload && typeof frame.payload === 'object') Object.assign(merged, frame.payload);
    if (frame.data && typeof frame.data === 'object') Object.assign(merged, frame.data);
    return merged;
  }

  function answerOf(event) {
    var result = event.result;
    if (typeof result === 'string' && result.trim()) return result;
    if (result && typeof result === 'object') {
      var keys = ['content', 'text', 'summary', 'message'];
      for (var i = 0; i < keys.length; i++) {
        if (typeof result[keys[i]] === 'string' && result[keys[i]].trim()) return result[keys[i]];
      }
    }
    if (typeof event.final_response === 'string' && event.final_response.trim()) return event.final_response;
    if (typeof event.response === 'string' && event.response.trim()) return event.response;
    return pendingAnswer;
  }

  function onFrame(frame) {
    var event = merge(frame);
    switch (frame.type) {
      case 'connection_established':
        status.textContent = 'connected';
        setReady(true);
        break;
      case 'agent_response':
        if (typeof event.content === 'string') pendingAnswer = event.content;
        break;
      case 'agent_completed': {
        var answer = answerOf(event);
        pendingAnswer = '';
        window.setTimeout(function () {
          thinking.hidden = true;
          if (config.answerNotRendered) card('assistant', 'Agent completed.');
          else if (answer) card('assistant', answer);
          else card('error', 'The agent returned an empty answer.');
        }, config.renderDelayMs);
        break;
      }
      case 'error_message':
      case 'error':
      case 'agent_error':
        thinking.hidden = true;
        card('error', event.error_message || event.message || 'The agent failed.');
        break;
      default:
        break;
    }
  }

  // Fault socket_in_worker: the live channel in a Web Worker, as some front ends keep it off the main thread;
  // the page talks to it by messages, through an object shaped like the socket.
  function workerSocket(url, protocols) {
    var source = 'var ws; onmessage = function (m) {' +
      ' if (m.data.open) { ws = new WebSocket(m.data.open, m.data.protocols);' +
      ' ws.onopen = function () { postMessage({ open: true }); };' +
      ' ws.onmessage = function (e) { postMessage({ data: e.data }); };' +
      ' ws.onclose = function (e) { postMessage({ close: true, code: e.code, reason: e.reason }); }; }' +
      ' else if (ws) ws.send(m.data.send); };';
    var worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
    var listeners = { message: [], close: [] };
    var channel = {
      readyState: WebSocket.CONNECTING,
      send: function (data) { worker.postMessage({ send: data }); },
      close: function () { worker.terminate(); },
      addEventListener: function (type, listener) { if (listeners[type]) listeners[type].push(listener); },
    };
    worker.onmessage = function (m) {
      if (m.data.open) channel.readyState = WebSocket.OPEN;
      else if (m.data.close) {
        channel.readyState = WebSocket.CLOSED;
        listeners.close.forEach(function (listener) { listener({ code: m.data.code, reason: m.data.reason }); });
      } else listeners.message.forEach(function (listener) { listener({ data: m.data.data }); });
    };
    worker.postMessage({ open: url, protocols: protocols });
    return channel;
  }

  function connect() {
    status.textContent = 'connecting';
    socket = config.socketInWorker
      ? workerSocket(config.wsUrl + '/ws', ['jwt.' + base64url(token)])
      : new WebSocket(config.wsUrl + '/ws', ['jwt.' + base64url(token)]);
    // Like front ends with a connect timeout: a socket still connecting after it is closed, and the page says so.
    if (config.connectGiveUpMs) {
      var connecting = socket;
      window.setTimeout(function () {
        if (connecting.readyState !== WebSocket.CONNECTING) return;
        connecting.close();
        status.textContent = 'could not connect';
      }, config.connectGiveUpMs);
    }
    socket.addEventListener('message', function (message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch { return; }
      if (frame && typeof frame.type === 'string') onFrame(frame);
    });
    socket.addEventListener('close', function (event) {
      setReady(false);
      thinking.hidden = true;
      status.textContent = 'disconnected (' + event.code + (event.reason ? ' ' + event.reason : '') + ')';
      // Like front ends that auto-reconnect: a new socket at once after an abnormal close.
      if (config.reconnectOnClose && event.code !== 1000) connect();
    });
  }

  function send() {
    // Fault page_freeze: the main thread never yields again, as a runaway render loop does.
    if (config.freezeOnSend) for (;;) { /* frozen */ }
    var text = textarea.value.trim();
    if (!text || !socket || socket.readyState !== WebSocket.OPEN) return;
    card('user', text);
    textarea.value = '';
    thinking.hidden = false;
    socket.send(JSON.stringify({
      type: 'start_agent',
      payload: { user_request: text, thread_id: null, context: { source: 'message_input' } },
    }));
  }

  function start() {
    if (sendButton) sendButton.addEventListener('click', send);
    textarea.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        send();
      }
    });
    fetch(config.authUrl + '/auth/me', { headers: { Authorization: 'Bearer ' + token } })
      .then(function (response) {
        if (response.status === 401) {
          window.localStorage.removeItem('jwt_token');
          window.location.replace('/login');
          return null;
        }
        if (!response.ok) throw new Error('auth service answered ' + response.status);
        return response.json();
      })
      .then(function (me) {
        if (!me) return;
        document.querySelector('[data-testid="user-email"]').textContent = me.email;
        connect();
      })
      .catch(function (failure) {
        status.textContent = 'session check failed';
        card('error', 'Cannot verify your session: ' + (failure instanceof TypeError ? 'the auth service is unreachable' : failure.message));
      });
  }

  if (config.scriptError) {
    // The broken-deploy fault: a bundle that references a module that did not ship.
    window.__chatBundle.start();
  } else {
    start();
  }
})();

'use strict';
// Stores the tokens the way the platform's front end does, then opens the chat.
(function () {
  var params = new URLSearchParams(window.location.search);
  var access = params.get('access_token');
  var refresh = params.get('refresh_token');
  var status = document.getElementById('callback-status');
  // Tokens must not linger in the address bar or history.
  window.history.replaceState(null, '', '/auth/callback');
  if (!access) {
    status.textContent = 'Sign-in failed: no access token in the callback.';
    status.className = 'error';
    return;
  }
  window.localStorage.setItem('jwt_token', access);
  if (refresh) window.localStorage.setItem('refresh_token', refresh);
  window.location.replace('/chat');
})();

'use strict';
// Login page of the simulated front end: the development password form posts to
// the auth origin (cross-origin, so CORS matters), then hands the tokens to
// /auth/callback exactly as the OAuth flow does.
(function () {
  var config = window.__APP_CONFIG__;
  var error = document.getElementById('login-error');
  function showError(text) {
    error.textContent = text;
    error.hidden = false;
  }
  var beta = document.getElementById('access-beta');
  if (beta) {
    beta.addEventListener('click', function () {
      showError('OAuth sign-in is not available in the staging simulator; use the E2E bypass login.');
    });
    return;
  }
  var form = document.getElementById('login-form');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    error.hidden = true;
    var body = JSON.stringify({ email: form.elements.email.value, password: form.elements.password.value });
    fetch(config.authUrl + '/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body })
      .then(function (response) {
        return response.json().then(function (json) {
          if (!response.ok) throw new Error(typeof json.detail === 'string' ? json.detail : 'Login failed (' + response.status + ')');
          var query = new URLSearchParams({ access_token: json.access_token, refresh_token: json.refresh_token });
          window.location.assign('/auth/callback?' + query.toString());
        });
      })
      .catch(function (failure) {
        showError(failure instanceof TypeError ? 'Cannot reach the auth service' : failure.message);
      });
  });
})();

// Gas Town Dashboard: live status, the 30 s fallback refresh and the
// command palette. No inline script: the page's CSP allows only this file.
(function () {
  'use strict';

  var FALLBACK_MS = parseInt(document.body.getAttribute('data-fallback-ms'), 10) || 30000;
  var tokenMeta = document.querySelector('meta[name="dashboard-token"]');

  function token() { return tokenMeta ? tokenMeta.getAttribute('content') : ''; }

  // A restarted dashboard has a new token: fetch the page again and take
  // the token from its meta tag.
  function refreshToken() {
    return fetch('/', { headers: { 'Accept': 'text/html' } }).then(function (resp) {
      return resp.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var m = doc.querySelector('meta[name="dashboard-token"]');
      if (m && tokenMeta) { tokenMeta.setAttribute('content', m.getAttribute('content')); }
    });
  }
  var live = document.getElementById('live-status');
  var sseUp = false;

  function setLive(up, text) {
    sseUp = up;
    if (!live) { return; }
    live.textContent = text;
    live.className = 'live ' + (up ? 'up' : 'down');
  }

  document.body.addEventListener('htmx:sseOpen', function () { setLive(true, 'live'); });
  var offline = 'offline: refreshing every ' + Math.round(FALLBACK_MS / 1000) + ' s';
  document.body.addEventListener('htmx:sseError', function () { setLive(false, offline); });
  document.body.addEventListener('htmx:sseClose', function () { setLive(false, offline); });

  // When the event stream is down, refresh the panels on a timer instead.
  window.setInterval(function () {
    if (!sseUp && window.htmx) { window.htmx.trigger('#panels', 'gt-refresh'); }
  }, FALLBACK_MS);

  var form = document.getElementById('palette-form');
  var input = document.getElementById('palette-input');
  var button = document.getElementById('palette-run');
  var output = document.getElementById('palette-output');
  var status = document.getElementById('palette-status');
  var dialog = document.getElementById('confirm-dialog');
  var confirmCommand = document.getElementById('confirm-command');

  function show(text, cls) {
    output.textContent = text;
    output.className = cls || '';
  }

  function render(command, code, body) {
    if (body && typeof body.exit_code === 'number') {
      var text = (body.stdout || '') + (body.stderr ? (body.stdout ? '\n' : '') + body.stderr : '');
      if (body.error) { text += (text ? '\n' : '') + body.error; }
      status.textContent = '$ gt ' + command + '  →  exit ' + body.exit_code + ' (' + body.duration_ms + ' ms)';
      show(text || '(no output)', body.ok ? 'ok' : 'fail');
      return;
    }
    status.textContent = '$ gt ' + command + '  →  HTTP ' + code;
    show((body && body.error) || 'request failed', 'fail');
  }

  function askConfirm(command) {
    return new Promise(function (resolve) {
      if (!dialog || typeof dialog.showModal !== 'function') {
        resolve(window.confirm('Run gt ' + command + '?'));
        return;
      }
      confirmCommand.textContent = 'gt ' + command;
      dialog.returnValue = '';
      dialog.addEventListener('close', function onClose() {
        dialog.removeEventListener('close', onClose);
        resolve(dialog.returnValue === 'ok');
      });
      dialog.showModal();
    });
  }

  function run(command, confirmed, retried) {
    button.disabled = true;
    status.textContent = '$ gt ' + command + '  …';
    return fetch('/api/run', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Dashboard-Token': token() },
      body: JSON.stringify({ command: command, confirmed: confirmed, timeout: 30 })
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (body) {
        return { code: resp.status, body: body };
      });
    }).then(function (r) {
      button.disabled = false;
      if (r.code === 403 && r.body && r.body.error === 'invalid dashboard token' && !retried) {
        return refreshToken().then(function () { return run(command, confirmed, true); });
      }
      if (r.code === 409 && !confirmed) {
        return askConfirm(command).then(function (ok) {
          if (ok) { return run(command, true); }
          status.textContent = '$ gt ' + command + '  →  cancelled';
          show('', '');
          return null;
        });
      }
      render(command, r.code, r.body);
      return null;
    }, function (err) {
      button.disabled = false;
      status.textContent = '$ gt ' + command + '  →  failed';
      show(String(err), 'fail');
    });
  }

  if (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var command = input.value.trim();
      if (command) { run(command, false); }
    });
  }
})();

// Following a run live (/runs/:id/live): fills in the steps table from the run's server-sent events
// (/api/runs/:id/events), with a running timer on the step in progress, then opens the run's page once it
// has finished. Plain browser JavaScript, no library; text goes in with textContent, never as HTML
// (failure messages come from the target).
/* global document, window, EventSource, performance, setInterval, clearInterval */
'use strict';
(function () {
  var table = document.getElementById('live-steps');
  var status = document.getElementById('live-status');
  if (table === null || status === null || typeof EventSource === 'undefined') return;
  var runUrl = table.getAttribute('data-run-url');
  var eventsUrl = table.getAttribute('data-events-url');
  var current = null; // { row, startedAt (performance.now() ms) }
  var timer = null;

  function rowOf(name) {
    var rows = table.querySelectorAll('tbody tr');
    for (var i = 0; i < rows.length; i++) if (rows[i].getAttribute('data-step') === name) return rows[i];
    return null;
  }
  function cell(row, name) {
    return row.querySelector('.' + name);
  }
  function seconds(ms) {
    return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
  }
  function tick() {
    if (current === null) return;
    cell(current.row, 'step-time').textContent = seconds(performance.now() - current.startedAt);
  }
  function stopTimer() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    current = null;
  }
  function setState(row, state) {
    row.className = 'step-' + state;
    row.setAttribute('data-state', state);
    var cls = state === 'passed' ? 'outcome-passed' : state === 'failed' ? 'outcome-failed' : '';
    var statusCell = cell(row, 'step-status');
    statusCell.className = 'step-status ' + cls;
    statusCell.textContent = state;
  }
  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch {
      return null;
    }
  }

  var source = new EventSource(eventsUrl);
  source.addEventListener('step_begin', function (event) {
    var data = parse(event);
    if (data === null) return;
    var row = rowOf(data.name);
    if (row === null) return;
    stopTimer();
    setState(row, 'running');
    current = { row: row, startedAt: performance.now() - (typeof data.elapsedMs === 'number' ? data.elapsedMs : 0) };
    tick();
    timer = setInterval(tick, 100);
    status.textContent = 'Running step ' + data.name + '…';
  });
  source.addEventListener('step_end', function (event) {
    var data = parse(event);
    if (data === null) return;
    var row = rowOf(data.name);
    if (row === null) return;
    if (current !== null && current.row === row) stopTimer();
    setState(row, data.status);
    cell(row, 'step-time').textContent = typeof data.durationMs === 'number' ? seconds(data.durationMs) : '';
    if (data.failure) cell(row, 'step-failure').textContent = data.failure.reason + ': ' + data.failure.message;
  });
  source.addEventListener('finished', function (event) {
    var data = parse(event);
    source.close();
    stopTimer();
    status.textContent = 'The run ' + (data !== null ? data.outcome : 'ended') + '. Opening its page…';
    window.location.assign(runUrl);
  });
  source.addEventListener('error', function () {
    // EventSource reconnects by itself after a dropped connection; a refused one (404: the run is unknown) is closed.
    if (source.readyState === EventSource.CLOSED) {
      stopTimer();
      status.textContent = 'Lost the run\u2019s events. Open the run\u2019s page instead.';
    }
  });
})();

// A live session's page follows the stream by itself: every few seconds it asks whether
// the encoder has started, stopped, or the recording is in the archive, and when that
// changes it loads again, showing the player, the end, or the archived session.
(function () {
  'use strict';
  var box = document.getElementById('live');
  if (!box || !window.fetch) return;
  var seen = box.getAttribute('data-state') + '/' + box.getAttribute('data-archived');
  function ask() {
    fetch(box.getAttribute('data-status'), { cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s && s.state + '/' + s.archived !== seen) {
          window.location.reload();
        } else {
          window.setTimeout(ask, 5000);
        }
      })
      .catch(function () { window.setTimeout(ask, 10000); });
  }
  window.setTimeout(ask, 5000);
})();

// A live session's page follows the stream by itself: every few seconds it asks whether
// the encoder has started, stopped, or the recording is in the archive, and when that
// changes it loads again, showing the player, the end, or the archived session.
(function () {
  'use strict';
  var box = document.getElementById('live');
  if (!box || !window.fetch) return;
  // Its state, whether the archive has it, and whether the stream is ready to play.
  var seen = box.getAttribute('data-state') + '/' + box.getAttribute('data-archived') + '/' +
    box.getAttribute('data-ready');
  function ask() {
    fetch(box.getAttribute('data-status'), { cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        var player = window.aulaPlayer;
        if (s && s.state === 'ended' && player && !player.paused() && !player.ended()) {
          // The viewer is still watching what was streamed (the player is some seconds
          // behind the encoder): it goes on to the end, where the page loads again.
          window.setTimeout(ask, 5000);
        } else if (s && s.state + '/' + s.archived + '/' + s.ready !== seen) {
          window.location.reload();
        } else {
          window.setTimeout(ask, 5000);
        }
      })
      .catch(function () { window.setTimeout(ask, 10000); });
  }
  window.setTimeout(ask, 5000);
  // A player that reaches the end while the page thinks the stream is live loads the page
  // again: the encoder came back as a new part (an SRT stream restarts its clock), whose
  // playlists are new, or the stream ended between two questions.
  if (box.getAttribute('data-state') === 'live') {
    document.addEventListener('ended', function (e) {
      if (e.target && e.target.tagName === 'VIDEO') {
        window.setTimeout(function () { window.location.reload(); }, 2000);
      }
    }, true);
  }
})();

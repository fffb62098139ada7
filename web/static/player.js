// Enhances the session page's <video>: video.js (with its HLS engine) and start at ?t=.
// Without this script the browser plays the same sources natively.
(function () {
  'use strict';
  var el = document.getElementById('player');
  if (!el || typeof window.videojs !== 'function') return;
  var start = parseInt(el.getAttribute('data-start') || '0', 10) || 0;
  var player = window.videojs(el, {
    fluid: true,
    playbackRates: [0.75, 1, 1.25, 1.5, 2],
    html5: { vhs: { overrideNative: true } },
    language: document.documentElement.lang || 'it'
  });
  window.aulaPlayer = player;
  if (start > 0) {
    player.one('loadedmetadata', function () { player.currentTime(start); });
  }
  document.querySelectorAll('[data-seek]').forEach(function (link) {
    link.addEventListener('click', function (ev) {
      ev.preventDefault();
      player.currentTime(parseInt(link.getAttribute('data-seek'), 10) || 0);
      player.play();
    });
  });
})();

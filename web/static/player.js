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

  // Sound only: the audio-only rung for a slow link, and back to the video; the button
  // exists only where this script runs.
  var audioButton = document.getElementById('audio-only');
  var audioSrc = el.getAttribute('data-audio');
  var masterSrc = el.getAttribute('data-master');
  if (audioButton && audioSrc && masterSrc) {
    audioButton.parentNode.hidden = false;
    audioButton.addEventListener('click', function () {
      var on = audioButton.getAttribute('aria-pressed') !== 'true';
      var at = player.currentTime();
      var playing = !player.paused();
      player.src({ src: on ? audioSrc : masterSrc, type: 'application/x-mpegURL' });
      player.one('loadedmetadata', function () {
        player.currentTime(at);
        if (playing) player.play();
      });
      audioButton.setAttribute('aria-pressed', on ? 'true' : 'false');
    });
  }

  // The transcript follows playback: the cue being spoken is marked (aria-current) and
  // scrolled into view inside its box, unless the reader is scrolling it.
  var list = document.querySelector('.transcript');
  var cues = list ? Array.prototype.slice.call(list.querySelectorAll('li[data-start]')) : [];
  var current = null;
  var readerScrolled = 0;
  if (list) {
    list.addEventListener('wheel', function () { readerScrolled = Date.now(); }, { passive: true });
    list.addEventListener('touchmove', function () { readerScrolled = Date.now(); }, { passive: true });
  }
  // The share link starts where the video is.
  var share = document.getElementById('share-url');
  player.on('timeupdate', function () {
    var ms = player.currentTime() * 1000;
    var found = null;
    for (var i = 0; i < cues.length; i++) {
      var c = cues[i];
      if (ms >= +c.getAttribute('data-start') && ms < +c.getAttribute('data-end')) { found = c; break; }
    }
    if (found !== current) {
      if (current) current.removeAttribute('aria-current');
      if (found) {
        found.setAttribute('aria-current', 'true');
        if (Date.now() - readerScrolled > 5000) {
          list.scrollTop = found.offsetTop - list.offsetTop - list.clientHeight / 3;
        }
      }
      current = found;
    }
    if (share) {
      var secs = Math.floor(player.currentTime());
      var base = share.getAttribute('data-base');
      share.value = secs > 0 ? base + '?t=' + secs : base;
    }
  });
})();

// Enhances the session page's <video> with video.js (its HLS engine, playback rates, seek
// thumbnails, sound only) and starts at ?t=. The page paints with the poster and a play
// button over it; video.js (0.7 MB) is fetched only when the reader asks for the player
// (that button, a chapter, a transcript line, sound only), so it never delays the first
// paint nor blocks the page while a phone parses it. The embeddable player loads video.js
// itself and is set up at once. Without this script, or if video.js cannot be fetched, the
// browser plays the same sources natively.
(function () {
  'use strict';
  var el = document.getElementById('player');
  if (!el) return;
  var start = parseInt(el.getAttribute('data-start') || '0', 10) || 0;
  // A clip's page plays its stretch and stops at its end (once: played on, it goes on).
  var end = parseInt(el.getAttribute('data-end') || '0', 10) || 0;
  var live = el.hasAttribute('data-live');
  // A live session with captions: how many seconds behind the live point its player starts.
  var hold = live ? parseInt(el.getAttribute('data-hold') || '0', 10) || 0 : 0;
  var starter = document.getElementById('player-start');
  var ready = null;

  if (typeof window.videojs === 'function') {
    ready = Promise.resolve(setUp());
  } else if (starter) {
    // The page's own button replaces the browser's controls until video.js is here.
    el.controls = false;
    starter.hidden = false;
    starter.addEventListener('click', function () {
      starter.setAttribute('aria-busy', 'true');
      whenReady(function (player) {
        player.focus();
        player.play();
      });
    });
    // A pointer on its way to the button is a good moment to start fetching.
    starter.addEventListener('pointerenter', loadPlayer);
    starter.addEventListener('focus', loadPlayer);
  }

  document.querySelectorAll('[data-seek]').forEach(function (link) {
    link.addEventListener('click', function (ev) {
      ev.preventDefault();
      var to = parseInt(link.getAttribute('data-seek'), 10) || 0;
      whenReady(function (player) { seek(player, to); player.play(); });
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
      whenReady(function (player) {
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
    });
  }

  // Making a clip: "mark here" fills the start or end field with where the video is.
  document.querySelectorAll('[data-mark]').forEach(function (button) {
    var field = document.getElementById(button.getAttribute('data-mark'));
    if (!field) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var at = window.aulaPlayer ? window.aulaPlayer.currentTime() : el.currentTime;
      field.value = clock(Math.floor(at || 0));
      field.focus();
    });
  });

  function clock(secs) {
    var h = Math.floor(secs / 3600), m = Math.floor(secs / 60) % 60, s = secs % 60;
    var two = function (n) { return (n < 10 ? '0' : '') + n; };
    return (h > 0 ? h + ':' + two(m) : m) + ':' + two(s);
  }

  // Runs `then` with the player, fetching and setting it up first if need be; the page's
  // button gives way to the player's own controls. (Fetching ahead, on a pointer or focus
  // on the button, does not: a key pressed on the button must still reach it.) If video.js
  // cannot be fetched, the browser's own player comes back and plays.
  function whenReady(then) {
    loadPlayer().then(function (player) {
      if (starter) starter.hidden = true;
      then(player);
    }, function () {
      if (starter) starter.hidden = true;
      el.controls = true;
      el.play();
    });
  }

  function loadPlayer() {
    if (ready) return ready;
    var style = el.getAttribute('data-style');
    var scripts = (el.getAttribute('data-scripts') || '').split(' ').filter(Boolean);
    var loading = style ? [fetchStyle(style)] : [];
    // Inserted scripts run in order (async = false), so one promise per file suffices.
    scripts.forEach(function (src) { loading.push(fetchScript(src)); });
    ready = Promise.all(loading).then(setUp);
    ready.catch(function () { ready = null; });
    return ready;
  }

  function fetchScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = src;
      s.async = false;
      s.onload = resolve;
      s.onerror = function () { reject(new Error('cannot load ' + src)); };
      document.head.appendChild(s);
    });
  }

  function fetchStyle(href) {
    return new Promise(function (resolve, reject) {
      var link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = href;
      link.onload = resolve;
      link.onerror = function () { reject(new Error('cannot load ' + href)); };
      document.head.appendChild(link);
    });
  }

  // A seek before the player knows the video's length waits until it does.
  function seek(player, to) {
    if (player.readyState() > 0) player.currentTime(to);
    else player.one('loadedmetadata', function () { player.currentTime(to); });
  }

  function setUp() {
    var player = window.videojs(el, {
      // The session page reserved the player's box: video.js fills it instead of
      // resizing it (no layout shift). The embed sizes itself to its frame.
      fill: !!starter,
      fluid: !starter,
      // The page took the browser's controls away while its own button stood in, and
      // loaded nothing until asked (preload="none"); now the reader has asked. A source
      // changed later (sound only) must load even while paused.
      controls: true,
      preload: 'auto',
      // A live session plays at the speed it happens; its bar spans what was streamed so
      // far (the DVR window is the whole session), with a button back to live.
      playbackRates: live ? [] : [0.75, 1, 1.25, 1.5, 2],
      liveui: live,
      html5: { vhs: { overrideNative: true } },
      language: document.documentElement.lang || 'it'
    });
    window.aulaPlayer = player;
    if (start > 0) seek(player, start);
    if (hold > 0) holdBack(player, hold);
    if (end > start) stopAtEnd(player);
    seekThumbnails(player, el.getAttribute('data-thumbnails'));
    followTranscript(player);
    return player;
  }

  // Live captions are heard after the words are said: each 5 s stretch is listed some
  // seconds after it ends (3-10 s measured, more on a busy machine), and a player reloads
  // the captions' playlist only every 5 s. A player at the usual live point (6 s behind the
  // last segment) gets many captions after it has played their words, and never shows
  // them. Started `seconds` further back, it has them first. Done once, as soon as the
  // player plays with a live window to seek in; a stream younger than the hold is watched
  // from its start once it is old enough, the player showing that it is waiting meanwhile.
  function holdBack(player, seconds) {
    // Where to play from: `seconds` before the live point, or nothing while the stream is
    // younger than that.
    function point() {
      var s = player.seekable();
      if (!s.length) return null;
      var to = s.end(s.length - 1) - seconds;
      return to >= s.start(0) ? to : null;
    }
    function apply() {
      if (player.paused() || !player.seekable().length) return;
      player.off('timeupdate', apply);
      var to = point();
      if (to !== null) {
        player.currentTime(to);
        return;
      }
      player.pause();
      player.addClass('vjs-waiting');
      var wait = window.setInterval(function () {
        var at = point();
        if (at === null) return;
        window.clearInterval(wait);
        player.removeClass('vjs-waiting');
        player.currentTime(at);
        player.play();
      }, 500);
    }
    player.on('timeupdate', apply);
  }

  // The clip's end: playback pauses there the first time it is reached.
  function stopAtEnd(player) {
    var stopped = false;
    player.on('timeupdate', function () {
      if (!stopped && player.currentTime() >= end) {
        stopped = true;
        player.pause();
        player.currentTime(end);
      }
    });
  }

  // The transcript follows playback: the cue being spoken is marked (aria-current) and
  // scrolled into view inside its box, unless the reader is scrolling it. The share link
  // starts where the video is.
  function followTranscript(player) {
    var list = document.querySelector('.transcript');
    var cues = list ? Array.prototype.slice.call(list.querySelectorAll('li[data-start]')) : [];
    var current = null;
    var readerScrolled = 0;
    if (list) {
      list.addEventListener('wheel', function () { readerScrolled = Date.now(); }, { passive: true });
      list.addEventListener('touchmove', function () { readerScrolled = Date.now(); }, { passive: true });
    }
    // A clip's share link stays the clip's.
    var share = end > start ? null : document.getElementById('share-url');
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
  }

  // Seek thumbnails: pointing along the progress bar, or moving it with the arrow keys,
  // shows the frame of that moment, cut from the sprites the ingest made (a WebVTT map of
  // "sprite.jpg#xywh=x,y,w,h" cues). Decorative: the time itself is announced by video.js.
  function seekThumbnails(player, mapUrl) {
    if (!mapUrl || !window.fetch) return;
    var base = new URL(mapUrl, window.location.href);
    fetch(base).then(function (r) { return r.ok ? r.text() : ''; }).then(function (text) {
      var thumbs = parseMap(text, base);
      if (!thumbs.length) return;
      var progress = player.controlBar && player.controlBar.progressControl;
      if (!progress) return;
      var box = document.createElement('div');
      box.className = 'aula-thumb';
      box.setAttribute('aria-hidden', 'true');
      box.hidden = true;
      progress.el().appendChild(box);
      var show = function (seconds, x) {
        // The last thumbnail starting at or before that moment (the end shows the last).
        var t = null;
        for (var i = 0; i < thumbs.length && thumbs[i].start <= seconds; i++) t = thumbs[i];
        if (!t) { box.hidden = true; return; }
        box.style.width = t.w + 'px';
        box.style.height = t.h + 'px';
        box.style.backgroundImage = 'url("' + t.src + '")';
        box.style.backgroundPosition = (-t.x) + 'px ' + (-t.y) + 'px';
        var width = progress.el().clientWidth;
        box.style.left = Math.max(0, Math.min(width - t.w, x - t.w / 2)) + 'px';
        box.hidden = false;
      };
      var bar = progress.seekBar.el();
      var at = function (fraction) {
        var rect = bar.getBoundingClientRect();
        var offset = rect.left - progress.el().getBoundingClientRect().left;
        show(fraction * (player.duration() || 0), offset + fraction * rect.width);
      };
      progress.el().addEventListener('mousemove', function (ev) {
        var rect = bar.getBoundingClientRect();
        at(Math.max(0, Math.min(1, (ev.clientX - rect.left) / rect.width)));
      });
      progress.el().addEventListener('mouseleave', function () { box.hidden = true; });
      bar.addEventListener('keyup', function () {
        var d = player.duration();
        if (d) at(player.currentTime() / d);
      });
      bar.addEventListener('blur', function () { box.hidden = true; });
    });
  }

  function parseMap(text, base) {
    var out = [];
    var blocks = text.replace(/\r/g, '').split(/\n\n+/);
    for (var i = 0; i < blocks.length; i++) {
      var lines = blocks[i].split('\n');
      for (var j = 0; j + 1 < lines.length; j++) {
        var times = lines[j].split('-->');
        if (times.length !== 2) continue;
        var target = lines[j + 1].trim().split('#xywh=');
        var xywh = (target[1] || '').split(',').map(Number);
        if (xywh.length !== 4 || xywh.some(isNaN)) break;
        out.push({
          start: seconds(times[0]), end: seconds(times[1]),
          src: new URL(target[0], base).href,
          x: xywh[0], y: xywh[1], w: xywh[2], h: xywh[3]
        });
        break;
      }
    }
    return out;
  }

  function seconds(stamp) {
    var parts = stamp.trim().split(':').map(Number);
    var s = 0;
    for (var i = 0; i < parts.length; i++) s = s * 60 + parts[i];
    return s;
  }
})();

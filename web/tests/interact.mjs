// Drives a session page with a timed agenda and a transcript in headless Chromium:
// switches the Italian captions on from the player's menu, clicks a chapter and a
// transcript line (each must seek there), then follows a search hit to its moment.
// Usage: node web/tests/interact.mjs SESSION_URL SEARCH_URL
// Prints one "name=value" line per check; exits 0 if all pass.
import { launchBrowser, shot, startPlayer } from './browser.mjs';

const [sessionUrl, searchUrl] = process.argv.slice(2);
const browser = await launchBrowser();
const checks = [];
const check = (name, ok, detail) => {
  checks.push(ok);
  console.log(`${name}=${ok ? 'ok' : 'FAIL'} ${detail}`);
};
const time = (page) => page.evaluate(() => document.querySelector('video').currentTime);
try {
  const page = await browser.newPage();
  await page.goto(sessionUrl, { waitUntil: 'load' });
  // The page paints without video.js; it is fetched when the reader presses play.
  const early = await page.evaluate(() => ({ player: typeof window.videojs, button: !document.getElementById('player-start').hidden }));
  check('deferred-player', early.player === 'undefined' && early.button, JSON.stringify(early));
  await startPlayer(page);

  // Captions: the player's own menu, as a reader would.
  await page.click('.vjs-subs-caps-button');
  await page.click('.vjs-subs-caps-button .vjs-captions-menu-item');
  const showing = await page.evaluate(() => {
    const tracks = window.aulaPlayer.textTracks();
    for (let i = 0; i < tracks.length; i++) if (tracks[i].kind === 'captions') return tracks[i].mode;
    return 'none';
  });
  check('captions', showing === 'showing', showing);
  await shot(page, 'interact-captions-on');

  // Seek thumbnails: pointing halfway along the progress bar shows that moment's frame,
  // a tile of a sprite that the server really serves.
  await page.evaluate(() => window.aulaPlayer.pause());
  await page.hover('#player');
  await page.waitForSelector('.aula-thumb', { state: 'attached', timeout: 10000 });
  const holder = await page.locator('.vjs-progress-holder').boundingBox();
  await page.mouse.move(holder.x + holder.width * 0.5, holder.y + holder.height / 2);
  await page.waitForTimeout(200);
  const thumb = await page.evaluate(async () => {
    const box = document.querySelector('.aula-thumb');
    const m = /url\("?([^")]+)"?\)/.exec(box.style.backgroundImage || '');
    const r = m ? await fetch(m[1]) : null;
    return { hidden: box.hidden, src: m ? m[1] : '', status: r ? r.status : 0, type: r ? r.headers.get('content-type') : '', pos: box.style.backgroundPosition };
  });
  check('thumbnail', !thumb.hidden && /sprite_\d+\.jpg$/.test(thumb.src) && thumb.status === 200 && thumb.type === 'image/jpeg', JSON.stringify(thumb));
  await shot(page, 'interact-seek-thumbnail');
  await page.mouse.move(0, 0);
  await page.evaluate(() => window.aulaPlayer.play());

  // A chapter link seeks to its item.
  await page.click('.agenda-time[data-seek="3"]');
  await page.waitForTimeout(500);
  let t = await time(page);
  check('chapter', t >= 3 && t < 4.5, `t=${t}`);

  // A transcript line seeks to what was said.
  await page.click('.transcript .cue-time[data-seek="1"]');
  await page.waitForTimeout(500);
  t = await time(page);
  check('transcript', t >= 1 && t < 2.5, `t=${t}`);
  const marked = await page.evaluate(() => document.querySelector('.transcript li[aria-current="true"]')?.textContent || '');
  check('following', marked.includes('apertura'), JSON.stringify(marked.trim()));
  await shot(page, 'interact-transcript-following');

  // Sound only: the button switches the player to the audio-only rung, at the same time.
  const before = await time(page);
  const hit = await page.evaluate(() => {
    const b = document.getElementById('audio-only');
    b.scrollIntoView({ block: 'center' });
    const r = b.getBoundingClientRect();
    const at = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return at ? `${at.tagName}#${at.id}.${at.className}` : 'nothing';
  });
  await page.click('#audio-only');
  await page.waitForFunction(() => window.aulaPlayer.currentSource().src.includes('audio-64k'), null, { timeout: 10000 })
    .catch(async (e) => {
      const state = await page.evaluate(() => JSON.stringify({
        src: window.aulaPlayer.currentSource().src,
        pressed: document.getElementById('audio-only').getAttribute('aria-pressed'),
        active: document.activeElement.id || document.activeElement.className,
      }));
      throw new Error(`${e.message}; under the pointer: ${hit}; then ${state}`);
    });
  const pressed = await page.getAttribute('#audio-only', 'aria-pressed');
  const t0 = Date.now();
  await page.waitForFunction(() => window.aulaPlayer.readyState() > 0, null, { timeout: 10000 })
    .catch(async (e) => {
      const state = await page.evaluate(() => {
        const p = window.aulaPlayer;
        const err = p.error();
        return JSON.stringify({ ready: p.readyState(), network: p.networkState(), error: err && err.message, paused: p.paused(), t: p.currentTime() });
      });
      throw new Error(`${e.message}: the sound-only rung did not load: ${state}`);
    });
  console.log(`audio-ready-ms=${Date.now() - t0}`);
  await page.waitForTimeout(500);
  const after = await time(page);
  check('audio-only', pressed === 'true' && Math.abs(after - before) < 2, `pressed=${pressed} ${before}→${after}`);

  // A search hit with a time opens the session at that second.
  await page.goto(searchUrl, { waitUntil: 'load' });
  await shot(page, 'interact-search-results');
  const link = page.locator('.snippet a').first();
  const href = await link.getAttribute('href');
  await Promise.all([page.waitForURL(/\?t=/), link.click()]);
  await startPlayer(page);
  await page.waitForFunction(() => document.querySelector('video').currentTime > 0, null, { timeout: 30000 });
  t = await time(page);
  check('search-hit', t >= 4 && t < 5.5, `href=${href} t=${t}`);
  await shot(page, 'interact-search-hit-opened');

  // With JavaScript off, the page still plays: the browser takes the MP4 source itself.
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noJs.newPage();
  await plain.goto(sessionUrl, { waitUntil: 'load' });
  await plain.evaluate(() => { const v = document.querySelector('video'); v.muted = true; return v.play(); });
  // Polled from here: page-side waiting needs the page's JavaScript.
  let played = 0;
  for (let i = 0; i < 300 && played <= 1; i++) {
    await plain.waitForTimeout(100);
    played = await plain.evaluate(() => document.querySelector('video').currentTime);
  }
  const src = await plain.evaluate(() => document.querySelector('video').currentSrc);
  check('no-javascript', played > 1, `played to ${played} s from ${src}`);
  await shot(plain, 'interact-no-javascript');
} catch (e) {
  console.error(`interaction failed: ${e.message}`);
  checks.push(false);
} finally {
  await browser.close();
}
process.exit(checks.length && checks.every(Boolean) ? 0 : 1);

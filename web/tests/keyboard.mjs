// The session and search pages with the keyboard alone, in headless Chromium: the skip
// link, then Tab to each control and Space/Enter/arrows to use it — play, the seek bar
// (with its thumbnail), captions from the player's menu, a chapter, a transcript line,
// and a search filter. Every control reached must show a visible focus indicator.
// Usage: node web/tests/keyboard.mjs SESSION_URL SEARCH_URL
// Prints one "name=ok|FAIL detail" line per check; exits 0 if all pass.
import { launchBrowser, shot } from './browser.mjs';

const [sessionUrl, searchUrl] = process.argv.slice(2);
const browser = await launchBrowser();
const checks = [];
const check = (name, ok, detail) => {
  checks.push(ok);
  console.log(`${name}=${ok ? 'ok' : 'FAIL'} ${detail}`);
};

// What has the focus, and whether it shows: an outline or a box shadow.
const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== 'none';
  const rect = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(),
    cls: el.className || '',
    text: (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 40),
    ring,
    visible: rect.width > 0 && rect.height > 0,
  };
});

// Presses Tab until the focused element matches `selector`; gives up after `max` presses.
async function tabTo(page, selector, max = 120) {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement.matches(s), selector)) return i;
  }
  throw new Error(`Tab never reached ${selector}`);
}

const time = (page) => page.evaluate(() => window.aulaPlayer.currentTime());

try {
  const page = await browser.newPage({ locale: 'it-IT' });
  await page.goto(sessionUrl, { waitUntil: 'load' });

  // 1. The first Tab shows the skip link; Enter jumps past the header.
  await page.keyboard.press('Tab');
  let f = await focused(page);
  check('skip-link', f.text === 'Vai al contenuto' && f.visible && f.ring, JSON.stringify(f));
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  const inMain = await page.evaluate(() => !!document.activeElement.closest('#contenuto'));
  check('skip-target', inMain, JSON.stringify(await focused(page)));

  // 2. Tab to the page's play button, Space fetches the player and plays.
  let presses = await tabTo(page, '#player-start');
  f = await focused(page);
  await page.keyboard.press('Space');
  await page.waitForFunction(() => window.aulaPlayer && !window.aulaPlayer.paused(), null, { timeout: 30000 });
  await page.evaluate(() => window.aulaPlayer.muted(true));
  check('play', f.ring, `after ${presses} Tab presses on ${f.cls}: playing, focus ring ${f.ring}`);
  await page.evaluate(() => window.aulaPlayer.pause());

  // 3. The seek bar: the arrow keys move the time and show the thumbnail of it.
  presses = await tabTo(page, '.vjs-progress-holder');
  f = await focused(page);
  const before = await time(page);
  await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(300);
  const after = await time(page);
  const thumb = await page.evaluate(() => {
    const box = document.querySelector('.aula-thumb');
    return box ? { hidden: box.hidden, image: box.style.backgroundImage } : null;
  });
  check('seek-bar', f.ring && after > before && thumb && !thumb.hidden && thumb.image.includes('sprite_'),
    `t ${before}→${after}, thumbnail ${JSON.stringify(thumb)}, focus ring ${f.ring}`);
  await shot(page, 'keyboard-seek-bar');

  // 4. Captions: Enter on the captions button opens its menu; the arrows and Enter pick
  //    the Italian track.
  presses = await tabTo(page, '.vjs-subs-caps-button button, .vjs-subs-caps-button');
  f = await focused(page);
  await page.keyboard.press('Enter');
  let showing = 'disabled';
  for (let i = 0; i < 6 && showing !== 'showing'; i++) {
    await page.keyboard.press('ArrowDown');
    const item = await page.evaluate(() => document.activeElement.textContent.trim());
    if (/^Italiano|^Sottotitoli|captions/i.test(item) && !/off|disattiv|impostazioni|settings/i.test(item)) {
      await page.keyboard.press('Enter');
    }
    showing = await page.evaluate(() => {
      const tracks = window.aulaPlayer.textTracks();
      for (let i = 0; i < tracks.length; i++) if (tracks[i].kind === 'captions') return tracks[i].mode;
      return 'none';
    });
  }
  check('captions', showing === 'showing' && f.ring, `captions ${showing}, focus ring ${f.ring}`);
  await page.keyboard.press('Escape');

  // 5. A chapter of the agenda: Tab to it, Enter seeks there.
  presses = await tabTo(page, '.agenda-time[data-seek="3"]');
  f = await focused(page);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(500);
  let t = await time(page);
  check('chapter', t >= 3 && t < 4.5 && f.ring, `t=${t} focus ring ${f.ring}`);

  // 6. A line of the transcript: Tab to its time, Enter seeks there.
  presses = await tabTo(page, '.transcript .cue-time[data-seek="4"]');
  f = await focused(page);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(500);
  t = await time(page);
  check('transcript', t >= 4 && t < 5.5 && f.ring, `t=${t} focus ring ${f.ring}`);
  await shot(page, 'keyboard-transcript');

  // 7. Search filters: Tab to the body filter, choose with the arrows, then Enter in the
  //    next field submits the form.
  await page.goto(searchUrl, { waitUntil: 'load' });
  presses = await tabTo(page, 'select[name="body"]');
  f = await focused(page);
  await page.keyboard.press('ArrowDown');
  const chosen = await page.evaluate(() => document.activeElement.value);
  await tabTo(page, 'input[name="from"]', 5);
  await Promise.all([page.waitForURL(/body=/), page.keyboard.press('Enter')]);
  const url = page.url();
  check('filter', chosen !== '' && url.includes(`body=${chosen}`) && f.ring, `chose ${chosen}: ${url}, focus ring ${f.ring}`);
  await shot(page, 'keyboard-search-filter');
} catch (e) {
  console.error(`keyboard walk failed: ${e.message}`);
  checks.push(false);
} finally {
  await browser.close();
}
process.exit(checks.length && checks.every(Boolean) ? 0 : 1);

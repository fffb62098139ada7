// Opens a session page in headless Debian Chromium, presses play (the page's own button
// where there is one) and plays the video until its currentTime passes 2 s. Prints "currentTime=N" and exits 0 on success, 1 otherwise.
// Usage: node web/tests/play.mjs URL [SCREENSHOT.png]
import { launchBrowser, shot } from './browser.mjs';

const [url, screenshot] = process.argv.slice(2);
if (!url) {
  console.error('usage: node play.mjs URL [SCREENSHOT.png]');
  process.exit(2);
}

const browser = await launchBrowser();
let code = 1;
try {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  // The pages must work under their Content-Security-Policy: a violation fails the test.
  const violations = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && m.text().includes('Content Security Policy')) violations.push(m.text());
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('video');
  if (await page.isVisible('#player-start')) {
    // The session page: its play button fetches the player, as a reader's tap does.
    await page.click('#player-start');
    await page.waitForFunction(() => window.aulaPlayer, null, { timeout: 30000 });
    await page.evaluate(() => window.aulaPlayer.muted(true));
  } else {
    // The embed (video.js already there) or a page without the button.
    await page.evaluate(() => {
      const v = document.querySelector('video');
      v.muted = true;
      return v.play();
    });
  }
  // Where playback began (a ?t= link starts there).
  await page.waitForFunction(() => document.querySelector('video').currentTime > 0, null, {
    timeout: 30000,
    polling: 50,
  });
  const began = await page.evaluate(() => document.querySelector('video').currentTime);
  console.log(`began=${began}`);
  const goal = Number(process.env.PLAY_UNTIL || 2);
  await page.waitForFunction((g) => document.querySelector('video').currentTime > g, goal, {
    timeout: 30000,
    polling: 100,
  });
  const t = await page.evaluate(() => document.querySelector('video').currentTime);
  const engine = await page.evaluate(() => (window.aulaPlayer ? 'video.js' : 'native'));
  console.log(`player=${engine}`);
  console.log(`currentTime=${t}`);
  if (screenshot) await page.screenshot({ path: screenshot });
  const u = new URL(url);
  await shot(page, `play-${u.pathname}${u.search}`);
  if (problems.length) console.error(problems.join('\n'));
  if (violations.length) {
    console.error(`Content-Security-Policy violations:\n${violations.join('\n')}`);
  } else {
    code = 0;
  }
} catch (e) {
  console.error(`playback failed: ${e.message}`);
} finally {
  await browser.close();
}
process.exit(code);

// Makes a clip as a reader would, in headless Chromium: on a session page, plays the
// video, presses "mark the start here" past 1 s and "mark the end here" past 3 s, sends
// the form, and on the clip's page plays until the player stops by itself at the clip's
// end; then fetches the clip's MP4 the page links.
// Usage: node web/tests/clip.mjs SESSION_URL
// Prints one "name=value" line per check; exits 0 if all pass.
import { launchBrowser, shot, startPlayer } from './browser.mjs';

const [sessionUrl] = process.argv.slice(2);
const browser = await launchBrowser();
const checks = [];
const check = (name, ok, detail) => {
  checks.push(ok);
  console.log(`${name}=${ok ? 'ok' : 'FAIL'} ${detail}`);
};
const time = (page) => page.evaluate(() => window.aulaPlayer.currentTime());
try {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(sessionUrl, { waitUntil: 'load' });
  await startPlayer(page);
  await page.waitForFunction(() => window.aulaPlayer.currentTime() > 1, null, { timeout: 30000, polling: 50 });
  await page.click('button[data-mark="clip-start"]');
  const startAt = await page.inputValue('#clip-start');
  await page.waitForFunction(() => window.aulaPlayer.currentTime() > 3, null, { timeout: 30000, polling: 50 });
  await page.click('button[data-mark="clip-end"]');
  const endAt = await page.inputValue('#clip-end');
  check('marked', /^0:0[1-3]$/.test(startAt) && /^0:0[3-6]$/.test(endAt), `start=${startAt} end=${endAt}`);
  await shot(page, 'clip-marked');

  // The form leads to the clip's own page.
  await Promise.all([page.waitForNavigation(), page.click('.clip-form button[type="submit"]')]);
  const url = new URL(page.url());
  const heading = await page.textContent('#clip-title');
  const share = await page.inputValue('#share-url');
  // The times as typed (1:05) lead to the clip's address in seconds, the one it shares.
  const seconds = (clock) => clock.split(':').reduce((total, part) => total * 60 + Number(part), 0);
  check(
    'clip-page',
    url.searchParams.get('t') === String(seconds(startAt)) &&
      url.searchParams.get('fine') === String(seconds(endAt)) &&
      heading.includes(startAt) && heading.includes(endAt) && share === url.href,
    `url=${url.href} heading=${heading} share=${share}`,
  );

  // It plays from the clip's start and stops by itself at its end.
  const end = seconds(endAt);
  await startPlayer(page);
  await page.waitForFunction(() => window.aulaPlayer.paused() && window.aulaPlayer.currentTime() > 0.5, null, { timeout: 30000, polling: 50 });
  const stoppedAt = await time(page);
  check('stopped', Math.abs(stoppedAt - end) < 0.6, `paused at ${stoppedAt} s, clip ends at ${end} s`);
  await shot(page, 'clip-page-stopped');

  // The MP4 the page offers is there and is a video.
  const download = await page.evaluate(async () => {
    const link = document.querySelector('a.clip-download');
    const r = await fetch(link.href);
    const bytes = new Uint8Array(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get('content-type'), size: bytes.length, ftyp: String.fromCharCode(...bytes.slice(4, 8)) };
  });
  check('download', download.status === 200 && download.type === 'video/mp4' && download.ftyp === 'ftyp' && download.size > 10000, JSON.stringify(download));
  if (problems.length) console.error(problems.join('\n'));
} catch (e) {
  console.error(`clip failed: ${e.message}`);
  checks.push(false);
} finally {
  await browser.close();
}
process.exit(checks.length && checks.every(Boolean) ? 0 : 1);

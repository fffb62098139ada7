// Opens a live session's page before its encoder starts, waits for the page to switch to
// the stream on its own, plays it and checks that the position advances. Prints
// "switched", "live-marker=…", "began=N", "advanced=N", "tracks=KIND:LABEL|…" and, at the live edge, five
// "sample=WALL_MS,POSITION_S"; exits 0 on success, 1 otherwise.
// Usage: node web/tests/live.mjs URL
import { launchBrowser, shot, startPlayer } from './browser.mjs';

const [url] = process.argv.slice(2);
if (!url) {
  console.error('usage: node live.mjs URL');
  process.exit(2);
}

const browser = await launchBrowser();
let code = 1;
try {
  const page = await browser.newPage();
  const violations = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && m.text().includes('Content Security Policy')) violations.push(m.text());
  });
  await page.goto(url, { waitUntil: 'load' });
  if (await page.$('video')) throw new Error('the page showed a player before the stream began');
  console.log(`waiting=${(await page.textContent('#live')).trim().slice(0, 60)}`);
  // The encoder starts now (the test starts it when it reads "waiting"); the page asks
  // every 5 s and loads again when the stream is live.
  await page.waitForSelector('video', { timeout: 60000 });
  console.log('switched');
  console.log(`live-marker=${(await page.textContent('.live-marker')).trim()}`);
  await startPlayer(page);
  await page.waitForFunction(() => window.aulaPlayer.currentTime() > 0, null, { timeout: 30000, polling: 100 });
  const began = await page.evaluate(() => window.aulaPlayer.currentTime());
  console.log(`began=${began}`);
  await page.waitForFunction((b) => window.aulaPlayer.currentTime() > b + 2, began, { timeout: 30000, polling: 100 });
  const advanced = await page.evaluate(() => window.aulaPlayer.currentTime());
  console.log(`advanced=${advanced}`);
  // The live captions track, as the player lists it.
  const tracks = await page.evaluate(() => {
    const list = window.aulaPlayer.textTracks();
    const out = [];
    for (let i = 0; i < list.length; i++) out.push(`${list[i].kind}:${list[i].label}`);
    return out;
  });
  console.log(`tracks=${tracks.join('|')}`);
  // How far behind the encoder a viewer at the live edge is: the wall clock and the
  // position, sampled after the player settles there (the test knows when the encoder
  // began sending time 0).
  await page.evaluate(() => window.aulaPlayer.liveTracker.seekToLiveEdge());
  await page.waitForTimeout(6000);
  for (let i = 0; i < 5; i++) {
    const [at, position] = await page.evaluate(() => [Date.now(), window.aulaPlayer.currentTime()]);
    console.log(`sample=${at},${position}`);
    await page.waitForTimeout(1000);
  }
  const u = new URL(url);
  await shot(page, `live-${u.pathname}`);
  if (violations.length) {
    console.error(`Content-Security-Policy violations:\n${violations.join('\n')}`);
  } else {
    code = 0;
  }
} catch (e) {
  console.error(`live playback failed: ${e.message}`);
} finally {
  await browser.close();
}
process.exit(code);

// Watches a live session with its automatic captions on, as a citizen would turn them on,
// and prints where the player put each caption on its timeline: "cue=START|END|TEXT" (the
// player's seconds), then "position=N" (where the player was when the stream ended or the
// page went back to waiting for the archive). The test compares the cues' times with when
// the words were said. Opens the page before the stream starts; exits 0 when it saw at
// least one cue, 1 otherwise.
// Usage: node web/tests/live_captions.mjs URL
import { launchBrowser, startPlayer } from './browser.mjs';

const [url] = process.argv.slice(2);
if (!url) {
  console.error('usage: node live_captions.mjs URL');
  process.exit(2);
}

const browser = await launchBrowser();
const seen = new Map();
let position = 0;
let code = 1;
try {
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: 'load' });
  console.log('opened');
  await page.waitForSelector('video', { timeout: 60000 });
  await startPlayer(page);
  // The captions track shown, as the menu's choice would (video.js then loads its
  // segments along with the video's).
  await page.waitForFunction(() => {
    const list = window.aulaPlayer.textTracks();
    for (let i = 0; i < list.length; i++) {
      if (list[i].kind === 'subtitles') { list[i].mode = 'showing'; return true; }
    }
    return false;
  }, null, { timeout: 30000, polling: 250 });
  // Collect the cues as they come, until the page leaves the stream (it reloads when the
  // stream ends) or a minute and a half has passed.
  const until = Date.now() + 90000;
  while (Date.now() < until) {
    let now;
    try {
      now = await page.evaluate(() => {
        const list = window.aulaPlayer.textTracks();
        const cues = [];
        for (let i = 0; i < list.length; i++) {
          if (list[i].kind !== 'subtitles' || !list[i].cues) continue;
          for (let j = 0; j < list[i].cues.length; j++) {
            const c = list[i].cues[j];
            cues.push([c.startTime, c.endTime, c.text.replace(/\s+/g, ' ')]);
          }
        }
        return { cues, position: window.aulaPlayer.currentTime(), ended: window.aulaPlayer.ended() };
      });
    } catch (e) {
      break; // the page went on to its next state
    }
    for (const [start, end, text] of now.cues) seen.set(`${start.toFixed(3)}|${end.toFixed(3)}`, text);
    position = now.position;
    if (now.ended) break;
    await page.waitForTimeout(500);
  }
  code = seen.size > 0 ? 0 : 1;
} catch (e) {
  console.error(`live captions failed: ${e.message}`);
} finally {
  for (const [times, text] of seen) console.log(`cue=${times}|${text}`);
  console.log(`position=${position}`);
  await browser.close();
}
process.exit(code);

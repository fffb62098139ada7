// Watches a live session with its automatic captions on, as a citizen would turn them on,
// and prints where the player put each caption on its timeline and where the player was
// when the caption first reached it: "cue=START|END|SEEN|TEXT" (the player's seconds);
// then "position=N" (where the player was when the stream ended or the page went back to
// waiting for the archive) and "behind=..." (how far behind its live point the player was,
// every half second). The test compares the cues' times with when the words were said and
// with SEEN. Also prints what would explain missing cues: the page's warnings
// ("warning=..."), requests of the stream that failed or were answered with an error
// ("request=..."), and the captions track's mode at the end ("mode=..."). Opens the page
// before the stream starts; exits 0 when it saw at least one cue, 1 otherwise.
// Usage: node web/tests/live_captions.mjs URL
import { launchBrowser, startPlayer } from './browser.mjs';

const [url] = process.argv.slice(2);
if (!url) {
  console.error('usage: node live_captions.mjs URL');
  process.exit(2);
}

const browser = await launchBrowser();
const seen = new Map(); // "START|END" -> [where the player was when it came, its text]
let position = 0;
let mode = 'none';
const behind = []; // how far the player was behind its live edge, every half second
let code = 1;
try {
  const page = await browser.newPage();
  const started = Date.now();
  const at = () => ((Date.now() - started) / 1000).toFixed(1);
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') console.log(`warning=${at()}s ${m.text()}`);
  });
  page.on('requestfailed', (r) => {
    if (r.url().includes('/live/')) console.log(`request=${at()}s ${r.url()} failed: ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.url().includes('/live/') && r.status() >= 400) console.log(`request=${at()}s ${r.url()} ${r.status()}`);
  });
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
        let mode = 'none';
        for (let i = 0; i < list.length; i++) if (list[i].kind === 'subtitles') mode = list[i].mode;
        const p = window.aulaPlayer;
        const s = p.seekable();
        const behind = s.length ? s.end(s.length - 1) - p.currentTime() : 0;
        return { cues, mode, behind, position: p.currentTime(), ended: p.ended() };
      });
    } catch (e) {
      break; // the page went on to its next state
    }
    for (const [start, end, text] of now.cues) {
      const key = `${start.toFixed(3)}|${end.toFixed(3)}`;
      if (!seen.has(key)) seen.set(key, [now.position.toFixed(3), text]);
    }
    if (!now.ended && now.position > 0) behind.push(now.behind.toFixed(1));
    position = now.position;
    mode = now.mode;
    if (now.ended) break;
    await page.waitForTimeout(500);
  }
  code = seen.size > 0 ? 0 : 1;
} catch (e) {
  console.error(`live captions failed: ${e.message}`);
} finally {
  for (const [times, [position, text]] of seen) console.log(`cue=${times}|${position}|${text}`);
  console.log(`position=${position}`);
  console.log(`mode=${mode}`);
  console.log(`behind=${behind.join(' ')}`);
  await browser.close();
}
process.exit(code);

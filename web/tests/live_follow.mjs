// Watches a live session whose encoder drops and comes back as a new part: opens the page
// before the stream starts, plays it, and waits for the page to take the viewer to the
// new part by itself. Prints "playing", then "again" once the page has loaded again and
// shows a player; exits 0 then, 1 otherwise.
// Usage: node web/tests/live_follow.mjs URL
import { launchBrowser, startPlayer } from './browser.mjs';

const [url] = process.argv.slice(2);
if (!url) {
  console.error('usage: node live_follow.mjs URL');
  process.exit(2);
}

const browser = await launchBrowser();
let code = 1;
try {
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('video', { timeout: 60000 });
  await startPlayer(page);
  await page.waitForFunction(() => window.aulaPlayer.currentTime() > 0, null, { timeout: 30000, polling: 100 });
  console.log('playing');
  // The first part ends under the player; the page loads again and shows the new part.
  await page.waitForEvent('load', { timeout: 90000 });
  await page.waitForSelector('video', { timeout: 30000 });
  console.log('again');
  code = 0;
} catch (e) {
  console.error(`following the stream failed: ${e.message}`);
} finally {
  await browser.close();
}
process.exit(code);

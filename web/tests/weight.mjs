// Measures a page's weight on a first visit (empty cache) in headless Chromium: the
// HTML document's bytes and every response's transferred bytes until the load event.
// Usage: node web/tests/weight.mjs URL   → "html=N total=N requests=N"
import { launchBrowser, shot } from './browser.mjs';

const [url] = process.argv.slice(2);
const browser = await launchBrowser();
const page = await browser.newPage();
const client = await page.context().newCDPSession(page);
await client.send('Network.enable');
let total = 0;
let requests = 0;
let html = 0;
client.on('Network.loadingFinished', (e) => { total += e.encodedDataLength; requests += 1; });
page.on('response', async (r) => {
  if (r.url() === url) html = (await r.body()).length;
});
await page.goto(url, { waitUntil: 'load' });
await page.waitForTimeout(1000);
console.log(`html=${html} total=${total} requests=${requests}`);
await shot(page, 'weight-session-page');
await browser.close();

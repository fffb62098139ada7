// Opens a page in headless Debian Chromium, follows the visible language switch, and
// checks the page came back in English, then that the choice is remembered on the next
// page. Prints "lang=… heading=…" lines; exits 0 on success, 1 otherwise.
// Usage: node web/tests/lang.mjs URL
import { launchBrowser, shot } from './browser.mjs';

const [url] = process.argv.slice(2);
if (!url) {
  console.error('usage: node lang.mjs URL');
  process.exit(2);
}
const browser = await launchBrowser();
let code = 1;
try {
  const page = await browser.newPage({ locale: 'it-IT' });
  await page.goto(url, { waitUntil: 'load' });
  const before = await page.evaluate(() => document.documentElement.lang);
  // The switch is an ordinary link, reachable with the keyboard.
  const link = page.getByRole('link', { name: 'English' });
  await link.focus();
  await Promise.all([page.waitForURL(/lang=en/), page.keyboard.press('Enter')]);
  await page.waitForLoadState('load');
  const after = await page.evaluate(() => document.documentElement.lang);
  const heading = await page.evaluate(() => document.querySelector('h1').textContent.trim());
  await shot(page, 'lang-switched-to-english');
  await page.goto(new URL('/cerca', url).href, { waitUntil: 'load' });
  const remembered = await page.evaluate(() => document.documentElement.lang);
  console.log(`lang=${before} then ${after}, remembered ${remembered}`);
  console.log(`heading=${heading}`);
  code = before === 'it' && after === 'en' && remembered === 'en' ? 0 : 1;
} catch (e) {
  console.error(`language switch failed: ${e.message}`);
} finally {
  await browser.close();
}
process.exit(code);

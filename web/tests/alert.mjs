// E-mail alerts as a person clicks them, in headless Chromium.
//   node alert.mjs subscribe SEARCH_URL EMAIL   fills the alert form under a search, sends it
//   node alert.mjs button URL                   opens a message's link, presses its one button
// Prints "heading=…" (the page reached) and exits 0 when the page answered 200.
import { launchBrowser, shot } from './browser.mjs';

const [mode, url, email] = process.argv.slice(2);
const browser = await launchBrowser();
let code = 1;
try {
  // An Italian reader: the pages answer in the browser's language.
  const page = await browser.newPage({ locale: 'it-IT' });
  await page.goto(url, { waitUntil: 'load' });
  let response;
  if (mode === 'subscribe') {
    await page.fill('#alert-email', email);
    await page.selectOption('#alert-frequency', 'weekly');
    [response] = await Promise.all([page.waitForNavigation(), page.click('.alert-form button[type="submit"]')]);
  } else {
    [response] = await Promise.all([page.waitForNavigation(), page.click('form[method="post"] button[type="submit"]')]);
  }
  const heading = (await page.textContent('h1')).trim();
  console.log(`heading=${heading}`);
  console.log(`status=${response.status()}`);
  await shot(page, `alert-${mode}-${heading}`);
  if (response.status() === 200) code = 0;
} catch (e) {
  console.error(`alert failed: ${e.message}`);
} finally {
  await browser.close();
}
process.exit(code);

// Stored XSS in a real browser: opens each page given and fails if any planted payload ran
// (window.__xss set, a dialog opened) or became markup (an element carrying an inline
// handler, a script mentioning __xss, JSON-LD that is not plain JSON). With `--shown TEXT`, also checks the first page
// shows TEXT as text: the payload is displayed escaped, not dropped.
// Usage: node web/tests/xss.mjs [--shown TEXT] URL…   → one "xss=ok|FAIL url detail" line each
import { launchBrowser, shot } from './browser.mjs';

const args = process.argv.slice(2);
let shown = null;
if (args[0] === '--shown') { shown = args[1]; args.splice(0, 2); }
const browser = await launchBrowser();
let failures = 0;
try {
  const page = await browser.newPage();
  let dialogs = 0;
  page.on('dialog', async (d) => { dialogs += 1; await d.dismiss(); });
  for (const [i, url] of args.entries()) {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForTimeout(300);
    // Move over everything, in case a payload waits for the pointer.
    await page.mouse.move(10, 10);
    await page.mouse.move(300, 400);
    const found = await page.evaluate(() => {
      const handlers = [...document.querySelectorAll('*')].filter((el) =>
        [...el.attributes].some((a) => a.name.startsWith('on')));
      // Structured data (JSON-LD) may quote a title: as data, parseable, with no '<'
      // that could close its element. Any other script mentioning the payload is a leak.
      const scripts = [...document.scripts].filter((s) => {
        if (s.type === 'application/ld+json') {
          try { JSON.parse(s.textContent); } catch (e) { return true; }
          return s.textContent.includes('<');
        }
        return s.textContent.includes('__xss');
      });
      return {
        ran: window.__xss ?? null,
        handlers: handlers.map((e) => e.outerHTML.slice(0, 80)),
        scripts: scripts.length,
        text: document.body.innerText,
      };
    });
    const textOk = i > 0 || shown === null || found.text.includes(shown);
    const ok = found.ran === null && dialogs === 0 && found.handlers.length === 0
      && found.scripts === 0 && textOk;
    if (!ok) failures += 1;
    console.log(`xss=${ok ? 'ok' : 'FAIL'} ${url} ran=${found.ran} dialogs=${dialogs} `
      + `handlers=${JSON.stringify(found.handlers)} scripts=${found.scripts} shown=${textOk}`);
    const u = new URL(url);
    await shot(page, `xss-${u.pathname}${u.search}`);
  }
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);

// Runs axe-core (WCAG 2.0/2.1 A and AA rules) in headless Debian Chromium on each URL
// given, at a desktop and a 360 px wide viewport. Prints one line per page and every
// serious or critical violation; exits 1 if there is any.
// Usage: node web/tests/axe.mjs URL...
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchBrowser, shot } from './browser.mjs';

const urls = process.argv.slice(2);
if (!urls.length) {
  console.error('usage: node axe.mjs URL...');
  process.exit(2);
}
const axeSource = readFileSync(
  fileURLToPath(new URL('../node_modules/axe-core/axe.min.js', import.meta.url)),
  'utf8',
);
const browser = await launchBrowser();
let failures = 0;
try {
  for (const width of [1280, 360]) {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    for (const url of urls) {
      await page.goto(url, { waitUntil: 'load' });
      // Evaluated through the DevTools protocol: the page's CSP (no inline script) stays on.
      await page.evaluate(axeSource);
      const result = await page.evaluate(() =>
        window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }),
      );
      const u = new URL(url);
      await shot(page, `axe-${width}-${u.pathname}${u.search}`);
      const bad = result.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
      console.log(`${width}px ${url}: ${result.violations.length} violations, ${bad.length} serious or critical`);
      for (const v of bad) {
        failures += 1;
        console.log(`  ${v.impact} ${v.id}: ${v.help}`);
        for (const n of v.nodes.slice(0, 3)) console.log(`    ${n.target.join(' ')}: ${n.failureSummary.split('\n').join(' ')}`);
      }
    }
    await page.close();
  }
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);

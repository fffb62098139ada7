// Runs Lighthouse (npm) on each URL in Debian's headless Chromium with its default mobile
// profile (a mid-range phone on a slow 4G link, simulated), and prints one line per page:
//   lighthouse URL perf=N a11y=N bp=N seo=N fcp=MS lcp=MS tbt=MS cls=N
// then one "a11y-fail URL AUDIT: TITLE" line per accessibility audit that did not pass.
// Scores vary with the machine's load, so only the caller decides what to assert (the tests:
// accessibility 100; bench/web: the speed goals). With LIGHTHOUSE_JSON=FILE the figures are
// also written there as JSON. Exits 0 when every page was measured, 1 otherwise.
// Usage: node web/tests/lighthouse.mjs URL…
import { writeFile } from 'node:fs/promises';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { chromiumFlags, chromiumPath } from './browser.mjs';

const urls = process.argv.slice(2);
if (!urls.length) {
  console.error('usage: node lighthouse.mjs URL…');
  process.exit(2);
}

const chrome = await chromeLauncher.launch({
  chromePath: chromiumPath,
  chromeFlags: ['--headless=new', ...chromiumFlags],
});
const figures = [];
let code = 0;
try {
  for (const url of urls) {
    const result = await lighthouse(url, {
      port: chrome.port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance', 'accessibility', 'best-practices', 'seo'],
      // A debug build on a busy 2-core machine can be slow to answer the first time.
      maxWaitForLoad: 90000,
    });
    const lhr = result?.lhr;
    if (!lhr || lhr.runtimeError) {
      console.error(`lighthouse ${url}: ${lhr?.runtimeError?.message || 'no result'}`);
      code = 1;
      continue;
    }
    const score = (id) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
    const value = (id) => lhr.audits[id]?.numericValue ?? NaN;
    const page = {
      url,
      perf: score('performance'),
      a11y: score('accessibility'),
      bp: score('best-practices'),
      seo: score('seo'),
      fcp: Math.round(value('first-contentful-paint')),
      lcp: Math.round(value('largest-contentful-paint')),
      tbt: Math.round(value('total-blocking-time')),
      cls: Number(value('cumulative-layout-shift').toFixed(3)),
      failing: [],
    };
    for (const category of ['accessibility', 'seo', 'best-practices']) {
      for (const ref of lhr.categories[category].auditRefs) {
        const audit = lhr.audits[ref.id];
        if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
          page.failing.push({ category, id: ref.id, title: audit.title });
        }
      }
    }
    figures.push(page);
    console.log(`lighthouse ${url} perf=${page.perf} a11y=${page.a11y} bp=${page.bp} seo=${page.seo} `
      + `fcp=${page.fcp} lcp=${page.lcp} tbt=${page.tbt} cls=${page.cls}`);
    for (const f of page.failing) {
      const tag = f.category === 'accessibility' ? 'a11y-fail' : `${f.category}-fail`;
      console.log(`${tag} ${url} ${f.id}: ${f.title}`);
    }
  }
} catch (e) {
  console.error(`lighthouse failed: ${e.stack || e.message}`);
  code = 1;
} finally {
  await chrome.kill();
}
if (process.env.LIGHTHOUSE_JSON) {
  await writeFile(process.env.LIGHTHOUSE_JSON, `${JSON.stringify(figures, null, 2)}\n`);
}
process.exit(code);

// Launches Debian's Chromium through playwright-core (no browser download). The flags keep
// it off the network this machine does not have and let it run as root in CI.
import { chromium } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
export const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [...chromiumFlags, '--autoplay-policy=no-user-gesture-required'],
  });
}

// Writes a full-page screenshot named `name` into $AULA_ARTIFACTS (set by the Rust test
// helper to test-artifacts/browser/, which git ignores); does nothing when it is unset.
export async function shot(page, name) {
  const dir = process.env.AULA_ARTIFACTS;
  if (!dir) return;
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: `${dir}/${name.replace(/[^a-z0-9-]+/gi, '_')}.png`, fullPage: true });
}

// Presses a session page's play button and waits for video.js to have the video, then
// mutes it and plays.
export async function startPlayer(page) {
  await page.click('#player-start');
  await page.waitForFunction(() => window.aulaPlayer && window.aulaPlayer.readyState() > 0, null, { timeout: 30000 });
  await page.evaluate(() => { window.aulaPlayer.muted(true); return window.aulaPlayer.play(); });
}

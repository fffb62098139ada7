// Builds what the pages load from web/dist/ (never committed; scripts/install-deps.sh runs
// this after `npm ci`):
// - site.css: bootstrap-italia's stylesheet and ours, with the rules no page can use
//   removed by PurgeCSS. The pages use a small part of the kit (133 kB compressed whole), and
//   the stylesheet blocks the first paint, so what a phone downloads first is what it shows.
//   "Can use" is read from every template, our scripts and the Rust sources (which write
//   some HTML: search snippets, error pages), so a class written anywhere is kept.
// - icon.svg, favicon.ico, apple-touch-icon.png and the manifest's icons, drawn from icons/icon.svg
//   by Debian's ffmpeg (its librsvg decoder), the engine the archive already needs.
// Usage: node build.mjs (from web/, or `npm run build`).
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { PurgeCSS } from 'purgecss';

const here = new URL('.', import.meta.url).pathname;
const out = `${here}dist`;
await mkdir(out, { recursive: true });

const kit = `${here}node_modules/bootstrap-italia/dist/css/bootstrap-italia.min.css`;
const ours = `${here}static/aula.css`;
const [purged] = await new PurgeCSS().purge({
  content: [
    `${here}templates/**/*.html`,
    `${here}static/**/*.js`,
    `${here}../src/**/*.rs`,
  ],
  css: [{ raw: `${await readFile(kit, 'utf8')}\n${await readFile(ours, 'utf8')}` }],
  // Custom properties and keyframes are kept only where a kept rule refers to them.
  variables: true,
  keyframes: true,
  fontFace: true,
  safelist: {
    // States the browser or the kit's conventions set, not written in any template.
    standard: [/^visually-hidden/, /^was-validated$/, /^is-(in)?valid$/],
  },
});
const css = purged.css;
await writeAtomically(`${out}/site.css`, css);

const svg = `${here}icons/icon.svg`;
const blue = '0x0066cc';
await copyFile(svg, `${out}/icon.svg`);
// A square icon for the browser tab, and opaque ones for phones' home screens (iOS fills
// transparent corners with black, so those sit on the icon's own blue).
raster(svg, `${out}/favicon.ico`, 32, null, ['-c:v', 'png', '-f', 'ico']);
for (const [name, size] of [['apple-touch-icon.png', 180], ['icon-192.png', 192], ['icon-512.png', 512]]) {
  raster(svg, `${out}/${name}`, size, blue, ['-c:v', 'png', '-f', 'image2']);
}
console.log(`web/dist: site.css ${css.length} bytes (from ${(await readFile(kit)).length + (await readFile(ours)).length}), icons`);

function raster(source, target, size, background, format) {
  const args = ['-v', 'error', '-y', '-i', source];
  if (background) {
    args.push('-f', 'lavfi', '-i', `color=c=${background}:s=${size}x${size}`,
      '-filter_complex', `[0:v]scale=${size}:${size}[icon];[1:v][icon]overlay=format=auto,format=rgb24`);
  } else {
    args.push('-vf', `scale=${size}:${size},format=rgba`);
  }
  execFileSync('ffmpeg', [...args, '-frames:v', '1', ...format, `${target}.tmp`]);
  execFileSync('mv', [`${target}.tmp`, target]);
}

// Written whole or not at all: a server reading the file never sees half of it.
async function writeAtomically(path, text) {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

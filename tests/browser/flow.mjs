// Playwright flow for the TaxDistill web app, in Debian's Chromium.
//
//   BASE_URL=http://127.0.0.1:PORT/ WORK=tests/browser/work node flow.mjs
//
// WORK (made by run.sh) holds:
//   files/{contigs.fna,abundance.tsv,labels.tsv}  inputs picked through the file inputs
//   model/{model.json,model.safetensors}          the model picked through model-input
//   expected_files.tsv   `taxdistill annotate` on files/ with model/
//   expected_demo.tsv    `taxdistill annotate` on the bundled demo
//   bad.fna              a FASTQ file named .fna (must give an error in the page)
//
// Runs twice: WebGPU (SwiftShader here) and CPU (`?backend=cpu`). Each run:
// demo → done, TSV equals the CLI's; files → done, TSV equals the CLI's; a
// bad file → `error: …` naming the file, then a good run again; screenshots
// of every view into ARTIFACTS; no request leaves the origin; offline reload.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:8080/';
const WORK = process.env.WORK ?? path.join(import.meta.dirname, 'work');
const ART = process.env.ARTIFACTS ?? path.join(import.meta.dirname, 'artifacts');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const MODES = (process.env.MODES ?? 'webgpu,cpu').split(',');
const TIMEOUT = Number(process.env.FLOW_TIMEOUT_MS ?? 180000);
// STRICT_TSV=1: the CPU run's TSV must be byte-identical to the CLI's. Off by
// default: the CLI's candle kernels (x86 AVX/FMA) and the wasm32 ones sum in
// another order, so a few scores differ in the 5th decimal (lineages agree).
const STRICT = process.env.STRICT_TSV === '1';
fs.mkdirSync(ART, { recursive: true });

const origin = new URL(BASE).origin;
let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

async function waitDone(page, what) {
  const status = page.getByTestId('status');
  await page.waitForFunction(
    () => {
      const t = document.querySelector('[data-testid=status]')?.textContent ?? '';
      return t === 'done' || t.startsWith('error:') || t === 'cancelled';
    },
    null,
    { timeout: TIMEOUT },
  );
  const text = await status.textContent();
  check(text === 'done', `${what}: status '${text}'`);
  return text;
}

async function downloadTsv(page) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-tsv').click()]);
  const file = await dl.path();
  return fs.readFileSync(file);
}

// Byte-identical is reported as such. Otherwise lineages must be identical
// and every score within 1e-4 (the GPU crate's parity bound): the GPU, and the
// CPU kernels of wasm32 against the CLI's native ones, sum in another order,
// so a score may differ in its last printed digit. With STRICT_TSV=1 the CPU
// run must be byte-identical.
function compareTsv(got, expectedPath, what, exact) {
  const want = fs.readFileSync(expectedPath);
  if (Buffer.compare(got, want) === 0) {
    check(true, `${what}: TSV byte-identical to taxdistill annotate (${want.length} bytes)`);
    return;
  }
  const g = got.toString().split('\n');
  const w = want.toString().split('\n');
  if (exact) {
    const i = g.findIndex((l, k) => l !== w[k]);
    console.log(`  first difference at line ${i + 1}:\n  page: ${g[i]}\n  CLI:  ${w[i]}`);
    check(false, `${what}: TSV byte-identical to taxdistill annotate`);
    return;
  }
  let bad = g.length !== w.length ? `line counts ${g.length} vs ${w.length}` : '';
  let maxDiff = 0;
  let differing = 0;
  for (let k = 0; k < g.length && !bad; k++) {
    if (g[k] === w[k]) continue;
    differing++;
    const [gi, gp, gs] = g[k].split('\t');
    const [wi, wp, ws] = w[k].split('\t');
    if (gi !== wi || gp !== wp) { bad = `line ${k + 1}: '${g[k]}' vs '${w[k]}'`; break; }
    const a = gs.split(';').map(Number);
    const b = ws.split(';').map(Number);
    if (a.length !== b.length) { bad = `line ${k + 1}: score counts differ`; break; }
    a.forEach((x, j) => { maxDiff = Math.max(maxDiff, Math.abs(x - b[j])); });
  }
  if (!bad && maxDiff > 1e-4) bad = `max score difference ${maxDiff}`;
  if (bad) console.log(`  ${bad}`);
  check(!bad, `${what}: not byte-identical to taxdistill annotate, but the same lineages; ${differing} of ${w.length - 2} line(s) differ only in scores (max |diff| ${maxDiff.toExponential(1)})`);
}

async function shots(page, prefix) {
  await page.screenshot({ path: path.join(ART, `${prefix}-page.png`), fullPage: true });
  for (const id of ['view-sunburst', 'view-sankey', 'view-histogram', 'view-rankbars', 'walkthrough']) {
    const el = page.getByTestId(id);
    if (await el.count()) await el.screenshot({ path: path.join(ART, `${prefix}-${id}.png`) });
  }
  const table = page.locator('.table-card');
  if (await table.count()) await table.screenshot({ path: path.join(ART, `${prefix}-table.png`) });
}

for (const mode of MODES) {
  console.log(`--- ${mode}`);
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxdistill-flow-'));
  const ctx = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM,
    headless: false,
    ignoreDefaultArgs: ['--headless'],
    acceptDownloads: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu',
    ],
  });
  const foreign = [];
  ctx.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) foreign.push(u);
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const url = `${BASE}?backend=${mode}`;
  await page.goto(url);
  await page.getByTestId('demo-button').waitFor();

  // 1. the bundled demo
  const t0 = Date.now();
  await page.getByTestId('demo-button').click();
  await waitDone(page, `${mode} demo`);
  console.log(`  demo: ${Date.now() - t0} ms`);
  const backend = await page.getByTestId('backend').textContent();
  check(backend === mode, `${mode}: backend shows '${backend}'`);
  if (fs.existsSync(path.join(WORK, 'expected_demo.tsv'))) compareTsv(await downloadTsv(page), path.join(WORK, 'expected_demo.tsv'), `${mode} demo`, STRICT && mode === 'cpu');
  await shots(page, `${mode}-demo`);
  for (const [id, ext] of [['sunburst', 'svg'], ['sankey', 'png'], ['histogram', 'svg'], ['rankbars', 'png']]) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-${id}-${ext}`).click()]);
    const file = path.join(ART, `${mode}-export-${id}.${ext}`);
    await dl.saveAs(file);
    const head = fs.readFileSync(file).subarray(0, 8);
    const ok = ext === 'svg' ? head.toString().startsWith('<svg') : head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47;
    check(ok, `${mode}: chart ${id} exported as ${ext.toUpperCase()}`);
  }

  // 2. the user's files through the inputs
  const files = path.join(WORK, 'files');
  await page.getByTestId('fasta-input').setInputFiles(path.join(files, 'contigs.fna'));
  await page.getByTestId('abundance-input').setInputFiles(path.join(files, 'abundance.tsv'));
  await page.getByTestId('labels-input').setInputFiles(path.join(files, 'labels.tsv'));
  await page.getByTestId('model-input').setInputFiles([path.join(WORK, 'model', 'model.json'), path.join(WORK, 'model', 'model.safetensors')]);
  await page.getByTestId('run-button').click();
  await waitDone(page, `${mode} files`);
  compareTsv(await downloadTsv(page), path.join(WORK, 'expected_files.tsv'), `${mode} files`, STRICT && mode === 'cpu');
  const rows = await page.getByTestId('results-table').locator('.tr').count();
  check(rows > 0 && rows < 200, `${mode}: table renders only the rows in view (${rows} in the DOM)`);
  await page.getByTestId('results-table').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.waitForTimeout(200);
  await shots(page, `${mode}-files`);

  // 3. a bad file: a plain-words error naming the file, and the app stays usable
  await page.getByTestId('fasta-input').setInputFiles(path.join(WORK, 'bad.fna'));
  await page.getByTestId('run-button').click();
  await page.waitForFunction(() => (document.querySelector('[data-testid=status]')?.textContent ?? '').startsWith('error:'), null, { timeout: TIMEOUT });
  const err = await page.getByTestId('status').textContent();
  check(err.includes('bad.fna'), `${mode}: bad file error names the file: '${err}'`);
  await page.screenshot({ path: path.join(ART, `${mode}-error.png`) });
  await page.getByTestId('fasta-input').setInputFiles(path.join(files, 'contigs.fna'));
  await page.getByTestId('run-button').click();
  await waitDone(page, `${mode} after the error`);

  // 4. offline: reload with the network off, served by the service worker
  if (mode === MODES[MODES.length - 1]) {
    await page.evaluate(() => navigator.serviceWorker.ready);
    await ctx.setOffline(true);
    await page.reload();
    await page.getByTestId('demo-button').click();
    await waitDone(page, `${mode} offline demo`);
    await ctx.setOffline(false);
  }

  check(foreign.length === 0, `${mode}: no request left ${origin} (${foreign.slice(0, 3).join(', ')})`);
  if (consoleErrors.length) console.log(`  console errors: ${consoleErrors.slice(0, 5).join(' | ')}`);
  await ctx.close();
  fs.rmSync(userDir, { recursive: true, force: true });
}

console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);

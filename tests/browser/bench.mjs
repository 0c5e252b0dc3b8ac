// Benchmark (not a test): a large FASTA through the page in headless Chromium.
//
//   BASE_URL=http://127.0.0.1:PORT/ MODEL_DIR=web/assets/demo node bench.mjs [N_CONTIGS] [MEAN_LEN]
//
// Writes a random FASTA (default 100k contigs, ~300 Mbp) and an abundance
// table with the model's sample count into tests/browser/work/bench/, picks
// them in the page, and reports wall time from the click to `done`, the
// worker's wasm memory, the page's JS heap and the longest main-thread task.
import { chromium } from 'playwright-core';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:8080/';
const MODEL = process.env.MODEL_DIR ?? path.join(import.meta.dirname, '../../web/assets/demo');
const N = Number(process.argv[2] ?? 100000);
const MEAN = Number(process.argv[3] ?? 3000);
const MODE = process.env.MODE ?? 'auto';
const dir = path.join(import.meta.dirname, 'work', 'bench');
fs.mkdirSync(dir, { recursive: true });

const meta = JSON.parse(fs.readFileSync(path.join(MODEL, 'model.json')));
const fasta = path.join(dir, `contigs_${N}.fna`);
const abundance = path.join(dir, `abundance_${N}.tsv`);
if (!fs.existsSync(fasta)) {
  const out = fs.openSync(fasta, 'w');
  const ab = [['contigname', ...Array.from({ length: meta.n_samples }, (_, i) => `S${i + 1}`)].join('\t')];
  let bp = 0;
  for (let i = 0; i < N; i++) {
    const len = Math.max(1000, Math.round(MEAN * (0.3 + 1.4 * Math.random())));
    const raw = crypto.randomBytes(len);
    for (let k = 0; k < len; k++) raw[k] = 'ACGT'.charCodeAt(raw[k] & 3);
    let rec = `>contig_${i}\n`;
    for (let k = 0; k < len; k += 80) rec += raw.subarray(k, Math.min(len, k + 80)).toString('latin1') + '\n';
    fs.writeSync(out, rec);
    bp += len;
    ab.push([`contig_${i}`, ...Array.from({ length: meta.n_samples }, () => (Math.random() * 30).toFixed(3))].join('\t'));
  }
  fs.closeSync(out);
  fs.writeFileSync(abundance, ab.join('\n') + '\n');
  console.log(`wrote ${fasta}: ${N} contigs, ${(bp / 1e6).toFixed(1)} Mbp`);
}

const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxdistill-bench-'));
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: false,
  ignoreDefaultArgs: ['--headless'],
  viewport: { width: 1400, height: 1000 },
  args: ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu', '--enable-precise-memory-info'],
});
const page = ctx.pages()[0] ?? (await ctx.newPage());
await page.goto(`${BASE}?backend=${MODE}`);
await page.getByTestId('fasta-input').waitFor();
await page.evaluate(() => {
  window.__longest = 0;
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longest = Math.max(window.__longest, e.duration); })
    .observe({ type: 'longtask', buffered: false });
});
await page.getByTestId('fasta-input').setInputFiles(fasta);
await page.getByTestId('abundance-input').setInputFiles(abundance);
await page.getByTestId('model-input').setInputFiles([path.join(MODEL, 'model.json'), path.join(MODEL, 'model.safetensors')]);
const t0 = Date.now();
await page.getByTestId('run-button').click();
await page.waitForFunction(() => {
  const t = document.querySelector('[data-testid=status]')?.textContent ?? '';
  return t === 'done' || t.startsWith('error:');
}, null, { timeout: 600000, polling: 200 });
const wall = (Date.now() - t0) / 1000;
const status = await page.getByTestId('status').textContent();
// scroll the table to the middle and the end: rows must follow
await page.getByTestId('results-table').evaluate((el) => { el.scrollTop = el.scrollHeight / 2; });
await page.waitForTimeout(300);
await page.getByTestId('results-table').evaluate((el) => { el.scrollTop = el.scrollHeight; });
await page.waitForTimeout(300);
const summary = await page.getByTestId('run-summary').textContent().catch(() => '');
const backend = await page.getByTestId('backend').textContent();
const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
const longest = await page.evaluate(() => window.__longest);
console.log(JSON.stringify({ status, backend, contigs: N, wall_s: wall, summary, js_heap_mb: heap / 1e6, longest_main_task_ms: longest }, null, 1));
await ctx.close();
fs.rmSync(userDir, { recursive: true, force: true });

// Benchmark (not a test): a large FASTA through the page in headless Chromium.
//
//   BASE_URL=http://127.0.0.1:PORT/ MODEL_DIR=web/assets/demo node bench.mjs [N_CONTIGS] [MEAN_LEN]
//
// Writes a random FASTA (default 100k contigs, ~300 Mbp) and an abundance
// table with the model's sample count into $BENCH_DIR, picks
// them in the page and clicks Annotate (MODE=auto|cpu|webgpu, default auto).
// Reports, as one JSON object:
// - wall_s: the click on Annotate → status `done`;
// - worker_wasm_mb / page_wasm_mb: the wasm memories at the end (they never
//   shrink: the peaks), from the page's run summary;
// - page_js_heap_peak_mb: the page's used JS heap, sampled every 100 ms;
// - browser_pss_idle_mb / browser_pss_peak_mb: the summed proportional set
//   size (shared pages split between processes, so the sum is not inflated)
//   of every Chromium process of this run (browser, renderer with the
//   worker, GPU, utilities), before the click and its peak during the run,
//   sampled every 100 ms from /proc/PID/smaps_rollup — everything the
//   browser holds, an upper bound of the wasm and JS figures;
// - longest_main_task_ms (and the five longest) during the run, from a
//   `longtask` PerformanceObserver on the page (the worker's tasks do not
//   count: they do not block the page), and again while the table is
//   searched, sorted and scrolled after `done`.
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
// BENCH_DIR: where the inputs are written (default tests/browser/work/bench,
// which run.sh clears: point it elsewhere to run both at once)
const dir = process.env.BENCH_DIR ?? path.join(import.meta.dirname, 'work', 'bench');
fs.mkdirSync(dir, { recursive: true });

const meta = JSON.parse(fs.readFileSync(path.join(MODEL, 'model.json')));
const fasta = path.join(dir, `contigs_${N}.fna`);
const abundance = path.join(dir, `abundance_${N}_${meta.n_samples}.tsv`);
if (!fs.existsSync(fasta) || !fs.existsSync(abundance)) {
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
  console.error(`wrote ${fasta}: ${N} contigs, ${(bp / 1e6).toFixed(1)} Mbp`);
}
const fastaMbp = fs.statSync(fasta).size / 1e6;

// proportional set size of this run's Chromium processes (their command lines name the profile dir)
function pssMb(userDir) {
  let kb = 0;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      if (!cmd.includes('chromium')) continue;
      // child processes do not repeat --user-data-dir: follow the parent chain
      let p = pid;
      let mine = false;
      for (let hop = 0; hop < 4 && p && p !== '1'; hop++) {
        if (fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').includes(userDir)) { mine = true; break; }
        p = fs.readFileSync(`/proc/${p}/status`, 'latin1').match(/^PPid:\s+(\d+)/m)?.[1];
      }
      if (!mine) continue;
      const m = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1').match(/^Pss:\s+(\d+)/m);
      if (m) kb += Number(m[1]);
    } catch { /* the process ended */ }
  }
  return kb / 1024;
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
  window.__tasks = [];
  window.__heap = 0;
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__tasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: false });
  setInterval(() => { window.__heap = Math.max(window.__heap, performance.memory?.usedJSHeapSize ?? 0); }, 100);
});
await page.getByTestId('fasta-input').setInputFiles(fasta);
await page.getByTestId('abundance-input').setInputFiles(abundance);
await page.getByTestId('model-input').setInputFiles([path.join(MODEL, 'model.json'), path.join(MODEL, 'model.safetensors')]);
const pssIdle = pssMb(userDir);
let pssPeak = pssIdle;
const sampler = setInterval(() => { pssPeak = Math.max(pssPeak, pssMb(userDir)); }, 100);
const t0 = Date.now();
await page.getByTestId('run-button').click();
await page.waitForFunction(() => {
  const t = document.querySelector('[data-testid=status]')?.textContent ?? '';
  return t === 'done' || t.startsWith('error:');
}, null, { timeout: 900000, polling: 100 });
const wall = (Date.now() - t0) / 1000;
// let the charts and the table render, then read the run's long tasks
await page.waitForTimeout(1500);
const runTasks = await page.evaluate(() => window.__tasks.splice(0));
const status = await page.getByTestId('status').textContent();
const summary = await page.getByTestId('run-summary').textContent().catch(() => '');
const backend = await page.getByTestId('backend').textContent();

// interacting with 100k rows: search, sort, scroll
const search = page.getByTestId('table-search');
for (const q of ['contig_1', 'contig_12', 'contig_123', '']) {
  await search.fill(q);
  await page.waitForTimeout(150);
}
for (const col of ['length', 'output lineage', 'scores per rank']) {
  await page.locator('.thead .th', { hasText: col }).click();
  await page.waitForTimeout(300);
}
for (const f of [0.5, 1, 0.25]) {
  await page.getByTestId('results-table').evaluate((el, f) => { el.scrollTop = el.scrollHeight * f; }, f);
  await page.waitForTimeout(200);
}
const uiTasks = await page.evaluate(() => window.__tasks.splice(0));
const heap = await page.evaluate(() => window.__heap);
clearInterval(sampler);
const num = (re) => Number(summary.match(re)?.[1] ?? NaN);
const top = (t) => t.sort((a, b) => b - a).slice(0, 5).map(Math.round);
console.log(JSON.stringify({
  status, backend, mode: MODE, contigs: N, fasta_mb: Number(fastaMbp.toFixed(1)), wall_s: wall, summary,
  worker_wasm_mb: num(/worker (\d+) MB/), page_wasm_mb: num(/page (\d+) MB/),
  page_js_heap_peak_mb: Number((heap / 1e6).toFixed(1)), browser_pss_idle_mb: Math.round(pssIdle), browser_pss_peak_mb: Math.round(pssPeak),
  longest_main_task_ms: Math.round(Math.max(0, ...runTasks)), longest_tasks_run_ms: top(runTasks),
  longest_main_task_interacting_ms: Math.round(Math.max(0, ...uiTasks)), longest_tasks_interacting_ms: top(uiTasks),
}, null, 1));
await ctx.close();
fs.rmSync(userDir, { recursive: true, force: true });

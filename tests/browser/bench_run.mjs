// Times `taxdistill run` in the page (no model: teacher + students +
// annotation in the worker) on a simulated community, and reports the
// worker's wasm memory at the end (its peak: wasm memory never shrinks).
//   BASE_URL=… SIM=dir Q='hidden=…' node tests/browser/bench_run.mjs
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BASE = process.env.BASE_URL;
const SIM = process.env.SIM;
const ctx = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'td-bench-')), {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: false, ignoreDefaultArgs: ['--headless'],
  args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu'],
});
const page = ctx.pages()[0] ?? (await ctx.newPage());
await page.goto(`${BASE}?backend=${process.env.BACKEND ?? 'cpu'}&${process.env.Q ?? ''}`);
await page.getByTestId('demo-button').waitFor();
await page.getByTestId('fasta-input').setInputFiles(path.join(SIM, 'contigs.fna.gz'));
await page.getByTestId('abundance-input').setInputFiles(path.join(SIM, 'abundance.tsv'));
await page.getByTestId('labels-input').setInputFiles(path.join(SIM, 'labels.tsv'));
const t0 = Date.now();
await page.getByTestId('run-button').click();
await page.waitForFunction(() => {
  const t = document.querySelector('[data-testid=status]')?.textContent ?? '';
  return t === 'done' || t.startsWith('error:');
}, null, { timeout: 3600_000, polling: 1000 });
const secs = (Date.now() - t0) / 1000;
const status = await page.getByTestId('status').textContent();
const summary = await page.getByTestId('run-summary').textContent();
const epochs = ((await page.getByTestId('loss-train').getAttribute('points')) ?? '').trim().split(' ').length;
console.log(JSON.stringify({ status, secs, epochs, summary }));
await ctx.close();

// Playwright flow for the TaxDistill web app, in Debian's Chromium.
//
//   BASE_URL=http://127.0.0.1:PORT/ WORK=tests/browser/work node flow.mjs
//
// WORK (made by run.sh) holds:
//   files/{contigs.fna,abundance.tsv,kraken2.out}  inputs picked through the file inputs
//   files/taxdump/{nodes,names,merged}.dmp         the NCBI taxonomy the Kraken2 labels need
//   model/{model.json,model.safetensors}           the model picked through model-input
//   expected_files.{tsv,cami,kraken.txt}  `taxdistill annotate --labels --taxonomy` on files/ with model/
//   expected_files.kraken.bp.txt  `taxdistill convert --to kraken-report --by-bp` on that TSV
//                        (contigs shorter than the model's minimum length keep their label)
//   expected_demo.tsv    `taxdistill annotate --labels` on the bundled demo
//   bad.fna              a FASTQ file named .fna (must give an error in the page)
//   errors/{empty.fna,corrupt.fna.gz,other_contigs.tsv,two_samples.tsv}
//                        an empty FASTA, a damaged gzip, abundances of other contigs,
//                        abundances of 2 samples for the model's 3: one error line each
//   big/{contigs.fna,abundance.tsv}  20k contigs: a run long enough to cancel
//   dist_files.txt       the build's static files (the only requests allowed)
//
// Runs twice: WebGPU (SwiftShader here) and CPU (`?backend=cpu`). Each run:
// demo → done, TSV equals the CLI's, the rank bars hold every contig in
// summary.tsv's change categories, the walkthrough's four steps; files →
// Kraken2 labels without their taxonomy give a plain-words error, with it →
// done, TSV, CAMI and Kraken report equal the CLI's; a bad file → `error: …`
// naming the file, then a good run again; an empty FASTA, a damaged .gz,
// abundances of other contigs and a model for other samples each give one
// `error: <file>: …` line; the worker out of memory (`?max_memory_mb=8`)
// gives a plain-words line, is terminated, and the next run is done; the
// sunburst by mean score and of the input labels, composition segments as
// filters, titled SVG exports and the Kraken report by bp against the CLI;
// screenshots of every view into
// ARTIFACTS; every request is a same-origin GET of one of the build's static
// files (so no request can carry user data); offline reload runs the demo.
//
// The CPU run's exports must be byte-identical to the CLI's (both run the
// core's fixed-order forward: the same bits on x86 and wasm32). WebGPU runs
// the student in WGSL, where the GPU compiler may fuse multiply-adds, so
// there the lineages and sources must be identical and each printed score
// within one unit of its last printed digit (1e-5). Every contig keeps the
// best label there is: the ones too short for the student keep their input
// label (source `input`), so the table lists some `input` rows.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:8080/';
const WORK = process.env.WORK ?? path.join(import.meta.dirname, 'work');
const DEMO = process.env.DEMO ?? path.join(import.meta.dirname, '../../web/assets/demo');
const ART = process.env.ARTIFACTS ?? path.join(import.meta.dirname, 'artifacts');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const MODES = (process.env.MODES ?? 'webgpu,cpu').split(',');
const TIMEOUT = Number(process.env.FLOW_TIMEOUT_MS ?? 180000);
// one unit of the TSV's last printed digit (`{:.5}`)
const PRINTED = 1e-5;
// axe-core (pinned in package.json), injected into the page as a script
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
fs.mkdirSync(ART, { recursive: true });

const origin = new URL(BASE).origin;
const staticFiles = new Set(fs.readFileSync(path.join(WORK, 'dist_files.txt'), 'utf8').split('\n').filter(Boolean));
staticFiles.add('/');

// Why a request is not allowed ('' when it is): a same-origin GET, no body,
// of one of the build's files; only the page itself may carry a query
// (`?backend=…`). blob: and data: URLs never leave the page.
function badRequest(r) {
  const u = r.url();
  if (u.startsWith('blob:') || u.startsWith('data:')) return '';
  const url = new URL(u);
  if (url.origin !== origin) return `foreign origin: ${u}`;
  if (r.method() !== 'GET') return `${r.method()} ${u}`;
  if (r.postData()) return `a request body: ${u}`;
  if (!staticFiles.has(url.pathname)) return `not a static file of the build: ${u}`;
  if (url.search && url.pathname !== '/') return `a query on a static file: ${u}`;
  return '';
}
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

// CPU: byte-identical. WebGPU: byte-identical is reported as such; else the
// same lines, the same lineages, and every score within one printed unit.
function compareTsv(got, expectedPath, what, exact) {
  const want = fs.readFileSync(expectedPath);
  if (Buffer.compare(got, want) === 0) {
    check(true, `${what}: TSV byte-identical to the CLI's (${want.length} bytes)`);
    return;
  }
  const g = got.toString().split('\n');
  const w = want.toString().split('\n');
  if (exact) {
    const i = g.findIndex((l, k) => l !== w[k]);
    const n = g.filter((l, k) => l !== w[k]).length;
    console.log(`  ${n} line(s) differ; first at line ${i + 1}:\n  page: ${g[i]}\n  CLI:  ${w[i]}`);
    check(false, `${what}: TSV byte-identical to the CLI's`);
    return;
  }
  let bad = g.length !== w.length ? `line counts ${g.length} vs ${w.length}` : '';
  let maxDiff = 0;
  let differing = 0;
  for (let k = 0; k < g.length && !bad; k++) {
    if (g[k] === w[k]) continue;
    differing++;
    const [gi, gp, gs, gsrc] = g[k].split('\t');
    const [wi, wp, ws, wsrc] = w[k].split('\t');
    if (gi !== wi || gp !== wp || gsrc !== wsrc) { bad = `line ${k + 1}: '${g[k]}' vs '${w[k]}'`; break; }
    const a = gs.split(';').map(Number);
    const b = ws.split(';').map(Number);
    if (a.length !== b.length) { bad = `line ${k + 1}: score counts differ`; break; }
    a.forEach((x, j) => { maxDiff = Math.max(maxDiff, Math.abs(x - b[j])); });
  }
  if (!bad && maxDiff > PRINTED * 1.001) bad = `max score difference ${maxDiff}`;
  if (bad) console.log(`  ${bad}`);
  check(!bad, `${what}: same lineages and sources as the CLI's; ${differing} of ${w.length - 2} line(s) differ in a score's last printed digit (max |diff| ${maxDiff.toExponential(1)})`);
}

async function download(page, testid) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
  return fs.readFileSync(await dl.path());
}

function compareExact(got, expectedPath, what) {
  const want = fs.readFileSync(expectedPath);
  const same = Buffer.compare(got, want) === 0;
  if (!same) {
    const g = got.toString().split('\n');
    const w = want.toString().split('\n');
    const i = g.findIndex((l, k) => l !== w[k]);
    console.log(`  first difference at line ${i + 1}:\n  page: ${g[i]}\n  CLI:  ${w[i]}`);
  }
  check(same, `${what}: byte-identical to the CLI's (${want.length} bytes)`);
}

// Per rank (domain … species), F1 of a Taxometer TSV's lineages against the
// truth: a contig counts as predicted at a rank when its lineage reaches it,
// as right when the name there equals the truth's (Taxometer's definition).
function f1PerRank(tsvText, truthPath) {
  const truth = new Map(fs.readFileSync(truthPath, 'utf8').split('\n').slice(1).filter(Boolean)
    .map((l) => l.split('\t')).map(([id, lin]) => [id, (lin ?? '').split(';').filter(Boolean)]));
  const rows = tsvText.split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
  return [0, 1, 2, 3, 4, 5, 6].map((r) => {
    let tp = 0; let predicted = 0; let total = 0;
    for (const [id, lin] of rows) {
      const want = truth.get(id)?.[r];
      if (!want) continue;
      total++;
      const got = (lin ?? '').split(';').filter(Boolean)[r];
      if (got) { predicted++; if (got === want) tp++; }
    }
    const p = predicted ? tp / predicted : 0; const rc = total ? tp / total : 0;
    return p + rc ? (2 * p * rc) / (p + rc) : 0;
  });
}

// The page's run against the CLI's `run` on the same files and seed: the
// same lineage for ≥ 99.5 % of contigs and F1 within 0.005 at every rank
// (training in wasm sums in another order than native SIMD: a few contigs
// near a threshold may walk one rank further or less).
function compareRun(got, expectedPath, truthPath, what) {
  const lineages = (text) => new Map(text.split('\n').slice(1).filter(Boolean).map((l) => l.split('\t')).map(([id, lin]) => [id, lin ?? '']));
  const want = fs.readFileSync(expectedPath, 'utf8');
  const g = lineages(got.toString());
  const w = lineages(want);
  let same = 0;
  for (const [id, lin] of w) if (g.get(id) === lin) same++;
  const share = same / Math.max(1, w.size);
  check(g.size === w.size && share >= 0.995, `${what}: ${same} of ${w.size} contigs have the CLI run's lineage (${(100 * share).toFixed(2)} %)`);
  const fg = f1PerRank(got.toString(), truthPath);
  const fw = f1PerRank(want, truthPath);
  const worst = Math.max(...fg.map((x, r) => Math.abs(x - fw[r])));
  check(worst <= 0.005, `${what}: F1 per rank ${fg.map((x) => x.toFixed(3)).join(' ')} vs the CLI's ${fw.map((x) => x.toFixed(3)).join(' ')} (max |diff| ${worst.toFixed(4)})`);
}

async function waitStatus(page, prefix) {
  await page.waitForFunction((p) => (document.querySelector('[data-testid=status]')?.textContent ?? '').startsWith(p), prefix, { timeout: TIMEOUT });
  return page.getByTestId('status').textContent();
}

// ---- linked views: every expected number comes from the CLI's outputs ----

const tsvRows = (file) => fs.readFileSync(file, 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
const lineageAt = (lin, r) => (lin ?? '').split(';').filter(Boolean)[r];

async function tableCount(page) {
  return Number((await page.getByTestId('table-count').textContent()).trim());
}

// waits until the table lists `n` rows (the filter's memo runs after the click)
async function waitCount(page, n) {
  await page.waitForFunction((want) => document.querySelector('[data-testid=table-count]')?.textContent.trim() === String(want), n, { timeout: 5000 }).catch(() => {});
  return tableCount(page);
}

async function clearChips(page) {
  while (await page.getByTestId('filter-chip-clear').count()) await page.getByTestId('filter-chip-clear').first().click();
}

// The Sankey at genus on the demo: a band's contigs, counted independently
// from the demo's input labels (labels.tsv) and the CLI's TSV (its output
// lineages and sources); clicking the band lists exactly those in the
// table, the chip names it, and the table's TSV export holds the CLI's
// lines of those contigs.
async function checkSankeyBand(page, mode, expectedTsv, nTotal, exact) {
  const GENUS = 5;
  const labels = new Map(tsvRows(path.join(DEMO, 'labels.tsv')).map(([id, lin]) => [id, lin]));
  const out = tsvRows(expectedTsv);
  const bands = await page.getByTestId('sankey-band').evaluateAll((els) => els.map((e) => ({
    left: e.dataset.left, right: e.dataset.right, kept: e.dataset.kept === 'true', n: Number(e.dataset.contigs), label: e.getAttribute('aria-label'),
  })));
  const named = (x) => x !== 'other' && x !== 'unclassified';
  // a band the student annotated (its contigs have scores), changed if any
  const pick = bands.map((b, i) => ({ ...b, i })).filter((b) => named(b.left) && named(b.right))
    .sort((a, b) => (Number(a.kept) - Number(b.kept)) || (Number(b.left !== b.right) - Number(a.left !== a.right)) || b.n - a.n)[0];
  if (!pick) { check(false, `${mode}: the Sankey has a band between two named genera`); return; }
  const ids = out.filter(([id, lin, , src]) => src !== 'none' && (src === 'input') === pick.kept
    && lineageAt(lin, GENUS) === pick.right && lineageAt(labels.get(id), GENUS) === pick.left).map(([id]) => id);
  await page.getByTestId('sankey-band').nth(pick.i).click();
  const n = await waitCount(page, ids.length);
  const chip = (await page.getByTestId('filter-chip').allTextContents()).join(' | ');
  check(n === pick.n && n === ids.length && chip.includes(`${pick.left} → ${pick.right}`),
    `${mode}: Sankey band '${pick.label}' → table-count ${n} (band ${pick.n}, CLI TSV + labels ${ids.length}); chip '${chip}'`);
  const exported = (await download(page, 'table-export')).toString().split('\n').filter(Boolean);
  const want = new Set(ids);
  const cliLines = new Map(fs.readFileSync(expectedTsv, 'utf8').split('\n').filter(Boolean).map((l) => [l.split('\t')[0], l]));
  const sameIds = exported.length === ids.length + 1 && exported.slice(1).every((l) => want.has(l.split('\t')[0]));
  const sameLines = exported.slice(1).every((l) => (exact ? l === cliLines.get(l.split('\t')[0]) : l.split('\t')[1] === cliLines.get(l.split('\t')[0]).split('\t')[1]));
  check(sameIds && sameLines && exported[0] === cliLines.get('contigs'),
    `${mode}: the table's TSV export holds the band's ${exported.length - 1} contigs, ${exact ? 'lines' : 'lineages'} as the CLI's`);
  // a second view narrows further: the band's contigs whose genus score
  // (the CLI TSV's) falls in the histogram's bin that holds most of them
  const scores = new Map(out.map(([cid, , sc]) => [cid, (sc ?? '').split(';').filter(Boolean).map(Number)]));
  const binOf = (s) => Math.min(Math.floor(s * 20), 19);
  const inBin = new Map();
  for (const cid of ids) {
    const s = scores.get(cid)?.[GENUS];
    if (s !== undefined && !pick.kept) inBin.set(binOf(s), (inBin.get(binOf(s)) ?? 0) + 1);
  }
  const [bin, want2] = [...inBin].sort((a, b) => b[1] - a[1])[0] ?? [19, 0];
  await page.getByTestId('hist-bin').nth(bin).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=filter-chip]').length === 2, null, { timeout: 5000 }).catch(() => {});
  const both = await waitCount(page, want2);
  check((await page.getByTestId('filter-chip').count()) === 2 && both === want2 && want2 > 0,
    `${mode}: band and histogram bin ${bin} together: ${both} contigs (CLI TSV's scores: ${want2})`);
  await clearChips(page);
  const back = await waitCount(page, nTotal);
  check(back === nTotal && (await page.getByTestId('filter-chip').count()) === 0, `${mode}: clearing the chips lists all ${nTotal} contigs again (${back})`);
}

// A Kraken-style report as (code, clade, direct, depth, name).
function krakenReport(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [, clade, direct, code, , name] = l.split('\t');
    return { code, clade: Number(clade), direct: Number(direct), depth: name.length - name.trimStart().length, name: name.trim() };
  });
}

async function ring1(page) {
  return page.locator('[data-testid=wedge][data-ring="1"]').evaluateAll((els) => els.map((e) => ({ taxon: e.dataset.taxon, n: Number(e.dataset.contigs) })));
}

async function crumbs(page) {
  return (await page.getByTestId('breadcrumb').textContent()).replace(/\s+/g, ' ').trim();
}

// The sunburst on the user's files against the CLI's Kraken-style report
// and TSV: the first ring is the report's domains plus one `unassigned`
// wedge; zooming into a domain shows its phyla (and the contigs that stop at
// the domain), lists its contigs in the table and names it in the
// breadcrumb; the centre zooms back out; the keyboard does the same.
async function checkSunburst(page, mode, reportPath, expectedTsv, nTotal) {
  const report = krakenReport(reportPath);
  const domains = report.filter((l) => l.code === 'D');
  const unclassified = report.find((l) => l.code === 'U')?.clade ?? 0;
  const noOutput = tsvRows(expectedTsv).filter((r) => r[3] === 'none').length;
  const first = await ring1(page);
  const un = first.find((w) => w.taxon === 'unassigned');
  const sameDomains = domains.every((d) => first.some((w) => w.taxon === d.name && w.n === d.clade));
  check(first.length === domains.length + (un ? 1 : 0) && sameDomains && (un?.n ?? 0) + noOutput === unclassified,
    `${mode}: sunburst's first ring: ${first.map((w) => `${w.taxon} ${w.n}`).join(', ')}; the report: ${domains.map((d) => `${d.name} ${d.clade}`).join(', ')}, ${unclassified} unclassified (${noOutput} without output)`);
  const dom = domains[0];
  const k = domains.indexOf(dom);
  const next = report.findIndex((l, i) => i > report.indexOf(dom) && l.depth <= dom.depth);
  const phyla = report.slice(report.indexOf(dom) + 1, next < 0 ? undefined : next).filter((l) => l.code === 'P');
  // a lone domain's wedge is a full ring whose box is centred on the centre
  // disc: the click goes to the wedge itself
  await page.locator(`[data-testid=wedge][data-ring="1"][data-taxon="${dom.name}"]`).dispatchEvent('click');
  const n = await waitCount(page, dom.clade);
  const inner = await ring1(page);
  const stops = inner.find((w) => w.taxon === 'unassigned')?.n ?? 0;
  const samePhyla = phyla.every((p) => inner.some((w) => w.taxon === p.name && w.n === p.clade));
  const path1 = await crumbs(page);
  check(path1 === `all › ${dom.name}` && n === dom.clade && samePhyla && inner.length === phyla.length + (stops ? 1 : 0) && stops === dom.direct,
    `${mode}: zoom into ${dom.name} (domain ${k + 1}): breadcrumb '${path1}', table-count ${n} (report ${dom.clade}), ${inner.length} wedges on the first ring (report: ${phyla.length} phyla${stops ? `, ${stops} stop at domain` : ''})`);
  await page.getByTestId('sunburst-centre').click();
  const back = await waitCount(page, nTotal);
  const path0 = await crumbs(page);
  check(path0 === 'all' && back === nTotal && (await ring1(page)).length === first.length, `${mode}: the centre zooms back out: breadcrumb '${path0}', ${back} contigs listed`);
  // the keyboard: Enter zooms into the focused wedge, Escape back out
  await page.locator('[data-testid=wedge][data-ring="1"]').first().focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((want) => document.querySelector('[data-testid=breadcrumb]')?.textContent.includes(want), first[0].taxon, { timeout: 5000 }).catch(() => {});
  const pathK = await crumbs(page);
  const focused = await page.evaluate(() => document.activeElement?.dataset?.testid ?? document.activeElement?.tagName);
  check(pathK === `all › ${first[0].taxon}` && focused === 'wedge', `${mode}: Enter on a focused wedge zooms in ('${pathK}'; focus on a ${focused})`);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.querySelector('[data-testid=breadcrumb]')?.textContent.trim() === 'all', null, { timeout: 5000 }).catch(() => {});
  check((await crumbs(page)) === 'all', `${mode}: Escape zooms back out ('${await crumbs(page)}')`);
  // the chip clears the zoom as well
  await page.locator('[data-testid=wedge][data-ring="1"]').first().focus();
  await page.keyboard.press('Space');
  const chip = (await page.getByTestId('filter-chip').allTextContents()).join(' | ');
  await page.getByTestId('filter-chip-clear').first().click();
  const cleared = await waitCount(page, nTotal);
  check(chip.includes(first[0].taxon) && cleared === nTotal && (await crumbs(page)) === 'all', `${mode}: chip '${chip}' cleared: ${cleared} contigs, breadcrumb '${await crumbs(page)}'`);
  // the search box marks the wedges whose name matches
  await page.getByTestId('sunburst-search').fill(dom.name.toLowerCase());
  const hits = await page.locator('#sunburst .sector.hit').count();
  await page.getByTestId('sunburst-search').fill('');
  check(hits >= 1, `${mode}: searching '${dom.name.toLowerCase()}' marks ${hits} wedge(s)`);
}

// The composition per sample at phylum on the demo, recomputed from the
// CLI's TSV (output lineages), the demo's abundance.tsv and the contigs'
// lengths: a taxon's share of a sample is the sum over its contigs of depth ×
// length over the sample's total.
async function checkComposition(page, mode, expectedTsv) {
  const PHYLUM = 1;
  const fasta = zlib.gunzipSync(fs.readFileSync(path.join(DEMO, 'contigs.fna.gz'))).toString();
  const lengths = new Map();
  let id = null;
  for (const line of fasta.split('\n')) {
    if (line.startsWith('>')) { id = line.slice(1).split(/\s/)[0]; lengths.set(id, 0); } else if (id) lengths.set(id, lengths.get(id) + line.trim().length);
  }
  const lineages = new Map(tsvRows(expectedTsv).map(([cid, lin, , src]) => [cid, src === 'none' ? '' : lin]));
  const [head, ...rows] = fs.readFileSync(path.join(DEMO, 'abundance.tsv'), 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
  const samples = head.slice(1);
  const bases = samples.map(() => new Map());
  const totals = samples.map(() => 0);
  for (const [cid, ...depths] of rows) {
    const taxon = lineageAt(lineages.get(cid), PHYLUM) ?? 'unclassified';
    depths.forEach((d, k) => {
      const b = Number(d) * (lengths.get(cid) ?? 0);
      bases[k].set(taxon, (bases[k].get(taxon) ?? 0) + b);
      totals[k] += b;
    });
  }
  const segs = await page.getByTestId('composition-segment').evaluateAll((els) => els.map((e) => ({ sample: e.dataset.sample, taxon: e.dataset.taxon, share: Number(e.dataset.share) })));
  const shown = new Set(segs.map((x) => x.sample));
  let worst = 0;
  for (const x of segs.filter((x) => x.taxon !== 'other')) {
    const k = samples.indexOf(x.sample);
    const want = k < 0 ? NaN : (bases[k].get(x.taxon) ?? 0) / totals[k];
    worst = Math.max(worst, Math.abs(want - x.share));
  }
  check(segs.length > 0 && shown.size === samples.length && worst < 1e-4,
    `${mode}: composition at phylum: ${samples.length} samples (${[...shown].join(', ')}), ${segs.length} segments, max |share − CLI TSV × abundance.tsv| ${Number.isNaN(worst) ? 'NaN' : worst.toExponential(1)}`);
  // a segment lists its taxon's contigs (output phylum, from the CLI's TSV)
  // in the table; the chip names it; Enter on a focused segment does the same
  const named = segs.map((x, i) => ({ ...x, i })).filter((x) => x.taxon !== 'other' && x.taxon !== 'unclassified');
  await clearChips(page);
  const seg = named[named.length - 1] ?? segs[0];
  const want = [...lineages.values()].filter((lin) => (lineageAt(lin, PHYLUM) ?? 'unclassified') === seg.taxon).length;
  await page.getByTestId('composition-segment').nth(seg.i).click();
  const n = await waitCount(page, want);
  const chip = (await page.getByTestId('filter-chip').allTextContents()).join(' | ');
  check(n === want && chip.includes(`phylum: ${seg.taxon}`), `${mode}: composition segment '${seg.taxon}' (${seg.sample}) → table-count ${n} (CLI TSV: ${want}); chip '${chip}'`);
  await clearChips(page);
  const un = segs.findIndex((x) => x.taxon === 'unclassified');
  if (un >= 0) {
    const wantUn = [...lineages.values()].filter((lin) => !lineageAt(lin, PHYLUM)).length;
    await page.getByTestId('composition-segment').nth(un).focus();
    await page.keyboard.press('Enter');
    const got = await waitCount(page, wantUn);
    check(got === wantUn, `${mode}: Enter on the 'unclassified' segment → table-count ${got} (CLI TSV, no phylum or no output: ${wantUn})`);
    await clearChips(page);
  }
}

// The sunburst coloured by the student's mean score, and the sunburst of
// the input labels, each against the demo's files: a domain wedge's mean
// score is the CLI TSV's mean domain score over the student's contigs in it,
// its fill the legend's swatch for that score; the input labels' first ring
// counts labels.tsv's domains (the unlabelled contigs unassigned), and a
// wedge lists its contigs by their input label.
async function checkSunburstModes(page, mode, expectedTsv, nTotal) {
  await clearChips(page);
  const wedges = () => page.locator('[data-testid=wedge][data-ring="1"]').evaluateAll((els) => els.map((e) => ({
    taxon: e.dataset.taxon, n: Number(e.dataset.contigs), score: e.dataset.score === undefined ? null : Number(e.dataset.score), fill: e.getAttribute('fill'),
  })));
  await page.getByTestId('sunburst-colour-score').check();
  // every named wedge of the first two rings (domains, phyla)
  const named = await page.locator([1, 2, 3, 4, 5].map((r) => `[data-testid=wedge][data-ring="${r}"]`).join(', ')).evaluateAll((els) => els.map((e) => ({
    taxon: e.dataset.taxon, ring: Number(e.dataset.ring), score: e.dataset.score === undefined ? null : Number(e.dataset.score), fill: e.getAttribute('fill'),
  })).filter((w) => w.score !== null && w.taxon !== '[other]' && w.taxon !== 'unassigned'));
  const out = tsvRows(expectedTsv);
  const scale = [[0, '#b2182b'], [0.5, '#ef8a62'], [0.7, '#fddbc7'], [0.85, '#92c5de'], [0.95, '#2166ac']];
  let worst = 0;
  let wrongFill = 0;
  const fills = new Set();
  for (const w of named) {
    const r = w.ring - 1;
    const sc = out.filter(([, lin, , src]) => src === 'student' && lineageAt(lin, r) === w.taxon).map(([, , x]) => Number(x.split(';')[r]));
    const mean = sc.reduce((a, b) => a + b, 0) / Math.max(1, sc.length);
    worst = Math.max(worst, Math.abs(mean - w.score));
    if (w.fill !== [...scale].reverse().find(([least]) => mean >= least)[1]) wrongFill++;
    fills.add(w.fill);
  }
  const swatches = await page.getByTestId('sunburst-legend').locator('rect').evaluateAll((els) => els.map((e) => e.getAttribute('fill')));
  check(named.length > 1 && worst < 1e-4 && wrongFill === 0 && [...fills].every((f) => swatches.includes(f)) && swatches.length === 7,
    `${mode}: sunburst by mean score: ${named.length} named wedges from domain to family, mean scores as the CLI TSV's (max |diff| ${worst.toExponential(1)}), ${fills.size} colour(s) of the legend's ${swatches.length} swatches, ${wrongFill} wrong`);
  await page.getByTestId('view-sunburst').screenshot({ path: path.join(ART, `${mode}-demo-sunburst-by-score.png`) });
  await page.getByTestId('sunburst-colour-taxon').check();

  await page.getByTestId('sunburst-input').check();
  const labels = new Map(tsvRows(path.join(DEMO, 'labels.tsv')).map(([id, lin]) => [id, lin]));
  const perDomain = new Map();
  let unlabelled = 0;
  for (const [id] of out) {
    const d = lineageAt(labels.get(id), 0);
    if (d) perDomain.set(d, (perDomain.get(d) ?? 0) + 1); else unlabelled++;
  }
  const ring = await wedges();
  const same = [...perDomain].every(([d, n]) => ring.some((w) => w.taxon === d && w.n === n))
    && (ring.find((w) => w.taxon === 'unassigned')?.n ?? 0) === unlabelled && ring.length === perDomain.size + (unlabelled ? 1 : 0);
  const legendText = await page.getByTestId('sunburst-legend').textContent();
  const scoreOff = await page.getByTestId('sunburst-colour-score').isDisabled();
  check(same && legendText.includes('input labels') && scoreOff,
    `${mode}: input labels' sunburst: ${ring.map((w) => `${w.taxon} ${w.n}`).join(', ')} (labels.tsv: ${[...perDomain].map(([d, n]) => `${d} ${n}`).join(', ')}, ${unlabelled} unlabelled); colour by score ${scoreOff ? 'off' : 'on'}`);
  await page.getByTestId('view-sunburst').screenshot({ path: path.join(ART, `${mode}-demo-sunburst-input.png`) });
  const [d, n] = [...perDomain].sort((a, b) => b[1] - a[1])[0];
  await page.locator(`[data-testid=wedge][data-ring="1"][data-taxon="${d}"]`).dispatchEvent('click');
  const got = await waitCount(page, n);
  const chip = (await page.getByTestId('filter-chip').allTextContents()).join(' | ');
  check(got === n && chip.includes(`input label: ${d}`), `${mode}: an input-label wedge lists its ${got} contigs (labels.tsv: ${n}); chip '${chip}'`);
  await page.getByTestId('sunburst-refined').check();
  const back = await waitCount(page, nTotal);
  check(back === nTotal && (await page.getByTestId('filter-chip').count()) === 0, `${mode}: back to the refined sunburst: the input filter is cleared (${back} contigs)`);
}

// axe-core on the page with results: no serious or critical violation
async function checkAxe(page, mode, what) {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, target: v.nodes[0]?.target?.join(' ') })));
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of violations) console.log(`  axe ${v.impact}: ${v.id} (${v.nodes} node(s), e.g. ${v.target}): ${v.help}`);
  check(bad.length === 0, `${mode}: axe-core finds no serious or critical violation on ${what} (${violations.length} minor)`);
}

// Bad inputs, each with the model and the good files otherwise: one line
// in the status, `error: ` and the file's name first, within a few seconds
// (no hang), and the run button usable again afterwards.
async function checkErrorCases(page, mode) {
  const files = path.join(WORK, 'files');
  const errors = path.join(WORK, 'errors');
  const cases = [
    ['an empty FASTA', { fasta: path.join(errors, 'empty.fna') }, /^error: empty\.fna: empty file: no FASTA records$/],
    ['a corrupt .gz', { fasta: path.join(errors, 'corrupt.fna.gz') }, /^error: corrupt\.fna\.gz: damaged gzip file \(.*(corrupt|invalid|checksum).*\): compress it again, or give it uncompressed$/i],
    ['abundances of other contigs', { fasta: path.join(files, 'contigs.fna'), abundance: path.join(errors, 'other_contigs.tsv') },
      /^error: other_contigs\.tsv: does not fit the contigs: \d+ of \d+ contigs have no abundance row, the first is 'contig_\d+'$/],
    ['a model for other samples', { abundance: path.join(errors, 'two_samples.tsv') },
      /^error: two_samples\.tsv: 2 sample column\(s\) \(sample1, sample2\), but the model \(model\.json\) was trained with 3: it was made for other samples/],
  ];
  for (const [what, inputs, want] of cases) {
    if (inputs.fasta) await page.getByTestId('fasta-input').setInputFiles(inputs.fasta);
    if (inputs.abundance) await page.getByTestId('abundance-input').setInputFiles(inputs.abundance);
    const t = Date.now();
    await page.getByTestId('run-button').click();
    const text = await page.waitForFunction(() => {
      const s = document.querySelector('[data-testid=status]')?.textContent ?? '';
      return s.startsWith('error:') || s === 'done' ? s : null;
    }, null, { timeout: 30000 }).then((h) => h.jsonValue()).catch(() => 'no answer within 30 s');
    const ms = Date.now() - t;
    const usable = await page.getByTestId('run-button').isEnabled();
    check(want.test(text) && !text.includes('\n') && usable, `${mode}: ${what} → '${text}' (${ms} ms; run button ${usable ? 'enabled' : 'disabled'})`);
  }
  await page.getByTestId('abundance-input').setInputFiles(path.join(files, 'abundance.tsv'));
}

// The worker runs out of memory: the page caps the worker's heap
// (`?max_memory_mb=`, read at each run) so that the allocator refuses a
// request as the browser does when the tab cannot grow; the trap shows as
// a line naming the file and what ran out, the trapped worker is
// terminated, and the next run (the cap lifted) gets a fresh worker and
// finishes.
async function checkOutOfMemory(page, mode, url) {
  const files = path.join(WORK, 'files');
  const big = path.join(WORK, 'big');
  // 20k contigs: their features alone (103 floats each) need more than 8 MB
  await page.getByTestId('fasta-input').setInputFiles(path.join(big, 'contigs.fna'));
  await page.getByTestId('abundance-input').setInputFiles(path.join(big, 'abundance.tsv'));
  const closed = [];
  const onWorker = (w) => w.on('close', () => closed.push(w.url()));
  page.on('worker', onWorker);
  for (const w of page.workers()) onWorker(w);
  await page.evaluate((u) => window.history.replaceState(null, '', u), `${url}&max_memory_mb=8`);
  await page.getByTestId('run-button').click();
  const text = await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid=status]')?.textContent ?? '';
    return s.startsWith('error:') || s === 'done' ? s : null;
  }, null, { timeout: 60000 }).then((h) => h.jsonValue()).catch(() => 'no answer within 60 s');
  await page.waitForTimeout(300);
  check(/^error: contigs\.fna: ran out of memory in the browser tab while reading the contigs \(\d+ MB of wasm memory, a request for \d+ [kM]B more refused, the heap capped at 8 MB by max_memory_mb\); the worker was stopped and the next run starts a fresh one: try a smaller file, or the CLI/.test(text) && closed.length >= 1,
    `${mode}: out of memory (heap capped at 8 MB) → '${text}'; ${closed.length} worker(s) terminated`);
  await page.evaluate((u) => window.history.replaceState(null, '', u), url);
  await page.getByTestId('fasta-input').setInputFiles(path.join(files, 'contigs.fna'));
  await page.getByTestId('abundance-input').setInputFiles(path.join(files, 'abundance.tsv'));
  await page.getByTestId('run-button').click();
  await waitDone(page, `${mode} after running out of memory (a fresh worker)`);
  page.off('worker', onWorker);
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
  const refused = [];
  let requests = 0;
  ctx.on('request', (r) => {
    requests++;
    const why = badRequest(r);
    if (why) refused.push(why);
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
  compareTsv(await download(page, 'export-tsv'), path.join(WORK, 'expected_demo.tsv'), `${mode} demo`, mode === 'cpu');
  await shots(page, `${mode}-demo`);
  for (const [id, ext] of [['sunburst', 'svg'], ['sankey', 'png'], ['histogram', 'svg'], ['rankbars', 'png']]) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-${id}-${ext}`).click()]);
    const file = path.join(ART, `${mode}-export-${id}.${ext}`);
    await dl.saveAs(file);
    const head = fs.readFileSync(file).subarray(0, 8);
    const ok = ext === 'svg' ? head.toString().startsWith('<svg') : head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47;
    check(ok, `${mode}: chart ${id} exported as ${ext.toUpperCase()}`);
  }
  // the exported SVGs carry their title, rank and legend
  for (const [id, want] of [
    ['sankey', ['Noisy → refined', 'rank: genus', 'confirmed', 'input label kept', 'noisy label']],
    ['sunburst', ['Output taxonomy', 'refined labels (output) · by contigs · all', 'unassigned']],
    ['histogram', ['Confidence', 'rank: genus']],
    ['composition', ['Composition per sample', 'rank: phylum', 'sample1']],
  ]) {
    const svg = (await download(page, `export-${id}-svg`)).toString();
    const missing = want.filter((w) => !svg.includes(w.replace(/&/g, '&amp;')));
    fs.writeFileSync(path.join(ART, `${mode}-export-${id}-titled.svg`), svg);
    check(svg.startsWith('<svg') && missing.length === 0, `${mode}: the ${id} SVG export carries its title, rank and legend${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`);
  }
  // the rank bars: every contig in each bar, in summary.tsv's change categories
  const nDemo = fs.readFileSync(path.join(WORK, 'expected_demo.tsv'), 'utf8').split('\n').filter(Boolean).length - 1;
  const perRank = new Map();
  const kinds = new Set();
  for (const title of await page.locator('#rankbars rect title').allTextContents()) {
    const m = /^(\w+): (\d+) contigs (.+) \(/.exec(title);
    if (!m) { kinds.add(`unreadable '${title}'`); continue; }
    perRank.set(m[1], (perRank.get(m[1]) ?? 0) + Number(m[2]));
    if (Number(m[2]) > 0) kinds.add(m[3]);
  }
  const known = ['confirmed', 'changed', 'removed', 'deepened', 'newly labelled', 'left novel', 'kept input', 'unassigned'];
  const sums = [...perRank.values()];
  check(perRank.size === 7 && sums.every((n) => n === nDemo) && [...kinds].every((k) => known.includes(k)),
    `${mode}: rank bars hold all ${nDemo} contigs per rank (${sums.join(', ')}) in summary.tsv's categories (${[...kinds].join(', ')})`);
  // the walkthrough's third step counts the changes at genus in those categories
  for (let i = 0; i < 2; i++) await page.getByTestId('walkthrough-next').click();
  const step3 = await page.getByTestId('walkthrough-text').textContent();
  check(/^3 · .*At genus rank it confirmed \d+ labels, changed \d+, removed \d+ where it was unsure/.test(step3), `${mode}: walkthrough step 3 counts the changes ('${step3.slice(step3.indexOf('At genus'), step3.indexOf('At genus') + 110)}…')`);
  // the walkthrough's last step compares labels and student with the demo's truth
  await page.getByTestId('walkthrough-next').click();
  const truthRows = await page.getByTestId('truth-table').locator('tr').count();
  const step4 = await page.getByTestId('walkthrough-text').textContent();
  check(truthRows === 8 && step4.startsWith('4 ·') && /F1 score at genus went from \d\.\d\d/.test(step4), `${mode}: walkthrough step 4 shows the truth check ('${step4.slice(0, 90)}…')`);
  await page.getByTestId('walkthrough').screenshot({ path: path.join(ART, `${mode}-demo-walkthrough-step4.png`) });
  // linked views: a Sankey band (and a histogram bin) filter the table
  await checkSankeyBand(page, mode, path.join(WORK, 'expected_demo.tsv'), nDemo, mode === 'cpu');
  // a rank bar's segment: the table lists the contigs its title counts
  const seg = page.getByTestId('rankbar-segment').filter({ has: page.locator('title', { hasText: /^genus: [1-9]\d* contigs changed/ }) });
  if (await seg.count()) {
    const segN = Number(/: (\d+) contigs/.exec(await seg.first().locator('title').textContent())[1]);
    await seg.first().click();
    const got = await waitCount(page, segN);
    check(got === segN, `${mode}: the rank bars' 'changed' at genus lists ${got} contigs (the bar: ${segN})`);
  }
  await checkComposition(page, mode, path.join(WORK, 'expected_demo.tsv'));
  await checkSunburstModes(page, mode, path.join(WORK, 'expected_demo.tsv'), nDemo);
  // a filter active, the sunburst coloured by score
  await page.getByTestId('sunburst-colour-score').check();
  await page.getByTestId('composition-segment').first().click();
  await checkAxe(page, mode, 'the demo\'s results with a filter chip');
  await clearChips(page);
  await page.getByTestId('sunburst-colour-taxon').check();

  // 2. the user's files through the inputs; Kraken2 labels first without their taxonomy
  const files = path.join(WORK, 'files');
  await page.getByTestId('fasta-input').setInputFiles(path.join(files, 'contigs.fna'));
  await page.getByTestId('abundance-input').setInputFiles(path.join(files, 'abundance.tsv'));
  await page.getByTestId('labels-input').setInputFiles(path.join(files, 'kraken2.out'));
  await page.getByTestId('model-input').setInputFiles([path.join(WORK, 'model', 'model.json'), path.join(WORK, 'model', 'model.safetensors')]);
  await page.getByTestId('run-button').click();
  const noTax = await waitStatus(page, 'error:');
  check(noTax.includes('kraken2.out') && noTax.includes('Taxonomy input'), `${mode}: Kraken2 labels without a taxonomy: '${noTax}'`);
  const dmp = ['nodes.dmp', 'names.dmp', 'merged.dmp'].map((f) => path.join(files, 'taxdump', f));
  await page.getByTestId('taxonomy-input').setInputFiles(dmp);
  await page.getByTestId('run-button').click();
  await waitDone(page, `${mode} files`);
  compareTsv(await download(page, 'export-tsv'), path.join(WORK, 'expected_files.tsv'), `${mode} files`, mode === 'cpu');
  compareExact(await download(page, 'export-cami'), path.join(WORK, 'expected_files.cami'), `${mode} files: CAMI (taxids from the taxonomy)`);
  compareExact(await download(page, 'export-kraken'), path.join(WORK, 'expected_files.kraken.txt'), `${mode} files: Kraken report`);
  compareExact(await download(page, 'export-kraken-bp'), path.join(WORK, 'expected_files.kraken.bp.txt'), `${mode} files: Kraken report by bp (taxdistill convert --by-bp)`);
  const nFiles = tsvRows(path.join(WORK, 'expected_files.tsv')).length;
  await checkSunburst(page, mode, path.join(WORK, 'expected_files.kraken.txt'), path.join(WORK, 'expected_files.tsv'), nFiles);
  const rows = await page.getByTestId('results-table').locator('.tr').count();
  check(rows > 0 && rows < 200, `${mode}: table renders only the rows in view (${rows} in the DOM)`);
  // the contigs too short for the student keep their label: marked in words and tinted
  const keptRows = fs.readFileSync(path.join(WORK, 'expected_files.tsv'), 'utf8').split('\n').filter((l) => l.endsWith('\tinput'));
  const keptId = keptRows[0]?.split('\t')[0] ?? '';
  await page.getByTestId('table-search').fill(keptId);
  const keptRow = page.getByTestId('results-table').locator('.tr', { has: page.locator('.td.id', { hasText: new RegExp(`^${keptId}$`) }) });
  await keptRow.first().waitFor({ timeout: 5000 }).catch(() => {});
  const keptSource = keptId && (await keptRow.count()) === 1 ? (await keptRow.locator('.td.source').textContent()).trim() : '';
  const tinted = keptSource !== '' && (await keptRow.evaluate((el) => el.classList.contains('row-input')));
  const summaryText = await page.getByTestId('run-summary').textContent();
  check(
    keptRows.length > 0 && keptSource === 'input' && tinted && summaryText.includes(`${keptRows.length} of which keep their input label`),
    `${mode}: ${keptRows.length} contigs keep their input label; ${keptId} shows source '${keptSource}'${tinted ? ', tinted' : ''}; summary: '${summaryText.slice(0, 100)}…'`,
  );
  await page.getByTestId('table-search').fill('contig_00001');
  const count = await page.locator('.table-tools .count').textContent();
  check(/^10 of \d+ contigs$/.test(count), `${mode}: table search 'contig_00001' → '${count}'`);
  await page.getByTestId('table-search').fill('');
  await page.getByTestId('results-table').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.waitForTimeout(200);
  await shots(page, `${mode}-files`);

  // 3. a bad file: a plain-words error naming the file, and the app stays usable
  await page.getByTestId('fasta-input').setInputFiles(path.join(WORK, 'bad.fna'));
  await page.getByTestId('run-button').click();
  const err = await waitStatus(page, 'error:');
  check(err.includes('bad.fna'), `${mode}: bad file error names the file: '${err}'`);
  await page.screenshot({ path: path.join(ART, `${mode}-error.png`) });
  await checkErrorCases(page, mode);
  await checkOutOfMemory(page, mode, url);
  // Cancel stops the worker; the next run starts a fresh one (a large input,
  // so that the run is still going when Cancel is clicked)
  const big = path.join(WORK, 'big');
  await page.getByTestId('fasta-input').setInputFiles(path.join(big, 'contigs.fna'));
  await page.getByTestId('abundance-input').setInputFiles(path.join(big, 'abundance.tsv'));
  await page.getByTestId('run-button').click();
  await page.getByTestId('cancel-button').click();
  const cancelled = await page.getByTestId('status').textContent();
  check(cancelled === 'cancelled', `${mode}: Cancel → '${cancelled}'`);
  await page.getByTestId('fasta-input').setInputFiles(path.join(files, 'contigs.fna'));
  await page.getByTestId('abundance-input').setInputFiles(path.join(files, 'abundance.tsv'));
  await page.getByTestId('run-button').click();
  await waitDone(page, `${mode} after the error and a cancel`);

  // 4. correction in the page: the demo's Kraken2 output, no model, so
  // `run` (graph teacher, students, the open-set rule) with the bundled
  // student's widths; then the model it exports, in the page and the CLI
  await page.goto(`${BASE}?backend=${mode}&min_length=1000&seed=3&alpha=0.5&temperature=2&teacher=none`);
  await page.getByTestId('demo-button').waitFor();
  const fromUrl = [];
  for (const k of ['min-length', 'seed', 'alpha', 'temperature']) fromUrl.push(await page.getByTestId(`option-${k}`).inputValue());
  const teacherBox = await page.getByTestId('option-teacher').isChecked();
  check(fromUrl.join(' ') === '1000 3 0.5 2' && !teacherBox, `${mode}: run's options from the URL query (${fromUrl.join(' ')}, teacher ${teacherBox})`);
  await page.goto(`${BASE}?backend=${mode}`);
  await page.getByTestId('demo-button').click();
  await waitDone(page, `${mode} demo again`);
  const simulated = await page.getByTestId('demo-simulated').textContent();
  check(simulated.includes('simulated') && simulated.includes('invented'), `${mode}: the demo says its taxa are simulated`);
  const tRun = Date.now();
  await page.getByTestId('demo-train').click();
  await page.waitForFunction(() => (document.querySelector('[data-testid=status]')?.textContent ?? '') !== 'done', null, { timeout: 10000 }).catch(() => {});
  await waitDone(page, `${mode} the demo trained in the page`);
  console.log(`  demo trained in the page: ${Date.now() - tRun} ms`);
  const label = (await page.getByTestId('run-button').textContent()).trim();
  check(label === 'Correct the labels', `${mode}: with no model the run button trains ('${label}')`);
  const expectedRun = path.join(WORK, 'expected_run');
  compareRun(await download(page, 'export-tsv'), path.join(expectedRun, 'predictions.tsv'), path.join(DEMO, 'truth.tsv'), `${mode} the demo trained in the page`);
  const candidates = await page.getByTestId('training-candidates').locator('tr').count();
  const kept = await page.getByTestId('training-kept').textContent();
  const lossPoints = (await page.getByTestId('loss-train').getAttribute('points')).trim().split(' ').length;
  check(candidates === 4 && kept.startsWith('Kept: ') && lossPoints > 1, `${mode}: the training panel lists 3 students (${kept.slice(0, 60)}…) and a loss curve of ${lossPoints} epochs`);
  const pointsOf = async (id) => ((await page.getByTestId(id).getAttribute('points')) ?? '').trim().split(' ').filter(Boolean).length;
  const exampleRows = await page.getByTestId('training-examples').locator('tr').count();
  check(exampleRows >= 2 && exampleRows <= 6, `${mode}: the training panel shows ${exampleRows - 1} example contigs (label, teacher, output)`);
  const [hierPoints, kdPoints] = [await pointsOf('loss-hier'), await pointsOf('loss-kd')];
  check(hierPoints === lossPoints && kdPoints === (kept.includes('distilled') ? lossPoints : 0), `${mode}: the loss curve splits into the hierarchical (${hierPoints} epochs) and distillation (${kdPoints}) terms`);
  await page.getByTestId('walkthrough-next').click();
  await page.getByTestId('walkthrough-next').click();
  const step3kept = await page.getByTestId('walkthrough-text').textContent();
  const keptName = kept.slice('Kept: '.length, kept.indexOf('. Held-out'));
  check(step3kept.includes(`here the ${keptName}`), `${mode}: the walkthrough names the student kept ('${keptName}')`);
  const summaryTsv = (await download(page, 'export-summary')).toString();
  check(summaryTsv.split('\n')[0] === fs.readFileSync(path.join(expectedRun, 'summary.tsv'), 'utf8').split('\n')[0] && summaryTsv.split('\n').length === 9, `${mode}: summary.tsv exported as run writes it`);
  await page.getByTestId('training').screenshot({ path: path.join(ART, `${mode}-training.png`) });
  const trainedTsv = await download(page, 'export-tsv');
  const softPath = path.join(WORK, `soft_labels_${mode}.safetensors`);
  fs.writeFileSync(softPath, await download(page, 'export-soft-labels'));

  const exported = path.join(WORK, `page_model_${mode}`);
  fs.mkdirSync(exported, { recursive: true });
  fs.writeFileSync(path.join(exported, 'model.json'), await download(page, 'export-model-json'));
  fs.writeFileSync(path.join(exported, 'model.safetensors'), await download(page, 'export-model-safetensors'));
  const cliOnPageModel = path.join(WORK, `page_model_${mode}.tsv`);
  execFileSync(process.env.BIN, ['-q', 'annotate', '--model', exported, '--contigs', path.join(DEMO, 'contigs.fna.gz'), '--abundance', path.join(DEMO, 'abundance.tsv'),
    '--labels', path.join(DEMO, 'kraken2.out.gz'), '--taxonomy', DEMO, '--out', cliOnPageModel]);
  // the user's own files replace the demo's: the model first, then the rest
  await page.getByTestId('model-input').setInputFiles([path.join(exported, 'model.json'), path.join(exported, 'model.safetensors')]);
  await page.getByTestId('fasta-input').setInputFiles(path.join(DEMO, 'contigs.fna.gz'));
  await page.getByTestId('abundance-input').setInputFiles(path.join(DEMO, 'abundance.tsv'));
  await page.getByTestId('labels-input').setInputFiles(path.join(DEMO, 'kraken2.out.gz'));
  await page.getByTestId('taxonomy-input').setInputFiles(['nodes.dmp', 'names.dmp', 'merged.dmp'].map((f) => path.join(DEMO, f)));
  await page.getByTestId('run-button').click();
  await waitDone(page, `${mode} annotate with the page's model`);
  compareTsv(await download(page, 'export-tsv'), cliOnPageModel, `${mode} the page's exported model, in the page and in the CLI`, mode === 'cpu');
  await page.getByTestId('model-clear').click();
  const cleared = (await page.getByTestId('run-button').textContent()).trim();
  check(cleared === 'Correct the labels', `${mode}: after 'Forget the model' the run button trains again ('${cleared}')`);
  if (mode === 'cpu') {
    // soft labels from `taxdistill teach` are the students' targets: given
    // back the ones the run exported (same files, no model; the file keeps
    // each contig's 32 likeliest taxa, as `run` writes it), the page
    // reproduces its predictions but for a few contigs
    await page.getByTestId('soft-labels-input').setInputFiles(softPath);
    await page.getByTestId('run-button').click();
    await waitDone(page, `${mode} run with soft labels given`);
    const lineagesOf = (b) => b.toString().split('\n').slice(1).filter(Boolean).map((l) => l.split('\t')[1]);
    const [again, before] = [lineagesOf(await download(page, 'export-tsv')), lineagesOf(trainedTsv)];
    const same = again.filter((l, i) => l === before[i]).length;
    const provenance = JSON.parse((await download(page, 'export-model-json')).toString()).provenance;
    check(again.length === before.length && same >= 0.99 * before.length && provenance.soft_labels === path.basename(softPath),
      `${mode}: the run's own soft labels, given back, are the targets (${same} of ${before.length} lineages as before; provenance names ${provenance.soft_labels})`);
  }

  // 5. offline: reload with the network off, served by the service worker
  if (mode === MODES[MODES.length - 1]) {
    await page.evaluate(() => navigator.serviceWorker.ready);
    await ctx.setOffline(true);
    await page.reload();
    await page.getByTestId('demo-button').click();
    await waitDone(page, `${mode} offline demo`);
    await ctx.setOffline(false);
  }

  check(refused.length === 0, `${mode}: all ${requests} requests were same-origin GETs of the build's static files${refused.length ? ': ' + refused.slice(0, 3).join(', ') : ''}`);
  check(consoleErrors.length === 0, `${mode}: no console error or uncaught exception${consoleErrors.length ? `: ${consoleErrors.slice(0, 5).join(' | ')}` : ''}`);
  await ctx.close();
  fs.rmSync(userDir, { recursive: true, force: true });
}

console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);

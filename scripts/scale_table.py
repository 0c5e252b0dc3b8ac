"""Scale table and log-log plot from bench_vs_taxometer.sh results (scripts/bench_scale.sh).

usage: scale_table.py results.jsonl [plot.svg]

Per method and size (mean over seeds): wall time, CPU time, peak RSS and F1 at genus/species on
the contigs >= 2000 bp; then, between consecutive sizes, how much time and memory grew against
n and n log n (a ratio at or under the n log n ratio is "no worse than n log n"). The plot
(matplotlib) shows wall time and peak RSS against contigs, both axes logarithmic.
"""
import math
import statistics as st
import sys
from collections import OrderedDict, defaultdict

from bench_results import latest_results

latest = latest_results(sys.argv[1])
by = defaultdict(list)
for (n, method, _), r in latest.items():
    by[(method, n)].append(r)
methods = [m for m in OrderedDict.fromkeys(k[0] for k in by) if m != "raw labels"]
sizes = sorted({k[1] for k in by})


def mean(xs):
    xs = [x for x in xs if x is not None]
    return st.mean(xs) if xs else None


def f1(r, rank):
    return next((m["f1"] for m in r["eval"]["ranks"] if m["rank"] == rank), None)


def stat(method, n, key):
    rs = by.get((method, n), [])
    if key == "rss_mib":
        return mean([r["rss_kib"] / 1024 if r.get("rss_kib") else None for r in rs])
    if key in ("genus", "species"):
        return mean([f1(r, key) for r in rs])
    return mean([r.get(key) for r in rs])


def fmt(x, f="{:.1f}"):
    return "–" if x is None else f.format(x)


print("| contigs | method | seeds | wall s | CPU s | peak RSS MiB | F1 genus | F1 species |")
print("|---|---|---|---|---|---|---|---|")
for n in sizes:
    for m in ["raw labels"] + methods:
        if (m, n) not in by:
            continue
        print(f"| {n:,} | {m} | {len(by[(m, n)])} | {fmt(stat(m, n, 'wall_s'))} | {fmt(stat(m, n, 'cpu_s'))} | "
              f"{fmt(stat(m, n, 'rss_mib'), '{:.0f}')} | {fmt(stat(m, n, 'genus'), '{:.3f}')} | "
              f"{fmt(stat(m, n, 'species'), '{:.3f}')} |")
print()
print("Growth between consecutive sizes (ratio of the larger to the smaller; n log n is the bound):\n")
print("| method | contigs | n ratio | n log n ratio | wall ratio | CPU ratio | peak RSS ratio |")
print("|---|---|---|---|---|---|---|")
for m in methods:
    have = [n for n in sizes if (m, n) in by]
    for a, b in zip(have, have[1:]):
        nlogn = (b * math.log(b)) / (a * math.log(a))

        def ratio(key):
            x, y = stat(m, a, key), stat(m, b, key)
            return None if not x or y is None else y / x
        print(f"| {m} | {a:,} → {b:,} | {b / a:.1f} | {nlogn:.1f} | {fmt(ratio('wall_s'), '{:.2f}')} | "
              f"{fmt(ratio('cpu_s'), '{:.2f}')} | {fmt(ratio('rss_mib'), '{:.2f}')} |")
print()

if len(sys.argv) > 2:
    import matplotlib
    matplotlib.use("svg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in [(axes[0], "wall_s", "wall time (s)"), (axes[1], "rss_mib", "peak RSS (MiB)")]:
        for m in methods:
            pts = [(n, stat(m, n, key)) for n in sizes if (m, n) in by and stat(m, n, key)]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=m)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("contigs")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("taxdistill on simulated communities (3 samples), 2 cores")
    fig.tight_layout()
    fig.savefig(sys.argv[2])

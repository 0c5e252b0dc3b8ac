"""Markdown tables (mean ± sd over seeds) from bench_vs_taxometer.sh results.jsonl.

usage: bench_table.py results.jsonl

A rerun of a method appends lines; the last line of each (size, method, seed) wins.
Speed-ups are per seed (vamb's time / the method's time, same seed and machine), then averaged.
"""
import statistics as st
import sys
from collections import OrderedDict, defaultdict

from bench_results import latest_results

RANKS = ["domain", "phylum", "class", "order", "family", "genus", "species"]
latest = latest_results(sys.argv[1])
groups = defaultdict(list)
order = []
for (n, method, _), r in latest.items():
    if (n, method) not in groups:
        order.append((n, method))
    groups[(n, method)].append(r)


def ms(xs, fmt="{:.3f}"):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    if len(xs) == 1:
        return fmt.format(xs[0])
    return (fmt + " ± " + fmt).format(st.mean(xs), st.stdev(xs))


def metric(r, rank, key, which="eval"):
    for m in r[which]["ranks"]:
        if m["rank"] == rank:
            return m[key]
    return None


def speedup(n, r, key):
    v = latest.get((n, "vamb taxometer", r["seed"]))
    if not v or not v.get(key) or not r.get(key):
        return None
    return v[key] / r[key]


def table(key, which, title):
    print(f"### {title}\n")
    head = "| contigs | method | seeds | wall s | CPU s | peak RSS MiB | speed-up vs vamb (wall / CPU) | "
    print(head + " | ".join(x for x in RANKS) + " |")
    print("|---|---|---|---|---|---|---|" + "---|" * len(RANKS))
    for k in sorted(order, key=lambda k: (k[0], order.index(k))):
        n, method = k
        rs = groups[k]
        wall = ms([r.get("wall_s") for r in rs], "{:.1f}")
        cpu = ms([r.get("cpu_s") for r in rs], "{:.1f}")
        rss = ms([r["rss_kib"] / 1024 if r.get("rss_kib") else None for r in rs], "{:.0f}")
        if method == "vamb taxometer" or method == "raw labels":
            sp = "–"
        else:
            sp = ms([speedup(n, r, "wall_s") for r in rs], "{:.1f}") + " / " + ms(
                [speedup(n, r, "cpu_s") for r in rs], "{:.1f}")
        cells = [ms([metric(r, x, key, which) for r in rs]) for x in RANKS]
        print(f"| {n} | {method} | {len(rs)} | {wall} | {cpu} | {rss} | {sp} | " + " | ".join(cells) + " |")
    print()


table("f1", "eval", "F1 per rank, contigs >= 2000 bp (what vamb taxometer and the student annotate)")
table("precision", "eval", "Precision per rank, contigs >= 2000 bp")
table("f1", "eval_all", "F1 per rank, all contigs (contigs < 2000 bp count as unannotated for vamb and the student)")

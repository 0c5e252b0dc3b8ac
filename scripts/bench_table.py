"""Markdown table (mean ± sd over seeds) from bench_vs_taxometer.sh results.jsonl."""
import json
import statistics as st
import sys
from collections import defaultdict

RANKS = ["domain", "phylum", "class", "order", "family", "genus", "species"]
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
groups = defaultdict(list)
order = []
for r in rows:
    key = (r["n"], r["method"])
    if key not in groups:
        order.append(key)
    groups[key].append(r)


def ms(xs, fmt="{:.3f}"):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    if len(xs) == 1:
        return fmt.format(xs[0])
    return (fmt + " ± " + fmt).format(st.mean(xs), st.stdev(xs))


def f1(r, rank):
    for m in r["eval"]["ranks"]:
        if m["rank"] == rank:
            return m["f1"]
    return None


print("| contigs | method | seeds | wall s | peak RSS MiB | " + " | ".join(f"F1 {x}" for x in RANKS) + " |")
print("|---|---|---|---|---|" + "---|" * len(RANKS))
for key in sorted(order, key=lambda k: (k[0], order.index(k))):
    rs = groups[key]
    wall = ms([r.get("wall_s") for r in rs], "{:.1f}")
    rss = ms([r["rss_kib"] / 1024 if r.get("rss_kib") else None for r in rs], "{:.0f}")
    cells = [ms([f1(r, x) for r in rs]) for x in RANKS]
    print(f"| {key[0]} | {key[1]} | {len(rs)} | {wall} | {rss} | " + " | ".join(cells) + " |")

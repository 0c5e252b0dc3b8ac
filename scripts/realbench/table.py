"""Markdown tables (mean ± sd over splits) from run.sh's results.jsonl.

usage: table.py results.jsonl

One row per labeler × samples × method (× tag, when results of several binaries are in the file);
the last line of each (tag, method, split, labeler, samples) wins.
"""
import json
import statistics as st
import sys
from collections import OrderedDict, defaultdict

RANKS = ["domain", "phylum", "class", "order", "family", "genus", "species"]
latest = OrderedDict()
for line in open(sys.argv[1]):
    if line.strip():
        r = json.loads(line)
        latest[(r.get("tag", ""), r["method"], r["split"], r["labeler"], r["samples"])] = r
tags = sorted({k[0] for k in latest})
groups = defaultdict(list)
for (tag, method, split, lab, S), r in latest.items():
    groups[(lab, S, method, tag)].append(r)
MORDER = {"raw": 0, "vamb": 1, "run": 2}


def ms(xs, fmt="{:.3f}"):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    if len(xs) == 1:
        return fmt.format(xs[0])
    return (fmt + " ± " + fmt).format(st.mean(xs), st.stdev(xs))


def metric(r, which, rank, key):
    for m in r[which]["ranks"]:
        if m["rank"] == rank:
            return m[key]
    return None


def table(which, key, title):
    print(f"### {title}\n")
    tagcol = len(tags) > 1
    print("| labeler | samples | method | " + ("tag | " if tagcol else "") + "splits | wall s | "
          + " | ".join(RANKS) + " |")
    print("|---|---|---|" + ("---|" if tagcol else "") + "---|---|" + "---|" * len(RANKS))
    for k in sorted(groups, key=lambda k: (k[0], k[1], MORDER.get(k[2], 9), k[2], k[3])):
        lab, S, method, tag = k
        rs = groups[k]
        cells = [ms([metric(r, which, x, key) for r in rs]) for x in RANKS]
        print(f"| {lab} | {S} | {method} | " + (f"{tag} | " if tagcol else "") + f"{len(rs)} | "
              f"{ms([r.get('wall_s') for r in rs], '{:.0f}')} | " + " | ".join(cells) + " |")
    print()


table("eval", "f1", "F1 per rank, all contigs (>= 1000 bp), mean ± sd over splits")
table("eval_2k", "f1", "F1 per rank, contigs >= 2000 bp")
table("eval", "precision", "Precision per rank, all contigs")

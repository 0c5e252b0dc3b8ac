"""Reading bench_vs_taxometer.sh's results.jsonl (shared by bench_table.py and scale_table.py)."""
import json
from collections import OrderedDict


def latest_results(path):
    """The last line of each (size, method, seed), in first-seen order: a rerun appends lines."""
    latest = OrderedDict()
    for line in open(path):
        if line.strip():
            r = json.loads(line)
            latest[(r["n"], r["method"], r["seed"])] = r
    return latest

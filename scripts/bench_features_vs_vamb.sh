#!/usr/bin/env bash
# Feature-extraction throughput: TaxDistill vs vamb's own feature code, same FASTA, same run.
#
#   scripts/bench_features_vs_vamb.sh [FASTA]
#
# FASTA defaults to the synthetic ~200 Mbp file the Rust bench writes under
# $CARGO_TARGET_DIR/bench-data/. Needs the vamb venv of scripts/golden_features.py
# (/work/venvs/vamb, `pip install vamb==5.*`). Prints Markdown tables; the numbers
# in docs/features.md come from this script.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
VENV=${VAMB_VENV:-/work/venvs/vamb}
FASTA=${1:-$TARGET/bench-data/synthetic_200mbp.fna}

echo "## machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "## TaxDistill (cargo bench -p taxdistill-core --bench features)"
TAXDISTILL_BENCH_FASTA=$( [ -e "$FASTA" ] && echo "$FASTA" || true ) \
  cargo bench -q -p taxdistill-core --bench features 2>/dev/null | grep -v '^$'
[ -e "$FASTA" ] || { echo "no FASTA at $FASTA" >&2; exit 1; }

echo
echo "## vamb $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("vamb"))') (Composition.from_file: vambcore 4-mer counting + numpy projection, 1 thread)"
"$VENV/bin/python" - "$FASTA" <<'PY'
import sys, time, resource
import vamb
path = sys.argv[1]
best = float("inf")
for _ in range(2):
    t = time.perf_counter()
    with vamb.vambtools.Reader(path) as fh:
        comp = vamb.parsecontigs.Composition.from_file(fh, path, minlength=4)
    best = min(best, time.perf_counter() - t)
mbp = comp.count_bases() / 1e6
print(f"| vamb Composition.from_file, plain FASTA | {best:.2f} | {mbp / best:.0f} |")
print(f"peak resident memory (incl. torch import): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
PY

echo
echo "## decompression alone"
t0=$(date +%s.%N); zcat "$FASTA.gz" > /dev/null; t1=$(date +%s.%N)
python3 -c "import os; s=$t1-$t0; print(f'| zcat > /dev/null | {s:.2f} | {os.path.getsize(\"$FASTA\")/1e6/s:.0f} (file MB/s) |')"

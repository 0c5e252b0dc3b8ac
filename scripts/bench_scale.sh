#!/usr/bin/env bash
# Scale benchmark (issue #15): simulated communities of 10k, 100k and 1M contigs (3 samples,
# Kraken2-like realistic labels), `run` and `distill`+`annotate` (and `annotate` alone), with
# vamb taxometer in the same script up to VAMB_MAX contigs; wall time, CPU time and peak RSS
# from GNU time. Writes OUTDIR/results.jsonl, OUTDIR/scale.md (table and growth ratios) and
# OUTDIR/scale.svg (log-log plot; copy it to docs/scale.svg to publish).
#
# Usage: scripts/bench_scale.sh [OUTDIR]     (default /work/scale)
#   env SIZES="10000 100000 1000000"  SEEDS=1  VAMB_MAX=100000  PROFILE=kraken2  THREADS=2
#       TD=path/to/taxdistill  VAMB_VENV=/work/venvs/vamb  PLOT_PY=python with matplotlib
# Needs what scripts/bench_vs_taxometer.sh needs; matplotlib only for the plot.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-/work/scale}"
export SIZES="${SIZES:-10000 100000 1000000}" SEEDS="${SEEDS:-1}" VAMB_MAX="${VAMB_MAX:-100000}"
export PROFILE="${PROFILE:-kraken2}" METHODS="${METHODS:-raw vamb student distill}"
PLOT_PY="${PLOT_PY:-${VAMB_VENV:-/work/venvs/vamb}/bin/python}"
bash "$here/bench_vs_taxometer.sh" "$OUT"
if "$PLOT_PY" -c 'import matplotlib' 2>/dev/null; then
  "$PLOT_PY" "$here/scale_table.py" "$OUT/results.jsonl" "$OUT/scale.svg" >"$OUT/scale.md"
else
  echo "bench_scale.sh: no matplotlib in $PLOT_PY: table only" >&2
  python3 "$here/scale_table.py" "$OUT/results.jsonl" >"$OUT/scale.md"
fi
cat "$OUT/scale.md"

#!/usr/bin/env bash
# Feature-extraction throughput: TaxDistill vs vamb's own feature code, same FASTA, same run.
#
#   scripts/bench_features_vs_vamb.sh            # synthetic 100 and 400 Mbp assemblies
#   TAXDISTILL_BENCH_FASTA=my.fna scripts/bench_features_vs_vamb.sh
#
# Runs `cargo bench -p taxdistill-core --bench features` under the machine's heavy
# lock with both cores: `taxdistill features`' reader (plain and .gz), inflating the
# .gz alone (flate2) and with zcat, and vamb 5's `Composition.from_file` from the
# venv at $VAMB_VENV (default /work/venvs/vamb; `pip install vamb==5.*`), each in a
# fresh process (peak RSS per run). Prints the Markdown table of BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-2}
cargo bench -p taxdistill-core --bench features --no-run
LOCK=${TD_HEAVY_LOCK:-/tmp/td-heavy.lock}
echo "## machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
flock "$LOCK" cargo bench -q -p taxdistill-core --bench features

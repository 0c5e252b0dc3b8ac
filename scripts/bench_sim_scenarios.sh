#!/usr/bin/env bash
# F1 of `taxdistill run` on the simulator's scenarios, beside the raw labels:
# the realistic label model (the default; what the README demo runs) and the
# original independent-noise model, each with Kraken2- and MMseqs2-like
# labels (3,000 contigs, 3 samples, seed 42 unless SEEDS says otherwise).
#
#   bash scripts/bench_sim_scenarios.sh [OUT_DIR]     (default /tmp/td-sim-scenarios)
#   env TD=path/to/taxdistill  SEEDS="42"  MODELS="realistic independent"  PROFILES="kraken2 mmseqs2"
#       MINLEN=2000 (run's default --min-length; F1 is printed on all contigs and on contigs >= MINLEN)
# Prints one table per scenario (eval --baseline) and writes OUT/SCENARIO/eval_{all,min}.json.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-/tmp/td-sim-scenarios}"
TD="${TD:-$ROOT/target/release/taxdistill}"
SEEDS="${SEEDS:-42}"
MODELS="${MODELS:-realistic independent}"
PROFILES="${PROFILES:-kraken2 mmseqs2}"
MINLEN="${MINLEN:-2000}"
[ -x "$TD" ] || { echo "bench_sim_scenarios.sh: error: no taxdistill binary at $TD (cargo build --release, or set TD=)" >&2; exit 1; }

for model in $MODELS; do
  for profile in $PROFILES; do
    for seed in $SEEDS; do
      s="$OUT/$model-$profile-$seed"
      rm -rf "$s"
      "$TD" -q simulate --out "$s/data" --label-model "$model" --profile "$profile" --seed "$seed"
      "$TD" -q run --contigs "$s/data/contigs.fna.gz" --abundance "$s/data/abundance.tsv" \
        --labels "$s/data/labels.tsv" --min-length "$MINLEN" --out "$s/out" 2>"$s/run.log"
      echo "== $model label model, $profile-like labels, seed $seed"
      "$TD" -q eval --truth "$s/data/truth.tsv" --baseline "$s/data/labels.tsv" \
        --pred "$s/out/predictions.tsv" --contigs "$s/data/contigs.fna.gz" --min-length "$MINLEN"
      "$TD" -q eval --truth "$s/data/truth.tsv" --pred "$s/out/predictions.tsv" --json >"$s/eval_all.json"
      "$TD" -q eval --truth "$s/data/truth.tsv" --pred "$s/out/predictions.tsv" \
        --contigs "$s/data/contigs.fna.gz" --min-length "$MINLEN" --json >"$s/eval_min.json"
    done
  done
done

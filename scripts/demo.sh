#!/usr/bin/env bash
# The main job on embedded defaults: simulate a community with known truth,
# run the whole pipeline (features → graph teacher → distilled student →
# annotate) on its noisy labels, and compare raw labels and refined labels
# with the truth.
#
#   bash scripts/demo.sh [OUT_DIR]      (default: taxdistill-demo)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-taxdistill-demo}"
cargo build --release -q -p taxdistill --manifest-path "$ROOT/Cargo.toml"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/taxdistill"

"$BIN" simulate --out "$OUT/data"
"$BIN" run --contigs "$OUT/data/contigs.fna.gz" --abundance "$OUT/data/abundance.tsv" \
  --labels "$OUT/data/labels.tsv" --out "$OUT/out"
echo
echo "== raw noisy labels vs truth"
"$BIN" eval --truth "$OUT/data/truth.tsv" --pred "$OUT/data/labels.tsv"
echo
echo "== TaxDistill predictions vs truth"
"$BIN" eval --truth "$OUT/data/truth.tsv" --pred "$OUT/out/predictions.tsv"
echo
echo "outputs: $OUT/out (predictions.tsv, predictions.cami, report.kraken.txt, model/, soft_labels.safetensors, summary.tsv)"

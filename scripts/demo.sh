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

MIN_LENGTH=2000  # run's default --min-length

"$BIN" simulate --out "$OUT/data"
"$BIN" run --contigs "$OUT/data/contigs.fna.gz" --abundance "$OUT/data/abundance.tsv" \
  --labels "$OUT/data/labels.tsv" --min-length "$MIN_LENGTH" --out "$OUT/out"
echo
echo "== F1 against the simulated truth: the classifier's raw labels vs TaxDistill"
echo "   (all contigs: every contig keeps the best label we have, shorter ones their input label;"
echo "    contigs >= $MIN_LENGTH bp: the ones the student annotates, the like-for-like comparison with Taxometer)"
"$BIN" eval --truth "$OUT/data/truth.tsv" --baseline "$OUT/data/labels.tsv" \
  --pred "$OUT/out/predictions.tsv" --contigs "$OUT/data/contigs.fna.gz" --min-length "$MIN_LENGTH"
echo
echo "outputs: $OUT/out"
echo "  predictions.tsv (Taxometer TSV; column 'source': student, or input for contigs kept as labelled),"
echo "  predictions.cami, report.kraken.txt, summary.tsv (what changed per rank), model/, soft_labels.safetensors"
echo "next: your own files: $BIN run --contigs contigs.fna --abundance abundance.tsv --labels kraken2.out --taxonomy taxdump/ --out out/"
echo "      or in the browser, nothing uploaded: cargo xtask web && $BIN serve, then open http://127.0.0.1:8080"

#!/usr/bin/env bash
# Runs the Snakemake workflow locally (--cores 2) on the tiny GenomeOcean
# fixture and a small simulated community, then checks the outputs.
#
# Usage: native/workflow/ci_test.sh [WORKDIR]
# Env:   TAXDISTILL (binary; default: build it with cargo), SNAKEMAKE_VENV
#        (default /work/venvs/snakemake or $WORKDIR/venv).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
VENV="${SNAKEMAKE_VENV:-$WORK/venv}"

if [ ! -x "$VENV/bin/snakemake" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q snakemake
fi

if [ -z "${TAXDISTILL:-}" ]; then
  (cd "$ROOT" && cargo build -q -p taxdistill)
  TAXDISTILL="${CARGO_TARGET_DIR:-$ROOT/target}/debug/taxdistill"
fi

"$TAXDISTILL" simulate --out "$WORK/community" ${SIMULATE_ARGS:-}
C="$WORK/community"
CONTIGS="$(ls "$C"/contigs.fna* | head -1)"
LABELS="$C/labels.tsv"
ABUND=""
[ -f "$C/abundance.tsv" ] && ABUND="$C/abundance.tsv"

cd "$WORK"
"$VENV/bin/snakemake" -s "$ROOT/native/workflow/Snakefile" \
  --profile "$ROOT/native/workflow/profiles/local" --cores 2 \
  --config contigs="$CONTIGS" labels="$LABELS" abundance="$ABUND" \
           model="$ROOT/tests/data/tiny-genomeocean" n_shards=2 outdir="$WORK/results" \
           taxdistill="$TAXDISTILL" ${WORKFLOW_CONFIG:-}

R="$WORK/results"
n_contigs=$(grep -c '^>' <(if [[ "$CONTIGS" == *.gz ]]; then zcat "$CONTIGS"; else cat "$CONTIGS"; fi))
for f in embed/shard1/embeddings.safetensors embed/shard2/embeddings.safetensors \
         embeddings/embeddings.safetensors embeddings/contigs.txt soft_labels.safetensors predictions.tsv; do
  [ -s "$R/$f" ] || { echo "FAIL: $R/$f missing or empty" >&2; exit 1; }
done
n_rows=$(wc -l < "$R/embeddings/contigs.txt")
[ "$n_rows" -eq "$n_contigs" ] || { echo "FAIL: $n_rows embedding rows for $n_contigs contigs" >&2; exit 1; }
diff <(grep '^>' <(if [[ "$CONTIGS" == *.gz ]]; then zcat "$CONTIGS"; else cat "$CONTIGS"; fi) | sed 's/^>//; s/[[:space:]].*//') \
     "$R/embeddings/contigs.txt" > /dev/null || { echo "FAIL: merged ids are not in FASTA order" >&2; exit 1; }
n_pred=$(($(wc -l < "$R/predictions.tsv") - 1))
[ "$n_pred" -eq "$n_contigs" ] || { echo "FAIL: $n_pred predictions for $n_contigs contigs" >&2; exit 1; }
ls "$R"/embed/*.checkpoint 2>/dev/null && { echo "FAIL: leftover checkpoints" >&2; exit 1; }
echo "OK: workflow produced $n_contigs embeddings (2 shards merged) and $n_pred predictions in $R"

#!/usr/bin/env bash
# Runs the Snakemake workflow locally (--cores 2) on the tiny GenomeOcean
# fixture and a small simulated community, then checks the outputs.
# `cargo xtask test` (CI) runs it with the debug binary the tests built.
#
# Usage: native/workflow/ci_test.sh [WORKDIR]
# Env:   TAXDISTILL       the binary (default: build target/debug/taxdistill with cargo)
#        SNAKEMAKE_VENV   venv with Snakemake (default: <target>/venvs/snakemake,
#                         created here with pip from PyPI when missing)
#        SIMULATE_ARGS    flags of `taxdistill simulate` (default: a tiny community)
#        WORKFLOW_CONFIG  extra `--config key=value` pairs
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
if [ -n "${1:-}" ]; then
  WORK="$1"
  mkdir -p "$WORK"
else
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
fi
WORK="$(cd "$WORK" && pwd)"
VENV="${SNAKEMAKE_VENV:-$TARGET/venvs/snakemake}"
# the version this script was last proven with; newer majors may change the CLI
SNAKEMAKE_PIN="${SNAKEMAKE_PIN:-snakemake==9.27.1}"
SIMULATE_ARGS="${SIMULATE_ARGS:---genomes 8 --contigs 160 --samples 2 --mean-length 3000 --sd-length 1500}"
start=$SECONDS

if [ ! -x "$VENV/bin/snakemake" ]; then
  echo "== creating $VENV ($SNAKEMAKE_PIN from PyPI)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "$SNAKEMAKE_PIN"
fi
echo "== $("$VENV/bin/snakemake" --version | sed 's/^/snakemake /')"

if [ -z "${TAXDISTILL:-}" ]; then
  (cd "$ROOT" && cargo build -q -p taxdistill)
  TAXDISTILL="$TARGET/debug/taxdistill"
fi
[ -x "$TAXDISTILL" ] || { echo "FAIL: $TAXDISTILL is not an executable" >&2; exit 1; }

# shellcheck disable=SC2086  # SIMULATE_ARGS is a list of flags
"$TAXDISTILL" simulate --out "$WORK/community" $SIMULATE_ARGS
C="$WORK/community"
CONTIGS="$(ls "$C"/contigs.fna* | head -1)"
LABELS="$C/labels.tsv"
ABUND=""
[ -f "$C/abundance.tsv" ] && ABUND="$C/abundance.tsv"

cd "$WORK"
# gpus_per_shard=0: the CI machine has no GPU, so both shards run at once on the 2 cores
# shellcheck disable=SC2086
"$VENV/bin/snakemake" -s "$ROOT/native/workflow/Snakefile" \
  --profile "$ROOT/native/workflow/profiles/local" --cores 2 --quiet rules \
  --config contigs="$CONTIGS" labels="$LABELS" abundance="$ABUND" \
           model="$ROOT/tests/data/tiny-genomeocean" n_shards=2 gpus_per_shard=0 \
           outdir="$WORK/results" taxdistill="$TAXDISTILL" \
           distill_args="--epochs 20" ${WORKFLOW_CONFIG:-}

R="$WORK/results"
fasta() { if [[ "$CONTIGS" == *.gz ]]; then zcat "$CONTIGS"; else cat "$CONTIGS"; fi; }
n_contigs=$(fasta | grep -c '^>')
for f in embed/shard1/embeddings.safetensors embed/shard2/embeddings.safetensors \
         embeddings/embeddings.safetensors embeddings/contigs.txt soft_labels.safetensors predictions.tsv; do
  [ -s "$R/$f" ] || { echo "FAIL: $R/$f missing or empty" >&2; exit 1; }
done
n1=$(wc -l < "$R/embed/shard1/contigs.txt")
n2=$(wc -l < "$R/embed/shard2/contigs.txt")
[ $((n1 + n2)) -eq "$n_contigs" ] && [ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] \
  || { echo "FAIL: shards hold $n1 + $n2 rows for $n_contigs contigs" >&2; exit 1; }
n_rows=$(wc -l < "$R/embeddings/contigs.txt")
[ "$n_rows" -eq "$n_contigs" ] || { echo "FAIL: $n_rows embedding rows for $n_contigs contigs" >&2; exit 1; }
diff <(fasta | grep '^>' | sed 's/^>//; s/[[:space:]].*//') "$R/embeddings/contigs.txt" > /dev/null \
  || { echo "FAIL: merged ids are not in FASTA order" >&2; exit 1; }
n_pred=$(($(wc -l < "$R/predictions.tsv") - 1))
[ "$n_pred" -eq "$n_contigs" ] || { echo "FAIL: $n_pred predictions for $n_contigs contigs" >&2; exit 1; }
if ls "$R"/embed/*.checkpoint >/dev/null 2>&1; then
  echo "FAIL: leftover checkpoints" >&2; exit 1
fi
# a second run has nothing to do: every output is up to date
# shellcheck disable=SC2086
"$VENV/bin/snakemake" -s "$ROOT/native/workflow/Snakefile" \
  --profile "$ROOT/native/workflow/profiles/local" --cores 2 --dry-run \
  --config contigs="$CONTIGS" labels="$LABELS" abundance="$ABUND" \
           model="$ROOT/tests/data/tiny-genomeocean" n_shards=2 gpus_per_shard=0 \
           outdir="$WORK/results" taxdistill="$TAXDISTILL" \
           distill_args="--epochs 20" ${WORKFLOW_CONFIG:-} > "$WORK/dryrun.txt"
if ! grep -q 'Nothing to be done' "$WORK/dryrun.txt"; then
  echo "FAIL: a second run would redo jobs:" >&2; cat "$WORK/dryrun.txt" >&2; exit 1
fi
echo "OK: workflow produced $n_contigs embeddings ($n1 + $n2 in 2 shards, merged) and $n_pred predictions in $((SECONDS - start)) s"

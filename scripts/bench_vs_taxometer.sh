#!/usr/bin/env bash
# Peer benchmark: vamb taxometer vs the TaxDistill student (without and with
# teacher soft labels) on simulated communities with realistic label noise.
#
# Usage: scripts/bench_vs_taxometer.sh [OUTDIR]
#   env SIZES="5000 50000"  SEEDS="1 2 3"  PROFILE=mmseqs2  THREADS=2
#       TD=path/to/taxdistill  VAMB_VENV=/work/venvs/vamb
# Needs: a built taxdistill binary, vamb 5.x in $VAMB_VENV
#   (python3.11 -m venv /work/venvs/vamb && /work/venvs/vamb/bin/pip install vamb),
#   GNU time (/usr/bin/time -v) for peak RSS.
# Writes OUTDIR/results.jsonl (one line per method × size × seed) and
# OUTDIR/table.md (mean ± sd over seeds), made by scripts/bench_table.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-/tmp/taxdistill-bench}"
SIZES="${SIZES:-5000 50000}"
SEEDS="${SEEDS:-1 2 3}"
PROFILE="${PROFILE:-mmseqs2}"
THREADS="${THREADS:-2}"
TD="${TD:-$here/../target/release/taxdistill}"
VAMB_VENV="${VAMB_VENV:-/work/venvs/vamb}"
PY="$VAMB_VENV/bin/python"
export RAYON_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"
mkdir -p "$OUT"
RES="$OUT/results.jsonl"

# runs a command under GNU time; appends wall seconds and peak RSS (KiB) to $OUT/timing.tmp
timed() {
  local log="$1"; shift
  /usr/bin/time -v "$@" >"$log.out" 2>"$log.err" || { echo "FAILED: $*" >&2; tail -20 "$log.err" >&2; return 1; }
  "$PY" "$here/bench_time.py" "$log.err"
}

for n in $SIZES; do
  for seed in $SEEDS; do
    d="$OUT/n$n-s$seed"
    mkdir -p "$d"
    genomes=$(( n / 60 )); [ "$genomes" -lt 40 ] && genomes=40
    if [ ! -f "$d/sim/truth.tsv" ]; then
      "$TD" -q simulate --contigs "$n" --genomes "$genomes" --samples 3 --profile "$PROFILE" \
        --seed "$seed" --out "$d/sim"
    fi
    sim="$d/sim"
    # labels as Taxometer TSV (vamb's input format), every contig >= 2000 bp listed
    "$TD" -q convert --labels "$sim/labels.tsv" --to taxometer --out "$d/labels.taxometer.tsv"
    "$PY" "$here/bench_vamb_inputs.py" "$sim/contigs.fna.gz" "$d/labels.taxometer.tsv" "$sim/abundance.tsv" \
      "$d/vamb_taxonomy.tsv" "$d/vamb_abundance.tsv"

    # raw labels
    "$TD" -q eval --truth "$sim/truth.tsv" --pred "$d/labels.taxometer.tsv" --json >"$d/eval_labels.json"
    echo "{\"method\":\"raw labels\",\"n\":$n,\"seed\":$seed,\"wall_s\":null,\"rss_kib\":null,\"eval\":$(cat "$d/eval_labels.json")}" >>"$RES"

    # vamb taxometer
    rm -rf "$d/vamb"
    t=$(timed "$d/vamb" "$VAMB_VENV/bin/vamb" taxometer --outdir "$d/vamb" --fasta "$sim/contigs.fna.gz" \
        --abundance_tsv "$d/vamb_abundance.tsv" --taxonomy "$d/vamb_taxonomy.tsv" -p "$THREADS" --seed "$seed")
    "$TD" -q eval --truth "$sim/truth.tsv" --pred "$d/vamb/results_taxometer.tsv" --json >"$d/eval_vamb.json"
    echo "{\"method\":\"vamb taxometer\",\"n\":$n,\"seed\":$seed,$t,\"eval\":$(cat "$d/eval_vamb.json")}" >>"$RES"

    # student without soft labels: distill + annotate
    t1=$(timed "$d/distill" "$TD" -q distill --contigs "$sim/contigs.fna.gz" --abundance "$sim/abundance.tsv" \
        --labels "$sim/labels.tsv" --seed "$seed" --out "$d/student")
    t2=$(timed "$d/annotate" "$TD" -q annotate --model "$d/student" --contigs "$sim/contigs.fna.gz" \
        --abundance "$sim/abundance.tsv" --out "$d/student.tsv")
    "$TD" -q eval --truth "$sim/truth.tsv" --pred "$d/student.tsv" --json >"$d/eval_student.json"
    t=$("$PY" "$here/bench_time.py" --sum "$t1" "$t2")
    echo "{\"method\":\"student (no soft labels)\",\"n\":$n,\"seed\":$seed,$t,\"eval\":$(cat "$d/eval_student.json")}" >>"$RES"

    # student with the graph teacher's soft labels: the whole `run`
    t=$(timed "$d/run" "$TD" -q run --contigs "$sim/contigs.fna.gz" --abundance "$sim/abundance.tsv" \
        --labels "$sim/labels.tsv" --seed "$seed" --out "$d/run")
    "$TD" -q eval --truth "$sim/truth.tsv" --pred "$d/run/predictions.tsv" --json >"$d/eval_run.json"
    echo "{\"method\":\"student + graph teacher (run)\",\"n\":$n,\"seed\":$seed,$t,\"eval\":$(cat "$d/eval_run.json")}" >>"$RES"
  done
done
"$PY" "$here/bench_table.py" "$RES" >"$OUT/table.md"
cat "$OUT/table.md"

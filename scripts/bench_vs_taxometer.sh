#!/usr/bin/env bash
# Peer benchmark: vamb taxometer vs the TaxDistill student (without and with
# teacher soft labels) on simulated communities with realistic label noise.
#
# Usage: scripts/bench_vs_taxometer.sh [OUTDIR]
#   env SIZES="5000 50000"  SEEDS="1 2 3"  PROFILE=mmseqs2  THREADS=2
#       METHODS="raw vamb student distill"  (any subset; reruns append)
#       TD=path/to/taxdistill  VAMB_VENV=/work/venvs/vamb
#       VAMB_MAX=200000 (vamb is skipped above this many contigs)   PY=python for the helpers
# Needs: a release taxdistill binary, vamb 5.x in $VAMB_VENV
#   (python3 -m venv /work/venvs/vamb && /work/venvs/vamb/bin/pip install vamb==5.0.4),
#   GNU time (/usr/bin/time -v) for wall time, CPU time and peak RSS.
# Every method is scored with `taxdistill eval --min-length 2000` on the contigs
# of at least 2000 bp (the ones vamb taxometer and our student annotate, both at
# their default minimum length), and also on all contigs (eval_all_*.json).
# Writes OUTDIR/results.jsonl (one line per method x size x seed) and
# OUTDIR/table.md (mean +- sd over seeds), made by scripts/bench_table.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-/tmp/taxdistill-bench}"
SIZES="${SIZES:-5000 50000}"
SEEDS="${SEEDS:-1 2 3}"
PROFILE="${PROFILE:-mmseqs2}"
THREADS="${THREADS:-2}"
METHODS="${METHODS:-raw vamb student distill}"
TD="${TD:-$here/../target/release/taxdistill}"
VAMB_VENV="${VAMB_VENV:-/work/venvs/vamb}"
VAMB_MAX="${VAMB_MAX:-200000}"
PY="${PY:-$VAMB_VENV/bin/python}"
export RAYON_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"
mkdir -p "$OUT"
RES="$OUT/results.jsonl"

want() { [[ " $METHODS " == *" $1 "* ]]; }

# runs a command under GNU time; prints wall seconds, CPU seconds and peak RSS (KiB)
timed() {
  local log="$1"; shift
  /usr/bin/time -v "$@" >"$log.out" 2>"$log.err" || { echo "FAILED: $*" >&2; tail -20 "$log.err" >&2; return 1; }
  "$PY" "$here/bench_time.py" "$log.err"
}

# eval NAME PRED: scores PRED on the contigs >= 2000 bp (eval_NAME.json) and on all (eval_all_NAME.json)
score() {
  "$TD" -q eval --truth "$sim/truth.tsv" --pred "$2" --contigs "$sim/contigs.fna.gz" --min-length 2000 --json >"$d/eval_$1.json"
  "$TD" -q eval --truth "$sim/truth.tsv" --pred "$2" --json >"$d/eval_all_$1.json"
}

record() { # method timing-json-fragment eval-name
  echo "{\"method\":\"$1\",\"n\":$n,\"seed\":$seed,\"profile\":\"$PROFILE\",$2,\"eval\":$(cat "$d/eval_$3.json"),\"eval_all\":$(cat "$d/eval_all_$3.json")}" >>"$RES"
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

    if want raw; then
      score labels "$d/labels.taxometer.tsv"
      record "raw labels" '"wall_s":null,"cpu_s":null,"rss_kib":null' labels
    fi

    if want vamb && [ "$n" -le "$VAMB_MAX" ]; then
      "$PY" "$here/bench_vamb_inputs.py" "$sim/contigs.fna.gz" "$d/labels.taxometer.tsv" "$sim/abundance.tsv" \
        "$d/vamb_taxonomy.tsv" "$d/vamb_abundance.tsv"
      rm -rf "$d/vamb"
      t=$(timed "$d/vamb" "$VAMB_VENV/bin/vamb" taxometer --outdir "$d/vamb" --fasta "$sim/contigs.fna.gz" \
          --abundance_tsv "$d/vamb_abundance.tsv" --taxonomy "$d/vamb_taxonomy.tsv" -p "$THREADS" --seed "$seed")
      score vamb "$d/vamb/results_taxometer.tsv"
      record "vamb taxometer" "$t" vamb
    fi

    if want student; then
      # student without soft labels: distill + annotate
      t1=$(timed "$d/distill" "$TD" -q distill --contigs "$sim/contigs.fna.gz" --abundance "$sim/abundance.tsv" \
          --labels "$sim/labels.tsv" --seed "$seed" --out "$d/student")
      t2=$(timed "$d/annotate" "$TD" -q annotate --model "$d/student" --contigs "$sim/contigs.fna.gz" \
          --abundance "$sim/abundance.tsv" --out "$d/student.tsv")
      score student "$d/student.tsv"
      record "student (no soft labels)" "$("$PY" "$here/bench_time.py" --sum "$t1" "$t2")" student
      record "annotate (student)" "$t2" student
    fi

    if want distill; then
      # student with the graph teacher's soft labels: the whole `run`
      t=$(timed "$d/run" "$TD" -q run --contigs "$sim/contigs.fna.gz" --abundance "$sim/abundance.tsv" \
          --labels "$sim/labels.tsv" --seed "$seed" --out "$d/run")
      score run "$d/run/predictions.tsv"
      record "student + graph teacher (run)" "$t" run
    fi
  done
done
"$PY" "$here/bench_table.py" "$RES" >"$OUT/table.md"
cat "$OUT/table.md"

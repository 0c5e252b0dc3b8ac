#!/usr/bin/env bash
# Scores TaxDistill and vamb taxometer on the real-genome benchmark made by build.sh.
#
# Usage: scripts/realbench/run.sh [CACHE_DIR] [OUT_DIR]     (defaults /work/realbench, CACHE_DIR/results)
#   env METHODS="raw run vamb"  SPLITS="s1 s2 s3"  LABELERS="kraken2 mmseqs2"  SAMPLES="1 6"
#       TD=path/to/taxdistill (compare builds: TD=... OUT_DIR=...)   VAMB_VENV=/work/venvs/vamb
#       MINLEN=1000 (contigs trained on / annotated by `run` and vamb; the community has none shorter)
#       THREADS=2  SEED=1  TAG=label-written-into-results (default: the binary's path)
# For each split x labeler x samples x method: OUT/SPLIT/LABELER/sS/METHOD/ and one line of
# OUT/results.jsonl: {"method","split","labeler","samples","tag","wall_s","cpu_s","rss_kib",
#   "eval": eval --json on all contigs, "eval_2k": on the contigs >= 2000 bp}.
# A method whose eval file exists is not rerun (delete OUT/.../METHOD to redo); reruns append and the
# last line wins in table.py. Finally OUT/table.md (mean ± sd over splits) by table.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
CACHE="${1:-/work/realbench}"
OUT="${2:-$CACHE/results}"
METHODS="${METHODS:-raw run vamb}"
SPLITS="${SPLITS:-s1 s2 s3}"
LABELERS="${LABELERS:-kraken2 mmseqs2}"
SAMPLES="${SAMPLES:-1 6}"
TD="${TD:-$here/../../target/release/taxdistill}"
VAMB_VENV="${VAMB_VENV:-/work/venvs/vamb}"
MINLEN="${MINLEN:-1000}"
THREADS="${THREADS:-2}"
SEED="${SEED:-1}"
TAG="${TAG:-$TD}"
# vamb's venv when there is one (it has numpy); the helpers need only the standard library
PY="$VAMB_VENV/bin/python"; [ -x "$PY" ] || PY=python3
export RAYON_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"
die() { echo "run.sh: error: $*" >&2; exit 1; }
log() { echo "[realbench $(date +%H:%M:%S)] $*" >&2; }
want() { [[ " $METHODS " == *" $1 "* ]]; }
[ -x "$TD" ] || die "no taxdistill binary at $TD (set TD=)"
want vamb && { [ -x "$VAMB_VENV/bin/vamb" ] || die "no vamb at $VAMB_VENV (pip install vamb==5.0.4)"; }
[ -x /usr/bin/time ] || die "GNU time missing (apt-get install time)"
mkdir -p "$OUT"
RES="$OUT/results.jsonl"

# timed LOGPREFIX CMD...: runs CMD under GNU time, prints '"wall_s":…,"cpu_s":…,"rss_kib":…'
timed() {
  local l="$1"; shift
  /usr/bin/time -v "$@" >"$l.out" 2>"$l.err" || { echo "FAILED: $*" >&2; tail -20 "$l.err" >&2; return 1; }
  "$PY" "$here/../bench_time.py" "$l.err"
}

for s in $SPLITS; do
  d="$CACHE/$s"
  [ -f "$d/labels_kraken2.tsv" ] && [ -f "$d/labels_mmseqs2.tsv" ] || die "$d is incomplete: run build.sh $CACHE"
  for lab in $LABELERS; do
    raw="$d/$( [ "$lab" = kraken2 ] && echo kraken2.out || echo mmseqs2_lca.tsv )"
    for S in $SAMPLES; do
      ab="$d/abundance_$S.tsv"
      for method in $METHODS; do
        o="$OUT/$s/$lab/s$S/$method"
        [ -f "$o/eval.json" ] && continue
        mkdir -p "$o"
        log "$s $lab samples=$S $method"
        t='"wall_s":null,"cpu_s":null,"rss_kib":null'
        case "$method" in
          raw) pred="$d/labels_$lab.tsv" ;;
          run)
            rm -rf "$o/out"
            t=$(timed "$o/run" "$TD" -q run --contigs "$d/contigs.fna.gz" --abundance "$ab" --labels "$raw" \
                --format "$lab" --taxonomy "$d/taxdump" --min-length "$MINLEN" --seed "$SEED" --out "$o/out")
            pred="$o/out/predictions.tsv" ;;
          vamb)
            "$PY" "$here/../bench_vamb_inputs.py" "$d/contigs.fna.gz" "$d/labels_$lab.tsv" "$ab" \
              "$o/vamb_taxonomy.tsv" "$o/vamb_abundance.tsv" "$MINLEN"
            rm -rf "$o/out"
            t=$(timed "$o/vamb" "$VAMB_VENV/bin/vamb" taxometer --outdir "$o/out" --fasta "$d/contigs.fna.gz" \
                --abundance_tsv "$o/vamb_abundance.tsv" --taxonomy "$o/vamb_taxonomy.tsv" -m "$MINLEN" \
                -p "$THREADS" --seed "$SEED")
            pred="$o/out/results_taxometer.tsv" ;;
          *) die "unknown method $method (raw, run, vamb)" ;;
        esac
        [ -f "$pred" ] || die "$method wrote no $pred"
        "$TD" -q eval --truth "$d/truth.tsv" --pred "$pred" --json >"$o/eval_all.tmp"
        "$TD" -q eval --truth "$d/truth.tsv" --pred "$pred" --contigs "$d/contigs.fna.gz" --min-length 2000 \
          --json >"$o/eval_2k.json"
        mv "$o/eval_all.tmp" "$o/eval.json"
        echo "{\"method\":\"$method\",\"split\":\"$s\",\"labeler\":\"$lab\",\"samples\":$S,\"tag\":\"$TAG\",\"minlen\":$MINLEN,$t,\"eval\":$(cat "$o/eval.json"),\"eval_2k\":$(cat "$o/eval_2k.json")}" >>"$RES"
      done
    done
  done
done
"$PY" "$here/table.py" "$RES" >"$OUT/table.md"
cat "$OUT/table.md"

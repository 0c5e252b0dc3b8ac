#!/usr/bin/env bash
# Real-genome benchmark for TaxDistill: a community cut from public bacterial and archaeal genomes
# shipped inside pinned Debian 12 (bookworm) packages, with REAL Kraken2 and MMseqs2 labels made
# against a reference that lacks about half of the species (3 splits, s1..s3).
#
# Usage: scripts/realbench/build.sh [CACHE_DIR]        (default /work/realbench)
#   env TD=path/to/taxdistill (for `convert`; default target/release/taxdistill, skipped if absent)
#       PY=python with numpy (default: creates /work/venvs/realbench)   THREADS=2   SPLITS="s1 s2 s3"
# Needs: apt-get (package downloads only, no install), dpkg-deb, kraken2 (2.1.2: kraken2-build,
#   dustmasker from ncbi-blast+), mmseqs2 (Debian 14-7e284). Everything else is offline.
# Layout of CACHE_DIR:
#   debs/                 the pinned .deb files and their extracted tree (debs/x)
#   genomes/<id>.fna      every genome of genomes.tsv (community and reference-only strains)
#   community/            contigs.fna.gz, truth.tsv, contig_genome.tsv, abundance_{1,6}.tsv, taxdump/,
#                         community.json (seed, sizes, per-genome abundances)
#   sN/                   the split: links to the community files, held_out.txt, ref/ (reference FASTA),
#                         kraken2_db/, kraken2.out, kraken2.report, mmseqs/, mmseqs2_lca.tsv,
#                         labels_kraken2.tsv, labels_mmseqs2.tsv (Taxometer TSV), raw_label_stats.json
# Every step is skipped when its output exists (delete a file or folder to redo that step).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
CACHE="${1:-/work/realbench}"
THREADS="${THREADS:-2}"
SPLITS="${SPLITS:-s1 s2 s3}"
TD="${TD:-$here/../../target/release/taxdistill}"
PY="${PY:-/work/venvs/realbench/bin/python}"
SEED="${SEED:-1}"
log() { echo "[realbench $(date +%H:%M:%S)] $*" >&2; }
die() { echo "build.sh: error: $*" >&2; exit 1; }
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
t0=$(date +%s)

for tool in kraken2 kraken2-build mmseqs dpkg-deb apt-get; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install kraken2 mmseqs2)"
done
command -v dustmasker >/dev/null || die "dustmasker not found (apt-get install ncbi-blast+; kraken2-build masks with it)"
if [ ! -x "$PY" ]; then
  log "creating python venv with numpy at $(dirname "$(dirname "$PY")")"
  python3 -m venv "$(dirname "$(dirname "$PY")")"
  "$PY" -m pip install -q 'numpy==2.4.6'
fi
"$PY" -c 'import numpy' || die "$PY has no numpy"

# 1. the pinned Debian packages that ship the genomes (see genomes.tsv for the file of each genome)
mkdir -p "$CACHE/debs"
pkgs=$(awk -F'\t' '!/^#/ {print $5"="$6}' "$here/genomes.tsv" | sort -u)
for pv in $pkgs; do
  p="${pv%%=*}"
  if ! ls "$CACHE/debs/${p}"_*.deb >/dev/null 2>&1; then
    log "apt-get download $pv"
    (cd "$CACHE/debs" && apt-get download "$pv") \
      || die "apt-get download $pv failed (run 'apt-get update' first; the pinned version must still be in bookworm)"
  fi
done
if [ ! -f "$CACHE/debs/x/.done" ]; then
  rm -rf "$CACHE/debs/x"
  for d in "$CACHE"/debs/*.deb; do dpkg-deb -x "$d" "$CACHE/debs/x"; done
  touch "$CACHE/debs/x/.done"
fi

# 2. genomes, then the community (contigs, truth, abundances, taxdump)
log "genomes"
"$PY" "$here/prep.py" genomes "$CACHE/debs/x" "$CACHE"
log "community (seed $SEED)"
"$PY" "$here/prep.py" community "$CACHE" --seed "$SEED"
C="$CACHE/community"

# 3. per split: reference, Kraken2, MMseqs2, conversion, statistics
for s in $SPLITS; do
  d="$CACHE/$s"
  mkdir -p "$d"
  for f in contigs.fna.gz truth.tsv contig_genome.tsv abundance_1.tsv abundance_6.tsv taxdump; do
    ln -sfn "../community/$f" "$d/$f"
  done
  [ -f "$d/ref/ref.fna" ] || "$PY" "$here/prep.py" split "$CACHE" "$s"

  # Kraken2: a small DB of the split's reference genomes (default k=35, l=31, dust masking)
  if [ ! -f "$d/kraken2_db/hash.k2d" ]; then
    log "$s: kraken2-build"
    rm -rf "$d/kraken2_db.tmp" && mkdir -p "$d/kraken2_db.tmp/taxonomy"
    cp "$C"/taxdump/{nodes,names,merged}.dmp "$d/kraken2_db.tmp/taxonomy/"
    kraken2-build --add-to-library "$d/ref/ref_kraken.fna" --db "$d/kraken2_db.tmp" >"$d/kraken2_build.log" 2>&1
    kraken2-build --build --db "$d/kraken2_db.tmp" --threads "$THREADS" >>"$d/kraken2_build.log" 2>&1 \
      || { tail "$d/kraken2_build.log" >&2; die "$s: kraken2-build failed"; }
    rm -rf "$d/kraken2_db.tmp/library" && mv "$d/kraken2_db.tmp" "$d/kraken2_db"
  fi
  if [ ! -f "$d/kraken2.out" ]; then
    log "$s: kraken2"
    kraken2 --db "$d/kraken2_db" --threads "$THREADS" --gzip-compressed --output "$d/kraken2.out.tmp" \
      --report "$d/kraken2.report" "$C/contigs.fna.gz" 2>"$d/kraken2.log" || { cat "$d/kraken2.log" >&2; die "$s: kraken2 failed"; }
    mv "$d/kraken2.out.tmp" "$d/kraken2.out"
  fi

  # MMseqs2: nucleotide contigs vs nucleotide genomes, --search-type 3 (nucleotide search; translated
  # search, type 2, had not finished 300 of the 8,435 contigs after 2 min on 2 cores,
  # while type 3 does all of them in about 4 min) with the default 2bLCA taxonomy
  m="$d/mmseqs"
  if [ ! -f "$d/mmseqs2_lca.tsv" ]; then
    log "$s: mmseqs2 createdb / createtaxdb / easy-taxonomy"
    rm -rf "$m" && mkdir -p "$m"
    mmseqs createdb "$d/ref/ref.fna" "$m/refDB" >"$m/mmseqs.log" 2>&1
    mmseqs createtaxdb "$m/refDB" "$m/tmp" --ncbi-tax-dump "$C/taxdump" --tax-mapping-file "$d/ref/ref_taxmap.tsv" \
      --threads "$THREADS" >>"$m/mmseqs.log" 2>&1 || { tail "$m/mmseqs.log" >&2; die "$s: mmseqs createtaxdb failed"; }
    mmseqs easy-taxonomy "$C/contigs.fna.gz" "$m/refDB" "$m/out" "$m/tmp" --search-type 3 --tax-lineage 1 \
      --threads "$THREADS" >>"$m/mmseqs.log" 2>&1 || { tail "$m/mmseqs.log" >&2; die "$s: mmseqs easy-taxonomy failed"; }
    rm -rf "$m/tmp"
    cp "$m/out_lca.tsv" "$d/mmseqs2_lca.tsv"
  fi

  # Taxometer TSVs of the raw labels (needs the taxdistill binary)
  if [ -x "$TD" ]; then
    for lab in kraken2:kraken2.out mmseqs2:mmseqs2_lca.tsv; do
      name="${lab%%:*}"; file="${lab#*:}"
      [ -f "$d/labels_$name.tsv" ] || "$TD" -q convert --labels "$d/$file" --format "$name" --taxonomy "$C/taxdump" \
        --to taxometer --out "$d/labels_$name.tsv"
    done
  else
    log "no taxdistill binary at $TD: skipping the Taxometer TSVs (rerun later)"
  fi
  "$PY" "$here/prep.py" stats "$CACHE" "$s" >/dev/null
done
log "done in $(( $(date +%s) - t0 )) s: $CACHE"

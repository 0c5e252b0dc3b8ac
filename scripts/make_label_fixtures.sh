#!/usr/bin/env bash
# Makes the label fixtures in tests/data/labels/ from REAL tool runs:
# a tiny NCBI-style taxdump (with the quirks Taxometer chokes on), random
# reference genomes, a tiny Kraken2 database and a tiny MMseqs2 taxonomy
# database built from them, and simulated contigs classified by both tools.
# Metabuli and Centrifuge cannot run here: their fixtures are hand-written
# after their documentation (see tests/data/labels/README.md).
#
# Needs Debian 12's kraken2 (2.1.2) and mmseqs2 (14); installs them with apt
# when missing. Takes a few minutes. Usage: scripts/make_label_fixtures.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../tests/data/labels"
if ! command -v kraken2 >/dev/null || ! command -v mmseqs >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kraken2 mmseqs2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$here/make_label_fixtures.py" "$work"

# --- Kraken2: taxid-tagged headers, no masking (the DB is tiny anyway)
mkdir -p "$work/k2db/taxonomy"
cp "$work"/taxonomy/{nodes,names}.dmp "$work/k2db/taxonomy/"
kraken2-build --db "$work/k2db" --add-to-library "$work/references.fna" --no-masking >/dev/null
kraken2-build --db "$work/k2db" --build --threads 1 >/dev/null
kraken2 --db "$work/k2db" --threads 1 --output "$work/kraken2.out" --report "$work/kraken2.report" "$work/contigs.fna" 2>"$work/kraken2.log"
kraken2 --db "$work/k2db" --threads 1 --use-names --output "$work/kraken2_names.out" "$work/contigs.fna" 2>>"$work/kraken2.log"

# --- MMseqs2: nucleotide reference DB with taxonomy, easy-taxonomy with and without lineages
mmseqs createdb "$work/references.fna" "$work/refDB" >/dev/null
mmseqs createtaxdb "$work/refDB" "$work/tmp" --ncbi-tax-dump "$work/taxonomy" --tax-mapping-file "$work/references.taxid.tsv" --threads 1 >/dev/null
mmseqs easy-taxonomy "$work/contigs.fna" "$work/refDB" "$work/mm_lineage" "$work/tmp" --search-type 3 --tax-lineage 1 --threads 1 >/dev/null
mmseqs easy-taxonomy "$work/contigs.fna" "$work/refDB" "$work/mm_plain" "$work/tmp" --search-type 3 --threads 1 >/dev/null

mkdir -p "$out/taxonomy"
cp "$work"/taxonomy/{nodes,names,merged}.dmp "$out/taxonomy/"
cp "$work/contigs.fna" "$work/truth_taxids.tsv" "$work/truth.cami" "$out/"
cp "$work/kraken2.out" "$work/kraken2_names.out" "$work/kraken2.report" "$out/"
cp "$work/mm_lineage_lca.tsv" "$out/mmseqs2_lineage_lca.tsv"
cp "$work/mm_plain_lca.tsv" "$out/mmseqs2_lca.tsv"
{
    echo "kraken2: $(kraken2 --version | head -1)"
    echo "mmseqs2: $(mmseqs version)"
    echo "generated: $(date -u +%Y-%m-%d) by scripts/make_label_fixtures.sh"
} >"$out/TOOL_VERSIONS"
du -sh "$out"

#!/usr/bin/env bash
# Browser test of the web app: builds the app and the CLI, makes the inputs
# and the CLI's expected outputs, serves web/dist and runs flow.mjs in
# Debian's Chromium (WebGPU via SwiftShader, then CPU).
#
#   tests/browser/run.sh            # everything
#   SKIP_BUILD=1 tests/browser/run.sh   # reuse web/dist and the built CLI
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/tests/browser
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

if ! command -v chromium >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
fi
(cd "$HERE" && { npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund >/dev/null; })

if [ -z "${SKIP_BUILD:-}" ]; then
  cargo xtask web
  cargo build -q -p taxdistill
fi
BIN=$TARGET/debug/taxdistill
DEMO=$ROOT/web/assets/demo
[ -f "$DEMO/model.json" ] || { echo "error: $DEMO has no model; run scripts/make_demo.sh" >&2; exit 1; }

WORK=$HERE/work
rm -rf "$WORK"
mkdir -p "$WORK/files" "$WORK/model"
# a second community (another seed), annotated with the demo's model
"$BIN" -q simulate --out "$WORK/sim" --seed 7 ${FILES_SIM_ARGS:---contigs 400 --genomes 20 --mean-length 4000 --sd-length 3000 --max-length 30000}
gunzip -c "$WORK/sim/contigs.fna.gz" > "$WORK/files/contigs.fna"
# Kraken2 labels (taxids): the page needs the NCBI taxonomy to read them
cp "$WORK/sim/abundance.tsv" "$WORK/sim/raw/kraken2.out" "$WORK/files/"
mkdir -p "$WORK/files/taxdump"
cp "$WORK/sim/raw/taxdump/"*.dmp "$WORK/files/taxdump/"
cp "$DEMO/model.json" "$DEMO/model.safetensors" "$WORK/model/"
# the page is given the labels too: contigs shorter than the model's minimum
# length keep them (source=input, a note in the CAMI header), as `annotate --labels` writes
"$BIN" -q annotate --model "$WORK/model" --contigs "$WORK/files/contigs.fna" --abundance "$WORK/files/abundance.tsv" \
  --labels "$WORK/files/kraken2.out" --taxonomy "$WORK/files/taxdump" \
  --out "$WORK/expected_files.tsv" --cami "$WORK/expected_files.cami" --report "$WORK/expected_files.kraken.txt"
# the same report by base pairs: `convert --by-bp` on the CLI's TSV
"$BIN" -q convert --labels "$WORK/expected_files.tsv" --contigs "$WORK/files/contigs.fna" --taxonomy "$WORK/files/taxdump" \
  --to kraken-report --by-bp --out "$WORK/expected_files.kraken.bp.txt"
"$BIN" -q annotate --model "$DEMO" --contigs "$DEMO/contigs.fna.gz" --abundance "$DEMO/abundance.tsv" \
  --labels "$DEMO/labels.tsv" --out "$WORK/expected_demo.tsv"
# `taxdistill run` on the demo's Kraken2 output with the bundled student's
# widths: the page, given no model ("Train the student here"), must correct
# the labels as this does
"$BIN" -q run --contigs "$DEMO/contigs.fna.gz" --abundance "$DEMO/abundance.tsv" \
  --labels "$DEMO/kraken2.out.gz" --taxonomy "$DEMO" --hidden 128,128 --seed 0 --out "$WORK/expected_run"
printf '@read1\nACGTACGT\n+\nIIIIIIII\n' > "$WORK/bad.fna"
# inputs that must each give one plain-words error naming the file
mkdir -p "$WORK/errors"
: > "$WORK/errors/empty.fna"
# a gzip whose deflate stream is damaged in the middle (the header is fine)
gzip -c "$WORK/files/contigs.fna" > "$WORK/errors/corrupt.fna.gz"
python3 - "$WORK/errors/corrupt.fna.gz" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
mid = len(b) // 2
for i in range(mid, mid + 64):
    b[i] ^= 0x5A
open(p, 'wb').write(bytes(b))
PY
# abundances of other contigs (same samples, other ids)
sed '2,$s/^contig_/other_/' "$WORK/files/abundance.tsv" > "$WORK/errors/other_contigs.tsv"
# abundances of two samples for a model trained on three: a model for other samples
cut -f 1-3 "$WORK/files/abundance.tsv" > "$WORK/errors/two_samples.tsv"
# a community large enough (~60 Mbp) that a run is still going when Cancel is clicked
"$BIN" -q simulate --out "$WORK/bigsim" --seed 9 --contigs 20000 --genomes 100 --gzip-level 1
mkdir -p "$WORK/big"
gunzip -c "$WORK/bigsim/contigs.fna.gz" > "$WORK/big/contigs.fna"
cp "$WORK/bigsim/abundance.tsv" "$WORK/big/"
rm -rf "$WORK/bigsim"
# the static files of the build: the only requests the page may make
(cd "$ROOT/web/dist" && find . -type f | sed 's|^\./|/|' | sort) > "$WORK/dist_files.txt"

"$BIN" serve --port 0 --dir "$ROOT/web/dist" > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  URL=$(grep -o 'http://127.0.0.1:[0-9]*/' "$WORK/serve.log" || true)
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || { echo "error: taxdistill serve did not start: $(cat "$WORK/serve.log")" >&2; exit 1; }

WASM_BYTES=$(stat -c %s "$ROOT/web/dist/taxdistill_web_bg.wasm")
echo "wasm bundle: $WASM_BYTES bytes ($(gzip -9c "$ROOT/web/dist/taxdistill_web_bg.wasm" | wc -c) gzipped)"
BASE_URL=$URL WORK=$WORK DEMO=$DEMO BIN=$BIN ARTIFACTS=$HERE/artifacts node "$HERE/flow.mjs"

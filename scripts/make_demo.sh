#!/usr/bin/env bash
# Makes the web app's bundled demo, web/assets/demo/: a small simulated
# community (`taxdistill simulate`) and a student distilled on it
# (`taxdistill run`). The data must stay under 2 MB (they ship with the app and
# are cached for offline use). The student is smaller than the CLI's standard
# 4 × 512 (3.4 MB of f32): DEMO_HIDDEN widths (`--hidden`), chosen so that its
# F1 on the demo stays close to the standard student's (docs/web.md).
#
#   scripts/make_demo.sh [SEED]
# Env: TAXDISTILL (path of the CLI; default: build it with cargo),
#      DEMO_SIM_ARGS (extra `simulate` options that keep it small),
#      DEMO_HIDDEN (the student's hidden layer widths; default 128,128).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SEED=${1:-42}
# small: ~800 contigs, ~3 Mbp
DEMO_SIM_ARGS=${DEMO_SIM_ARGS:---contigs 800 --genomes 24 --mean-length 3500 --sd-length 2500 --max-length 20000}
DEMO_HIDDEN=${DEMO_HIDDEN:-128,128}
if [ -z "${TAXDISTILL:-}" ]; then
  cargo build -q -p taxdistill
  TAXDISTILL=${CARGO_TARGET_DIR:-$ROOT/target}/debug/taxdistill
fi
OUT=$ROOT/web/assets/demo
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$TAXDISTILL" -q simulate --out "$TMP/sim" --seed "$SEED" --gzip-level 9 ${DEMO_SIM_ARGS:-}
"$TAXDISTILL" -q run --contigs "$TMP/sim/contigs.fna.gz" --abundance "$TMP/sim/abundance.tsv" \
  --labels "$TMP/sim/labels.tsv" --hidden "$DEMO_HIDDEN" --out "$TMP/run"

rm -rf "$OUT"
mkdir -p "$OUT"
cp "$TMP/sim/contigs.fna.gz" "$TMP/sim/abundance.tsv" "$TMP/sim/labels.tsv" "$TMP/sim/truth.tsv" "$OUT/"
# the same labels as Kraken2 output (taxids) and the taxonomy they need:
# what the page's "train it here" step corrects
gzip -9nc "$TMP/sim/raw/kraken2.out" > "$OUT/kraken2.out.gz"
cp "$TMP/sim/raw/taxdump/nodes.dmp" "$TMP/sim/raw/taxdump/names.dmp" "$TMP/sim/raw/taxdump/merged.dmp" "$OUT/"
cp "$TMP/run/model/model.json" "$TMP/run/model/model.safetensors" "$OUT/"
cat > "$OUT/README.md" <<TXT
# Demo data of the web app

Made by \`scripts/make_demo.sh $SEED\` (do not edit by hand):

- \`contigs.fna.gz\`, \`abundance.tsv\`, \`labels.tsv\` (noisy labels), \`truth.tsv\`: \`taxdistill simulate --seed $SEED ${DEMO_SIM_ARGS:-}\`
  (the taxa are invented by the simulator: their names are not real organisms)
- \`kraken2.out.gz\` + \`nodes.dmp\`, \`names.dmp\`, \`merged.dmp\`: the same labels as Kraken2 output and the simulated taxonomy they use
- \`model.json\` + \`model.safetensors\`: the student from \`taxdistill run --hidden $DEMO_HIDDEN\` on those files.
TXT
DATA=$(cat "$OUT"/contigs.fna.gz "$OUT"/abundance.tsv "$OUT"/labels.tsv "$OUT"/truth.tsv "$OUT"/kraken2.out.gz "$OUT"/*.dmp | wc -c)
MODEL=$(cat "$OUT"/model.json "$OUT"/model.safetensors | wc -c)
echo "wrote $OUT: data $DATA bytes, model $MODEL bytes"
if [ "$DATA" -gt 2000000 ]; then
  echo "error: the demo data are $DATA bytes, over the 2 MB budget; pass smaller DEMO_SIM_ARGS" >&2
  exit 1
fi

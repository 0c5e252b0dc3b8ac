#!/usr/bin/env bash
# Seeds for the `model` and `soft_labels` fuzz targets: a tiny simulated
# community, a student trained on it (`distill`) and the graph teacher's soft
# labels (`teach`), dense and top-k, written into fuzz/corpus/<target>/.
#   bash fuzz/seed.sh            (then: cd fuzz && cargo +nightly fuzz run model)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
cargo build --release -q -p taxdistill --manifest-path "$root/Cargo.toml"
td="${CARGO_TARGET_DIR:-$root/target}/release/taxdistill"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$td" -q simulate --genomes 6 --contigs 120 --samples 1 --seed 9 --out "$work/sim"
for hidden in 16 8,8; do
  "$td" -q distill --contigs "$work/sim/contigs.fna.gz" --abundance "$work/sim/abundance.tsv" \
    --labels "$work/sim/labels.tsv" --epochs 1 --min-steps 0 --hidden "$hidden" --out "$work/model_$hidden"
done
"$td" -q teach --contigs "$work/sim/contigs.fna.gz" --abundance "$work/sim/abundance.tsv" \
  --labels "$work/sim/labels.tsv" --out "$work/soft_dense.safetensors"
"$td" -q teach --contigs "$work/sim/contigs.fna.gz" --abundance "$work/sim/abundance.tsv" \
  --labels "$work/sim/labels.tsv" --top-k 3 --out "$work/soft_topk.safetensors"
mkdir -p "$here/corpus/model" "$here/corpus/soft_labels"
python3 - "$work" "$here/corpus" <<'PY'
import struct, sys, os, glob
work, corpus = sys.argv[1], sys.argv[2]
for d in sorted(glob.glob(os.path.join(work, "model_*"))):
    js = open(os.path.join(d, "model.json"), "rb").read()
    st = open(os.path.join(d, "model.safetensors"), "rb").read()
    name = "seed_" + os.path.basename(d).replace(",", "_")
    open(os.path.join(corpus, "model", name), "wb").write(struct.pack("<I", len(js)) + js + st)
PY
cp "$work/soft_dense.safetensors" "$here/corpus/soft_labels/seed_dense"
cp "$work/soft_topk.safetensors" "$here/corpus/soft_labels/seed_topk"
echo "seeds in $here/corpus/{model,soft_labels}"

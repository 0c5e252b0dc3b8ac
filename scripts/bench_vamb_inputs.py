"""Inputs for `vamb taxometer` from the simulator's files.

usage: bench_vamb_inputs.py CONTIGS.fna[.gz] LABELS.taxometer.tsv ABUNDANCE.tsv OUT_TAXONOMY OUT_ABUNDANCE [MINLEN]

vamb wants every contig >= MINLEN (default 2000) bp of the FASTA in the taxonomy file (empty
lineage = unlabelled, header `contigs\tpredictions`) and an abundance TSV whose
header is `contigname\t<sample>...` with rows in any order.
"""
import gzip
import sys

fasta, labels, abundance, out_tax, out_ab = sys.argv[1:6]
MIN = int(sys.argv[6]) if len(sys.argv) > 6 else 2000
opener = gzip.open if open(fasta, "rb").read(2) == b"\x1f\x8b" else open
lengths = {}
name = None
with opener(fasta, "rt") as f:
    for line in f:
        if line.startswith(">"):
            name = line[1:].split()[0]
            lengths[name] = 0
        else:
            lengths[name] += len(line.strip())
lab = {}
with open(labels) as f:
    next(f)
    for line in f:
        parts = line.rstrip("\n").split("\t")
        lab[parts[0]] = parts[1] if len(parts) > 1 else ""
with open(out_tax, "w") as w:
    w.write("contigs\tpredictions\n")
    for c, n in lengths.items():
        if n >= MIN:
            w.write(f"{c}\t{lab.get(c, '')}\n")
with open(abundance) as f, open(out_ab, "w") as w:
    header = f.readline().rstrip("\n").split("\t")
    w.write("\t".join(["contigname"] + header[1:]) + "\n")
    for line in f:
        w.write(line)

#!/usr/bin/env python3
"""Writes the inputs of the label fixtures: a tiny NCBI-style taxdump with the
quirks that make Taxometer reject inputs, random reference genomes tagged with
their taxids, and simulated contigs (mutated fragments of the references plus
fragments of a genome absent from them).

Usage: make_label_fixtures.py OUTDIR   (stdlib only; same seed, same bytes)
"""
import os
import random
import sys

SEED = 20240611
rng = random.Random(SEED)

# taxid, parent, rank, name
NODES = [
    (1, 1, "no rank", "root"),
    (131567, 1, "no rank", "cellular organisms"),
    (2, 131567, "superkingdom", "Bacteria"),
    (2157, 131567, "superkingdom", "Archaea"),
    (2759, 131567, "superkingdom", "Eukaryota"),
    # Proteobacteria
    (1224, 2, "phylum", "Proteobacteria"),
    (1236, 1224, "class", "Gammaproteobacteria"),
    (91347, 1236, "order", "Enterobacterales"),
    (543, 91347, "family", "Enterobacteriaceae"),
    (561, 543, "genus", "Escherichia"),
    (562, 561, "species", "Escherichia coli"),
    (590, 543, "genus", "Salmonella"),
    (28901, 590, "species", "Salmonella enterica"),
    # Firmicutes
    (1239, 2, "phylum", "Firmicutes"),
    (91061, 1239, "class", "Bacilli"),
    (1385, 91061, "order", "Bacillales"),
    (186817, 1385, "family", "Bacillaceae"),
    (1386, 186817, "genus", "Bacillus"),
    (1423, 1386, "species", "Bacillus subtilis"),
    # quirk: missing rank (a genus directly under an order, no family)
    (900001, 1385, "genus", "Nofamilia"),
    (900002, 900001, "species", "Nofamilia orphana"),
    # quirk: same name under two parents (Bacillus, the stick insect genus)
    (6656, 2759, "phylum", "Arthropoda"),
    (50557, 6656, "class", "Insecta"),
    (7022, 50557, "order", "Phasmida"),
    (900010, 7022, "family", "Bacillidae"),
    (900011, 900010, "genus", "Bacillus"),
    (900012, 900011, "species", "Bacillus rossius"),
    # quirk: environmental samples / unclassified nodes
    (48479, 2, "no rank", "environmental samples"),
    (77133, 48479, "species", "uncultured bacterium"),
    (2323, 2, "no rank", "unclassified Bacteria"),
    (900020, 2323, "species", "bacterium X1"),
    # quirk: ranks out of order (an "order" below a genus)
    (900030, 561, "order", "Strangeales"),
    (900031, 900030, "species", "Strangeales oddity"),
    # Archaea
    (28890, 2157, "phylum", "Euryarchaeota"),
    (183925, 28890, "class", "Methanobacteria"),
    (2158, 183925, "order", "Methanobacteriales"),
    (2159, 2158, "family", "Methanobacteriaceae"),
    (2172, 2159, "genus", "Methanobrevibacter"),
    (2173, 2172, "species", "Methanobrevibacter smithii"),
    # a species whose genome is absent from the reference databases
    (900040, 1236, "order", "Absentales"),
    (900041, 900040, "family", "Absentaceae"),
    (900042, 900041, "genus", "Absentia"),
    (900043, 900042, "species", "Absentia nova"),
]
# old ids below the largest taxid: mmseqs2 14 crashes on larger ones
MERGED = [(12345, 562), (12346, 1423)]

# genomes in the databases; E. coli and Salmonella share a diverged backbone
REFERENCE = [562, 28901, 1423, 900002, 77133, 900020, 900031, 2173]
ABSENT = 900043
GENOME_LEN = 8000


def random_seq(n, gc):
    w = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    return "".join(rng.choices("ACGT", weights=w, k=n))


def mutate(seq, rate):
    out = []
    for c in seq:
        if rng.random() < rate:
            out.append(rng.choice([b for b in "ACGT" if b != c]))
        else:
            out.append(c)
    return "".join(out)


def wrap(seq, width=70):
    return "\n".join(seq[i:i + width] for i in range(0, len(seq), width))


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "taxonomy"), exist_ok=True)
    tax = os.path.join(out, "taxonomy")
    with open(os.path.join(tax, "nodes.dmp"), "w") as f:
        for taxid, parent, rank, _ in NODES:
            f.write(f"{taxid}\t|\t{parent}\t|\t{rank}\t|\t\t|\t0\t|\t1\t|\t11\t|\t1\t|\t0\t|\t1\t|\t0\t|\t0\t|\t\t|\n")
    with open(os.path.join(tax, "names.dmp"), "w") as f:
        for taxid, _, _, name in NODES:
            f.write(f"{taxid}\t|\t{name}\t|\t\t|\tscientific name\t|\n")
            if taxid == 562:
                f.write(f"{taxid}\t|\tBacillus coli\t|\t\t|\tsynonym\t|\n")
    with open(os.path.join(tax, "merged.dmp"), "w") as f:
        for old, new in MERGED:
            f.write(f"{old}\t|\t{new}\t|\n")
    open(os.path.join(tax, "delnodes.dmp"), "w").close()

    genomes = {}
    backbone = random_seq(GENOME_LEN, 0.5)
    for taxid in REFERENCE + [ABSENT]:
        if taxid == 562:
            genomes[taxid] = mutate(backbone, 0.02)
        elif taxid == 28901:
            genomes[taxid] = mutate(backbone, 0.12)
        else:
            genomes[taxid] = random_seq(GENOME_LEN, rng.uniform(0.3, 0.65))

    with open(os.path.join(out, "references.fna"), "w") as f:
        for i, taxid in enumerate(REFERENCE):
            f.write(f">ref{i + 1}|kraken:taxid|{taxid} reference genome of taxid {taxid}\n{wrap(genomes[taxid])}\n")
    with open(os.path.join(out, "references.taxid.tsv"), "w") as f:
        for i, taxid in enumerate(REFERENCE):
            f.write(f"ref{i + 1}|kraken:taxid|{taxid}\t{taxid}\n")

    truth = []
    with open(os.path.join(out, "contigs.fna"), "w") as f:
        k = 0
        for taxid in REFERENCE + [ABSENT]:
            for _ in range(3):
                k += 1
                n = rng.randint(1000, 2500)
                start = rng.randint(0, GENOME_LEN - n)
                frag = mutate(genomes[taxid][start:start + n], 0.01)
                if rng.random() < 0.5:
                    frag = frag[::-1].translate(str.maketrans("ACGT", "TGCA"))
                cid = f"contig_{k:03d}"
                f.write(f">{cid} taxid={taxid}\n{wrap(frag)}\n")
                truth.append((cid, taxid))
        # one short random contig nothing can classify
        k += 1
        f.write(f">contig_{k:03d} taxid=0\n{wrap(random_seq(600, 0.5))}\n")
        truth.append((f"contig_{k:03d}", 0))
    with open(os.path.join(out, "truth_taxids.tsv"), "w") as f:
        f.write("contigs\ttaxid\n")
        for cid, taxid in truth:
            f.write(f"{cid}\t{taxid}\n")
    write_cami_truth(os.path.join(out, "truth.cami"), truth)


CAMI_RANKS = ["superkingdom", "phylum", "class", "order", "family", "genus", "species"]


def cami_path(taxid):
    """Per CAMI rank, the closest ancestor of that rank (independent of the Rust code)."""
    by_id = {t: (p, r, n) for t, p, r, n in NODES}
    ids = [""] * 7
    names = [""] * 7
    while True:
        parent, rank, name = by_id[taxid]
        if rank in CAMI_RANKS:
            i = CAMI_RANKS.index(rank)
            if not ids[i]:
                ids[i], names[i] = str(taxid), name
        if parent == taxid:
            break
        taxid = parent
    depth = max(i + 1 for i in range(7) if ids[i]) if any(ids) else 0
    return ids[:depth], names[:depth]


def write_cami_truth(path, truth):
    with open(path, "w") as f:
        f.write("# Taxonomic binning gold standard of the label fixtures\n")
        f.write("@Version:0.9.1\n@SampleID:labels_fixture\n")
        f.write("@Ranks:superkingdom|phylum|class|order|family|genus|species|strain\n\n")
        f.write("@@SEQUENCEID\tTAXID\tRANK\tTAXPATH\tTAXPATHSN\t_CAMI_genomeID\n")
        for cid, taxid in truth:
            if taxid == 0:
                continue
            ids, names = cami_path(taxid)
            f.write(f"{cid}\t{taxid}\tspecies\t{'|'.join(ids)}\t{'|'.join(names)}\tgenome_{taxid}\n")


if __name__ == "__main__":
    main()

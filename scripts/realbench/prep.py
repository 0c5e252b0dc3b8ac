#!/usr/bin/env python3
"""Real-genome benchmark community for TaxDistill (called by build.sh).

Subcommands:
  genomes   DEBROOT CACHE          genome FASTAs (CACHE/genomes/<id>.fna) from the extracted .debs,
                                   checked against the sha256 in genomes.tsv
  community CACHE [--seed N]       taxdump/, contigs.fna.gz, contig_genome.tsv, truth.tsv,
                                   abundance_6.tsv, abundance_1.tsv in CACHE/community
  split     CACHE SPLIT            CACHE/SPLIT/ref/ref.fna, ref_kraken.fna (kraken:taxid headers),
                                   ref_taxmap.tsv (seq id -> taxid),
                                   ref_genomes.tsv, held_out.txt
  stats     CACHE SPLIT [--pred F]  raw label statistics of kraken2.out and mmseqs2_lca.tsv (or of a
                                   Taxometer TSV F) per known / novel (held-out species) contigs

Inputs next to this script: genomes.tsv (source of each genome), lineages.tsv (NCBI lineage per
species), splits.tsv (held-out species per split). numpy is the only dependency.
"""
import argparse, bz2, gzip, hashlib, json, lzma, os, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RANKS = ["superkingdom", "phylum", "class", "order", "family", "genus", "species"]
RANK_LABEL = ["domain", "phylum", "class", "order", "family", "genus", "species"]


def die(msg):
    sys.exit(f"prep.py: error: {msg}")


def table(name):
    rows = []
    with open(os.path.join(HERE, name)) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                rows.append(line.split("\t"))
    return rows


def genomes_table():
    out = []
    for r in table("genomes.tsv"):
        r += [""] * (9 - len(r))
        out.append(dict(zip(["genome", "species", "strain", "role", "package", "version", "path",
                             "filter", "sha256"], r)))
    return out


def lineages():
    """species_key -> [(name, taxid)] * 7"""
    lin = {}
    for r in table("lineages.tsv"):
        if len(r) != 8:
            die(f"lineages.tsv: {r[0]}: expected 8 columns, got {len(r)}")
        lin[r[0]] = [(x.rsplit(":", 1)[0], int(x.rsplit(":", 1)[1])) for x in r[1:]]
    return lin


def splits():
    return {r[0]: r[1].split(",") for r in table("splits.tsv")}


def opener(p):
    if p.endswith(".gz"):
        return gzip.open(p, "rt")
    if p.endswith(".xz"):
        return lzma.open(p, "rt")
    if p.endswith(".bz2"):
        return bz2.open(p, "rt")
    return open(p)


def read_records(path):
    """FASTA or GenBank -> list of (header, seq)."""
    recs = []
    with opener(path) as f:
        first = f.readline()
    if first.startswith("LOCUS"):
        with opener(path) as f:
            name, seq, inseq = None, [], False
            for line in f:
                if line.startswith("LOCUS"):
                    name, seq, inseq = line.split()[1], [], False
                elif line.startswith("ORIGIN"):
                    inseq = True
                elif line.startswith("//"):
                    recs.append((name, "".join(seq).upper()))
                    inseq = False
                elif inseq:
                    seq.append("".join(c for c in line if c.isalpha()))
    else:
        with opener(path) as f:
            h, seq = None, []
            for line in f:
                if line.startswith(">"):
                    if h is not None:
                        recs.append((h, "".join(seq).upper()))
                    h, seq = line[1:].strip(), []
                else:
                    seq.append(line.strip())
            if h is not None:
                recs.append((h, "".join(seq).upper()))
    return recs


def write_fasta(f, name, seq, width=80):
    f.write(f">{name}\n")
    for i in range(0, len(seq), width):
        f.write(seq[i:i + width] + "\n")


def cmd_genomes(a):
    gdir = os.path.join(a.cache, "genomes")
    os.makedirs(gdir, exist_ok=True)
    lin = lineages()
    for g in genomes_table():
        if g["species"] not in lin:
            die(f"genomes.tsv: {g['genome']}: species key '{g['species']}' not in lineages.tsv")
        out = os.path.join(gdir, g["genome"] + ".fna")
        if os.path.exists(out):
            continue
        src = os.path.join(a.debroot, g["path"])
        if not os.path.exists(src):
            die(f"{g['genome']}: {src} missing (is {g['package']}={g['version']} extracted?)")
        h = hashlib.sha256(open(src, "rb").read()).hexdigest()
        if g["sha256"] and h != g["sha256"]:
            die(f"{g['genome']}: sha256 of {src} is {h}, genomes.tsv says {g['sha256']}")
        recs = read_records(src)
        if g["filter"]:
            recs = [r for r in recs if g["filter"] in r[0]]
        if not recs:
            die(f"{g['genome']}: no records in {src} (filter '{g['filter']}')")
        tmp = out + ".tmp"
        with open(tmp, "w") as f:
            for i, (h, s) in enumerate(recs):
                write_fasta(f, f"{g['genome']}_r{i + 1} {h}", s)
        os.replace(tmp, out)
        print(f"  {g['genome']}: {len(recs)} records, {sum(len(s) for _, s in recs):,} bp", file=sys.stderr)


def write_taxdump(d, lin):
    os.makedirs(d, exist_ok=True)
    nodes = {1: (1, "no rank", "root"), 131567: (1, "no rank", "cellular organisms")}
    for key, L in lin.items():
        parent = 131567
        for (name, tid), rank in zip(L, RANKS):
            if tid in nodes and (nodes[tid][2] != name or nodes[tid][0] != parent):
                die(f"lineages.tsv: taxid {tid} used for two taxa ({nodes[tid][2]} / {name})")
            nodes[tid] = (parent, rank, name)
            parent = tid
    with open(os.path.join(d, "nodes.dmp"), "w") as n, open(os.path.join(d, "names.dmp"), "w") as m:
        for tid in sorted(nodes):
            p, rank, name = nodes[tid]
            n.write(f"{tid}\t|\t{p}\t|\t{rank}\t|\t\t|\t0\t|\t0\t|\t11\t|\t0\t|\t0\t|\t0\t|\t0\t|\t0\t|\t\t|\n")
            m.write(f"{tid}\t|\t{name}\t|\t\t|\tscientific name\t|\n")
    for empty in ("merged.dmp", "delnodes.dmp"):
        open(os.path.join(d, empty), "w").close()


def cut_contigs(rng, seq):
    """Assembly-like pieces: log-normal lengths (median 6 kbp, sd 1.0 in log space, 150 kbp max),
    separated by short unassembled gaps (repeats); pieces < 1000 bp are dropped."""
    out, pos, n = [], int(rng.integers(0, 2000)), len(seq)
    while pos < n:
        L = int(min(150_000, max(200, rng.lognormal(np.log(6000), 1.0))))
        piece = seq[pos:pos + L]
        if len(piece) >= 1000 and piece.count("N") < len(piece) // 2:
            out.append(piece)
        pos += L + int(min(5000, rng.lognormal(np.log(300), 1.0)))
    return out


COMP = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def depths(rng, genome_of, lengths, n_genomes, samples, absent_rate=0.2, mean_depth=20.0,
           read_len=150.0, abundance_sd=1.0, sample_sd=0.6, library_sd=0.3, bias_sd=0.2,
           dispersion=20.0, floor=0.002):
    """docs/simulator.md 'Abundances' (crates/sim/src/abundance.rs), in numpy."""
    mu = rng.normal(0, abundance_sd, n_genomes)
    ab = np.exp(mu[:, None] + rng.normal(0, sample_sd, (n_genomes, samples)))
    present = np.ones((n_genomes, samples), bool)
    if samples > 1:
        present = rng.random((n_genomes, samples)) >= absent_rate
        for g in range(n_genomes):
            if not present[g].any():
                present[g, rng.integers(samples)] = True
    lengths = np.asarray(lengths, float)
    bias = rng.lognormal(-bias_sd ** 2 / 2, bias_sd, len(lengths))
    dep = np.zeros((len(lengths), samples))
    for s in range(samples):
        lib = mean_depth * lengths.sum() / read_len * rng.lognormal(0, library_sd)
        eff = np.where(present[:, s], ab[:, s], floor * ab[:, s].mean())
        w = eff[genome_of] * lengths * bias
        m = lib * w / w.sum()
        lam = rng.gamma(dispersion, m / dispersion)
        dep[:, s] = rng.poisson(lam) * read_len / lengths
    return dep, ab, present


def cmd_community(a):
    out = os.path.join(a.cache, "community")
    os.makedirs(out, exist_ok=True)
    lin = lineages()
    td = os.path.join(out, "taxdump")
    if not os.path.exists(os.path.join(td, "nodes.dmp")) or a.force:
        write_taxdump(td + ".tmp", lin)
        if os.path.exists(td):
            import shutil
            shutil.rmtree(td)
        os.replace(td + ".tmp", td)
    done = os.path.join(out, "abundance_1.tsv")
    if os.path.exists(done) and not a.force:
        print("  community exists (use --force to redo)", file=sys.stderr)
        return
    rng = np.random.default_rng(a.seed)
    comm = [g for g in genomes_table() if g["role"] == "community"]
    pieces = []  # (genome index, seq)
    for gi, g in enumerate(comm):
        for _, seq in read_records(os.path.join(a.cache, "genomes", g["genome"] + ".fna")):
            for p in cut_contigs(rng, seq):
                if rng.random() < 0.5:
                    p = p.translate(COMP)[::-1]
                pieces.append((gi, p))
    order = rng.permutation(len(pieces))
    names = [f"contig_{i + 1:06d}" for i in range(len(pieces))]
    genome_of = np.array([pieces[j][0] for j in order])
    lengths = [len(pieces[j][1]) for j in order]
    tmp = os.path.join(out, "contigs.fna.gz.tmp")
    with gzip.open(tmp, "wt", compresslevel=6) as f:
        for name, j in zip(names, order):
            write_fasta(f, name, pieces[j][1])
    os.replace(tmp, os.path.join(out, "contigs.fna.gz"))
    with open(os.path.join(out, "truth.tsv"), "w") as t, open(os.path.join(out, "contig_genome.tsv"), "w") as cg:
        t.write("contigs\tpredictions\n")
        cg.write("contig\tgenome\tspecies_key\tstrain\tlength\n")
        for name, gi, L in zip(names, genome_of, lengths):
            g = comm[gi]
            t.write(name + "\t" + ";".join(n for n, _ in lin[g["species"]]) + "\n")
            cg.write(f"{name}\t{g['genome']}\t{g['species']}\t{g['strain']}\t{L}\n")
    info = {}
    for S in (6, 1):
        dep, ab, present = depths(rng, genome_of, lengths, len(comm), S)
        with open(os.path.join(out, f"abundance_{S}.tsv.tmp"), "w") as f:
            f.write("contigname\t" + "\t".join(f"S{s + 1}" for s in range(S)) + "\n")
            for name, row in zip(names, dep):
                f.write(name + "\t" + "\t".join(f"{x:.5f}" for x in row) + "\n")
        os.replace(os.path.join(out, f"abundance_{S}.tsv.tmp"), os.path.join(out, f"abundance_{S}.tsv"))
        info[f"samples_{S}"] = {g["genome"]: {"abundance": [round(x, 4) for x in ab[i]],
                                              "present": present[i].tolist()} for i, g in enumerate(comm)}
    L = np.array(lengths)
    summary = {"seed": a.seed, "genomes": len(comm), "contigs": len(L), "bp": int(L.sum()),
               "median_len": int(np.median(L)), "n_ge_2000": int((L >= 2000).sum()),
               "n_ge_10000": int((L >= 10000).sum()), "max_len": int(L.max()), **info}
    json.dump(summary, open(os.path.join(out, "community.json"), "w"), indent=1)
    print(f"  community: {len(comm)} genomes, {len(L)} contigs, {L.sum():,} bp, median {int(np.median(L))} bp, "
          f"{(L >= 2000).sum()} >= 2 kbp", file=sys.stderr)


def cmd_split(a):
    held = splits()[a.split]
    lin = lineages()
    d = os.path.join(a.cache, a.split, "ref")
    os.makedirs(d, exist_ok=True)
    gt = genomes_table()
    for h in held:
        if h not in lin:
            die(f"splits.tsv: {a.split}: unknown species key {h}")
    chosen = []
    for sp in lin:
        if sp in held:
            continue
        refonly = [g for g in gt if g["species"] == sp and g["role"] == "reference"]
        chosen += refonly or [g for g in gt if g["species"] == sp and g["role"] == "community"]
    tmp, ktmp = os.path.join(d, "ref.fna.tmp"), os.path.join(d, "ref_kraken.fna.tmp")
    with open(tmp, "w") as f, open(ktmp, "w") as kf, open(os.path.join(d, "ref_taxmap.tsv"), "w") as m, \
            open(os.path.join(d, "ref_genomes.tsv"), "w") as rg:
        rg.write("genome\tspecies_key\tstrain\trole\ttaxid\n")
        for g in chosen:
            tid = lin[g["species"]][-1][1]
            rg.write(f"{g['genome']}\t{g['species']}\t{g['strain']}\t{g['role']}\t{tid}\n")
            for i, (_, seq) in enumerate(read_records(os.path.join(a.cache, "genomes", g["genome"] + ".fna"))):
                sid = f"{g['genome']}_r{i + 1}"
                write_fasta(f, sid, seq)  # MMseqs2 input (plain ids, taxids via ref_taxmap.tsv)
                write_fasta(kf, f"{sid}|kraken:taxid|{tid}", seq)  # Kraken2 input
                m.write(f"{sid}\t{tid}\n")
    os.replace(ktmp, os.path.join(d, "ref_kraken.fna"))
    os.replace(tmp, os.path.join(d, "ref.fna"))
    with open(os.path.join(a.cache, a.split, "held_out.txt"), "w") as f:
        f.write("\n".join(held) + "\n")
    print(f"  {a.split}: reference {len(chosen)} genomes of {len(lin) - len(held)} species; "
          f"held out {','.join(held)}", file=sys.stderr)


def taxid_lineages():
    """taxid -> tuple of names (domain..rank of taxid)."""
    out = {}
    for L in lineages().values():
        for i, (_, tid) in enumerate(L):
            out[tid] = tuple(n for n, _ in L[:i + 1])
    return out


def cmd_stats(a):
    sd = os.path.join(a.cache, a.split)
    held = set(splits()[a.split])
    tl = taxid_lineages()
    truth, species = {}, {}
    with open(os.path.join(a.cache, "community", "contig_genome.tsv")) as f:
        next(f)
        for line in f:
            c, g, sp, _, L = line.rstrip("\n").split("\t")
            species[c] = sp
    lin = lineages()
    for c, sp in species.items():
        truth[c] = tuple(n for n, _ in lin[sp])

    def parse(kind, path):
        lab = {}
        with open(path) as f:
            for line in f:
                r = line.rstrip("\n").split("\t")
                if kind == "taxometer":
                    if r[0] == "contigs":
                        continue
                    names = tuple(x for x in (r[1].split(";") if len(r) > 1 else []) if x)
                    # drop placeholder ranks at the end; keep the known names in rank order
                    lab[r[0]] = names
                    continue
                if kind == "kraken2":
                    c, tid = r[1], int(r[2].split("(taxid ")[-1].rstrip(")")) if "(taxid" in r[2] else int(r[2])
                else:
                    c, tid = r[0], int(r[1])
                lab[c] = tl.get(tid, ())
        return lab

    # reference depth: how many leading ranks of a species' lineage some known species shares
    known = [tuple(n for n, _ in L) for k, L in lin.items() if k not in held]
    refdepth = {k: max(next((i for i in range(7) if t[i] != tuple(n for n, _ in L)[i]), 7) for t in known)
                for k, L in lin.items()}
    res = {"split": a.split, "held_out": sorted(held),
           "reference_depth": {k: RANK_LABEL[v - 1] if v else "none" for k, v in refdepth.items()}}
    inputs = [("kraken2", os.path.join(sd, "kraken2.out")), ("mmseqs2", os.path.join(sd, "mmseqs2_lca.tsv"))]
    if a.pred:
        inputs = [("taxometer", a.pred)]
    for kind, p in inputs:
        if not os.path.exists(p):
            continue
        lab = parse(kind, p)
        tab = {}
        for c, t in truth.items():
            cls = "novel" if species[c] in held else "known"
            l = lab.get(c, ())
            agree = next((i for i in range(len(l)) if l[i] != t[i]), len(l))
            if not l:
                k = "unclassified"
            elif l == t:
                k = "correct_species"
            elif agree == len(l):
                k = "shallow"
            else:
                k = "wrong"
            row = tab.setdefault(cls, {"contigs": 0, "unclassified": 0, "correct_species": 0, "shallow": 0,
                                       "shallow_at_reference_depth": 0, "wrong": 0, "wrong_agree_sum": 0})
            row["contigs"] += 1
            row[k] += 1
            if k == "shallow" and agree == refdepth[species[c]]:
                row["shallow_at_reference_depth"] += 1
            if k == "wrong":
                row["wrong_agree_sum"] += agree
        for row in tab.values():
            row["wrong_mean_correct_ranks"] = round(row.pop("wrong_agree_sum") / max(1, row["wrong"]), 2)
        res[kind] = tab
    print(json.dumps(res))
    if not a.pred:
        with open(os.path.join(sd, "raw_label_stats.json"), "w") as f:
            json.dump(res, f, indent=1)
    for kind in ("kraken2", "mmseqs2", "taxometer"):
        for cls, row in sorted(res.get(kind, {}).items()):
            n = row["contigs"]
            pct = lambda k: f"{100 * row[k] / n:5.1f}%"
            print(f"  {a.split} {kind:8s} {cls:5s} n={n:6d} unclassified {pct('unclassified')}  correct "
                  f"{pct('correct_species')}  shallow {pct('shallow')} (at ref depth {pct('shallow_at_reference_depth')})"
                  f"  wrong {pct('wrong')} (right down to {row['wrong_mean_correct_ranks']} ranks on average)",
                  file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("genomes"); s.add_argument("debroot"); s.add_argument("cache")
    s = sub.add_parser("community"); s.add_argument("cache"); s.add_argument("--seed", type=int, default=1)
    s.add_argument("--force", action="store_true")
    s = sub.add_parser("split"); s.add_argument("cache"); s.add_argument("split")
    s = sub.add_parser("stats"); s.add_argument("cache"); s.add_argument("split")
    s.add_argument("--pred", help="score this Taxometer TSV (e.g. run's predictions.tsv) instead of the raw labels")
    a = p.parse_args()
    {"genomes": cmd_genomes, "community": cmd_community, "split": cmd_split, "stats": cmd_stats}[a.cmd](a)


if __name__ == "__main__":
    main()

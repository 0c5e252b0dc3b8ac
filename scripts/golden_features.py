#!/usr/bin/env python3
"""Golden numbers for TaxDistill's vamb-compatible features, made by vamb itself.

Reference: the real vamb 5 package (pip `vamb==5.*`, which pulls vambcore 0.1.2 for
4-mer counting), NOT a re-implementation. Its own code paths are called:
  * raw TNF:   vamb.parsecontigs.Composition.from_file   (kmercounts -> _project -> mask_lower_bits)
  * abundance: vamb.parsebam.Abundance.from_tsv
  * normalised Taxometer input: vamb.encode.make_dataloader (the tensors Taxometer trains on,
    vamb/__main__.py::predict_taxonomy)

Usage (from the repository root):
  python3 scripts/golden_features.py kernel [--npz PATH]   # stdlib only: embed vamb/kernel.npz in Rust
  python3 scripts/golden_features.py golden                 # creates /work/venvs/vamb if missing, then reruns itself there

Outputs (tests/data/features/):
  contigs.fna (+ .gz; small.fna + .bz2 .xz .zst) >= 50 random contigs: various lengths (some < 2000 bp),
                                           lower case, N runs, IUPAC codes, U, CRLF, line widths
  abundance.tsv, abundance_s1.tsv          vamb format (3 samples / 1 sample), with zero rows
  abundance_jgi.txt, aemb/{0,1,2}.tsv      the same depths as jgi_summarize_bam_contig_depths / strobealign --aemb
  golden_tnf.tsv                           vamb's raw TNF of every contig (minlength 4)
  golden.tsv, golden_s1.tsv                vamb's normalised features of the contigs >= 2000 bp,
                                           columns in TaxDistill order: tnf0..tnf102, samples, log_abundance
and tests/data/bad_fasta_truncated.fna.{gz,bz2,xz,zst}.
"""

import os
import random
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "features"
VENV = Path("/work/venvs/vamb")
MIN_LENGTH = 2000
SEED = 20261125


def kernel(npz: Path) -> None:
    """Writes vamb's 256x103 float32 kernel as raw little-endian bytes."""
    with zipfile.ZipFile(npz) as z:
        raw = z.read("arr_0.npy")
    assert raw[:6] == b"\x93NUMPY"
    header_len = struct.unpack("<H", raw[8:10])[0]
    header = raw[10 : 10 + header_len].decode()
    assert "'<f4'" in header and "(256, 103)" in header and "False" in header, header
    data = raw[10 + header_len :]
    assert len(data) == 256 * 103 * 4
    dest = ROOT / "crates" / "core" / "src" / "features" / "kernel_f32le.bin"
    dest.write_bytes(data)
    print(f"wrote {dest} from {npz}")


def find_kernel() -> Path:
    for site in VENV.glob("lib/python3*/site-packages/vamb/kernel.npz"):
        return site
    sys.exit("vamb/kernel.npz not found: run `golden` first or pass --npz PATH")


def random_contigs(rng: random.Random):
    """(id, description, sequence) with genome-like composition differences."""
    contigs = []
    n = 60
    for i in range(n):
        # a few composition 'genomes' so TNF columns have real spread
        g = i % 6
        weights = [[1, 1, 1, 1], [3, 1, 1, 3], [1, 3, 3, 1], [2, 1, 3, 2], [1, 2, 1, 4], [4, 2, 2, 1]][g]
        if i < 8:
            length = rng.randint(100, 1999)  # short contigs: rows but no statistics
        else:
            length = int(min(6000, max(2000, rng.lognormvariate(7.8, 0.3))))
        # order-1 Markov chain to get non-trivial 4-mer structure
        seq = []
        prev = rng.randrange(4)
        for _ in range(length):
            w = list(weights)
            w[prev] += 2 * (g % 3)
            prev = rng.choices(range(4), weights=w)[0]
            seq.append("ACGT"[prev])
        # N runs, IUPAC codes, U, lower case stretches
        for _ in range(rng.randint(0, 3)):
            p = rng.randrange(length)
            for k in range(p, min(length, p + rng.randint(1, 40))):
                seq[k] = "N"
        for _ in range(rng.randint(0, 4)):
            seq[rng.randrange(length)] = rng.choice("RYSWKMBDHV")
        if i % 7 == 3:
            seq[rng.randrange(length)] = "U"
        s = "".join(seq)
        if i % 5 == 1:
            a = rng.randrange(length)
            b = min(length, a + rng.randint(50, 3000))
            s = s[:a] + s[a:b].lower() + s[b:]
        desc = f" len={length} flag=1" if i % 3 == 0 else ""
        contigs.append((f"S{1 + i % 3}C{i}", desc, s))
    return contigs


def write_fasta(path: Path, contigs, rng: random.Random) -> None:
    with open(path, "wb") as f:
        for i, (cid, desc, s) in enumerate(contigs):
            eol = b"\r\n" if i % 9 == 4 else b"\n"
            width = [60, 70, 80, 1000000][i % 4]
            f.write(b">" + (cid + desc).encode() + eol)
            for k in range(0, len(s), width):
                f.write(s[k : k + width].encode() + eol)


def write_abundances(contigs, rng: random.Random):
    ids = [c[0] for c in contigs]
    depths = []
    for i, cid in enumerate(ids):
        row = [round(rng.lognormvariate(1.0, 1.2), 4) if rng.random() > 0.15 else 0.0 for _ in range(3)]
        if i in (5, 20):  # zero in every sample (one short, one long contig)
            row = [0.0, 0.0, 0.0]
        depths.append(row)
    samples = ["sample1", "sample2", "sample3"]
    with open(OUT / "abundance.tsv", "w") as f:
        print("contigname\t" + "\t".join(samples), file=f)
        for cid, row in zip(ids, depths):
            print(cid + "\t" + "\t".join(str(v) for v in row), file=f)
    with open(OUT / "abundance_s1.tsv", "w") as f:
        print("contigname\tonly", file=f)
        for cid, row in zip(ids, depths):
            print(f"{cid}\t{row[0]}", file=f)
    lengths = {c[0]: len(c[2]) for c in contigs}
    with open(OUT / "abundance_jgi.txt", "w") as f:
        print("contigName\tcontigLen\ttotalAvgDepth\t" + "\t".join(f"{s}.bam\t{s}.bam-var" for s in samples), file=f)
        for cid, row in zip(ids, depths):
            cols = "\t".join(f"{v}\t{round(v * 0.3, 4)}" for v in row)
            print(f"{cid}\t{lengths[cid]}\t{round(sum(row), 4)}\t{cols}", file=f)
    (OUT / "aemb").mkdir(exist_ok=True)
    order = list(range(len(ids)))
    for j in range(3):
        rng.shuffle(order)  # --aemb files need not share an order
        with open(OUT / "aemb" / f"{j}.tsv", "w") as f:
            for i in order:
                print(f"{ids[i]}\t{depths[i][j]}", file=f)


def compress(tool: str, path: Path) -> bytes:
    cmd = [tool, "-c", "-q", str(path)] if tool == "zstd" else [tool, "-c", str(path)]
    return subprocess.run(cmd, stdout=subprocess.PIPE, check=True).stdout


def compress_twins(contigs) -> None:
    """contigs.fna.gz; small.fna (first 8 contigs) with .bz2/.xz/.zst twins; truncated streams."""
    fna = OUT / "contigs.fna"
    (OUT / "contigs.fna.gz").write_bytes(compress("gzip", fna))
    small = OUT / "small.fna"
    write_fasta(small, contigs[:8], None)
    for tool, ext in (("gzip", "gz"), ("bzip2", "bz2"), ("xz", "xz"), ("zstd", "zst")):
        if ext != "gz":
            (OUT / f"small.fna.{ext}").write_bytes(compress(tool, small))
        data = compress(tool, fna)
        (ROOT / "tests" / "data" / f"bad_fasta_truncated.fna.{ext}").write_bytes(data[: min(len(data) // 2, 12000)])


def write_matrix(path: Path, ids, columns, rows) -> None:
    with open(path, "w") as f:
        print("contigs\t" + "\t".join(columns), file=f)
        for cid, row in zip(ids, rows):
            print(cid + "\t" + "\t".join(f"{float(v):.9g}" for v in row), file=f)


def golden() -> None:
    import numpy as np
    import vamb

    OUT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    contigs = random_contigs(rng)
    write_fasta(OUT / "contigs.fna", contigs, rng)
    write_abundances(contigs, rng)
    compress_twins(contigs)

    fna = OUT / "contigs.fna"
    tnf_cols = [f"tnf{i}" for i in range(103)]
    # raw TNF of every contig, vamb's own parser and projection
    with vamb.vambtools.Reader(fna) as fh:
        comp_all = vamb.parsecontigs.Composition.from_file(fh, str(fna), minlength=4)
    assert comp_all.nseqs == len(contigs)
    write_matrix(OUT / "golden_tnf.tsv", comp_all.metadata.identifiers, tnf_cols, comp_all.matrix)

    # Taxometer's input: contigs >= 2000 bp, vamb.encode.make_dataloader
    for abundance_file, golden_file in (("abundance.tsv", "golden.tsv"), ("abundance_s1.tsv", "golden_s1.tsv")):
        with vamb.vambtools.Reader(fna) as fh:
            comp = vamb.parsecontigs.Composition.from_file(fh, str(fna), minlength=MIN_LENGTH)
        ab = vamb.parsebam.Abundance.from_tsv(OUT / abundance_file, comp.metadata)
        loader = vamb.encode.make_dataloader(ab.matrix, comp.matrix, comp.metadata.lengths, batchsize=4)
        depths, tnf, total, _weights = (t.numpy() for t in loader.dataset.tensors)
        rows = np.concatenate([tnf, depths, total], axis=1)
        columns = tnf_cols + list(ab.samplenames) + ["log_abundance"]
        write_matrix(OUT / golden_file, comp.metadata.identifiers, columns, rows)
        print(f"{golden_file}: {rows.shape[0]} contigs >= {MIN_LENGTH} bp of {len(contigs)}, {len(ab.samplenames)} sample(s)")
    print(f"vamb {vamb.__version_str__}, numpy {np.__version__}; wrote {OUT}")


def main() -> None:
    cmd = sys.argv[1] if len(sys.argv) > 1 else "golden"
    if cmd == "kernel":
        npz = Path(sys.argv[sys.argv.index("--npz") + 1]) if "--npz" in sys.argv else find_kernel()
        kernel(npz)
    elif cmd == "golden":
        py = VENV / "bin" / "python"
        if Path(sys.prefix).resolve() != VENV.resolve() and os.environ.get("GOLDEN_IN_VENV") != "1":
            if not py.exists():
                subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
                subprocess.run([str(py), "-m", "pip", "install", "-q", "vamb==5.*"], check=True)
            env = dict(os.environ, GOLDEN_IN_VENV="1")
            sys.exit(subprocess.run([str(py), __file__, "golden"], env=env).returncode)
        golden()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

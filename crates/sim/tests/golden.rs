//! The independent label model is byte-identical to the simulator before the
//! realistic model existed: FNV-1a hashes of every output, recorded from the
//! old code (before `LabelModel` was added), for three small configurations.
//! README.txt only gained the `label_model = independent` settings line and
//! the `[labels by genome novelty]` section; both are cut before hashing.

use taxdistill_sim::{simulate, LabelModel, Profile, SimConfig};

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn configs() -> Vec<(&'static str, SimConfig)> {
    let k2 = SimConfig {
        seed: 11,
        genomes: 15,
        contigs: 300,
        samples: 2,
        label_model: LabelModel::Independent,
        ..SimConfig::with_profile(Profile::Kraken2)
    };
    let mm = SimConfig {
        seed: 12,
        genomes: 25,
        contigs: 400,
        samples: 3,
        novel_genera: 0.2,
        label_model: LabelModel::Independent,
        ..SimConfig::with_profile(Profile::Mmseqs2)
    };
    let mut rates = SimConfig {
        seed: 13,
        genomes: 20,
        contigs: 250,
        samples: 1,
        label_model: LabelModel::Independent,
        ..SimConfig::with_profile(Profile::Mmseqs2)
    };
    rates.noise.wrong = 0.2;
    rates.noise.nearest = 0.9;
    vec![("kraken2", k2), ("mmseqs2", mm), ("rates", rates)]
}

fn outputs(c: &taxdistill_sim::Community) -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let mut v = Vec::new();
    taxdistill_sim::write_fasta(c, &mut v).unwrap();
    out.push(("fasta", v));
    type Writer = fn(&taxdistill_sim::Community, &mut Vec<u8>) -> taxdistill_sim::Result<()>;
    let writers: [(&str, Writer); 6] = [
        ("abundance", |c, w| taxdistill_sim::write_abundance(c, w)),
        ("truth", |c, w| taxdistill_sim::write_truth(c, w)),
        ("labels", |c, w| taxdistill_sim::write_labels(c, w)),
        ("mmseqs2", |c, w| taxdistill_sim::write_mmseqs2(c, w)),
        ("kraken2", |c, w| taxdistill_sim::write_kraken2(c, w)),
        ("readme", |c, w| taxdistill_sim::write_readme(c, w)),
    ];
    for (n, f) in writers {
        let mut v = Vec::new();
        f(c, &mut v).unwrap();
        out.push((n, v));
    }
    let (mut a, mut b, mut m) = (Vec::new(), Vec::new(), Vec::new());
    taxdistill_sim::write_taxdump(c, &mut a, &mut b, &mut m).unwrap();
    out.extend([("nodes", a), ("names", b), ("merged", m)]);
    out
}

/// Recorded from the simulator before the realistic label model existed.
const GOLDEN: [(&str, &str, u64); 30] = [
    ("kraken2", "fasta", 0xa11dc0aef404949c),
    ("kraken2", "abundance", 0xf4b779f96923d9be),
    ("kraken2", "truth", 0x98518cd0feac801f),
    ("kraken2", "labels", 0xf0b4991b34c11417),
    ("kraken2", "mmseqs2", 0x58ac7f25a104a66f),
    ("kraken2", "kraken2", 0x4bd3100df1c4c279),
    ("kraken2", "readme", 0x96127ad59f313bb2),
    ("kraken2", "nodes", 0x8e99a56756107e56),
    ("kraken2", "names", 0x4bb36b5ff59c581d),
    ("kraken2", "merged", 0x551e92356c7be7f9),
    ("mmseqs2", "fasta", 0x8b88001c13f70bf9),
    ("mmseqs2", "abundance", 0xbc43f9fce8dbb8c5),
    ("mmseqs2", "truth", 0x867690589431fce0),
    ("mmseqs2", "labels", 0xc5024a9e827bce9c),
    ("mmseqs2", "mmseqs2", 0x0a3a193cce8e13a4),
    ("mmseqs2", "kraken2", 0xc812c659c1476344),
    ("mmseqs2", "readme", 0x8b57eb00b924074e),
    ("mmseqs2", "nodes", 0x0afe624a4c506e2e),
    ("mmseqs2", "names", 0xe94af125e90798db),
    ("mmseqs2", "merged", 0x4ff6853f636a10f8),
    ("rates", "fasta", 0x99f4ff4fb63ff6cb),
    ("rates", "abundance", 0xdac1d73324831c78),
    ("rates", "truth", 0xbc30a7f570720fbd),
    ("rates", "labels", 0x828ef7a5571114cf),
    ("rates", "mmseqs2", 0xcca3ee096b353e71),
    ("rates", "kraken2", 0xe7870dfd1c327fb8),
    ("rates", "readme", 0x6e41153c89652435),
    ("rates", "nodes", 0x4be764046b0d519d),
    ("rates", "names", 0x19c892bc4ecf4078),
    ("rates", "merged", 0x59af0ae3b70e8176),
];

/// README.txt as the old code wrote it: without the `label_model` line and
/// the per-novelty section.
fn old_readme(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let text = text
        .split("\n[labels by genome novelty]")
        .next()
        .unwrap()
        .to_string();
    let kept: Vec<&str> = text
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("label_model = "))
        .collect();
    kept.concat().into_bytes()
}

#[test]
fn independent_model_is_byte_identical_to_the_old_simulator() {
    let mut checked = 0;
    for (name, cfg) in configs() {
        let c = simulate(&cfg).unwrap();
        for (file, bytes) in outputs(&c) {
            let bytes = if file == "readme" {
                let text = String::from_utf8(bytes.clone()).unwrap();
                assert!(text.contains("label_model = independent\n"), "{text}");
                old_readme(&bytes)
            } else {
                bytes
            };
            let want = GOLDEN
                .iter()
                .find(|g| g.0 == name && g.1 == file)
                .unwrap()
                .2;
            assert_eq!(fnv(&bytes), want, "{name} {file}");
            checked += 1;
        }
    }
    assert_eq!(checked, GOLDEN.len());
}

//! Properties of simulated communities: determinism, composition signal,
//! label-noise rates (both label models), abundances and the file formats
//! (checked against the format specifications with small independent parsers).

use std::collections::HashMap;
use taxdistill_sim::{simulate, write_abundance, LabelKind, LabelModel, Profile, SimConfig};

fn small(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        genomes: 20,
        contigs: 400,
        samples: 3,
        ..SimConfig::default()
    }
}

fn all_bytes(c: &taxdistill_sim::Community) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut v = Vec::new();
    taxdistill_sim::write_fasta(c, &mut v).unwrap();
    out.push(v);
    type Writer = fn(&taxdistill_sim::Community, &mut Vec<u8>) -> taxdistill_sim::Result<()>;
    let writers: [Writer; 6] = [
        |c, w| taxdistill_sim::write_abundance(c, w),
        |c, w| taxdistill_sim::write_truth(c, w),
        |c, w| taxdistill_sim::write_labels(c, w),
        |c, w| taxdistill_sim::write_mmseqs2(c, w),
        |c, w| taxdistill_sim::write_kraken2(c, w),
        |c, w| taxdistill_sim::write_readme(c, w),
    ];
    for f in writers {
        let mut v = Vec::new();
        f(c, &mut v).unwrap();
        out.push(v);
    }
    let (mut a, mut b, mut m) = (Vec::new(), Vec::new(), Vec::new());
    taxdistill_sim::write_taxdump(c, &mut a, &mut b, &mut m).unwrap();
    out.extend([a, b, m]);
    out
}

#[test]
fn same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    for model in [LabelModel::Realistic, LabelModel::Independent] {
        for profile in [Profile::Kraken2, Profile::Mmseqs2] {
            let cfg = |seed| SimConfig {
                label_model: model,
                profile,
                ..small(seed)
            };
            let a = all_bytes(&simulate(&cfg(7)).unwrap());
            let b = all_bytes(&simulate(&cfg(7)).unwrap());
            assert_eq!(a, b, "{model:?} {profile:?}");
            let c = all_bytes(&simulate(&cfg(8)).unwrap());
            for (x, y) in a.iter().zip(&c).take(6) {
                assert_ne!(x, y);
            }
        }
    }
}

#[test]
fn the_label_model_changes_only_labels_and_raw_label_files() {
    let a = simulate(&small(7)).unwrap();
    let b = simulate(&SimConfig {
        label_model: LabelModel::Independent,
        ..small(7)
    })
    .unwrap();
    let (x, y) = (all_bytes(&a), all_bytes(&b));
    // FASTA, abundance, truth and the taxdump do not depend on the label model
    for i in [0, 1, 2, 7, 8, 9] {
        assert_eq!(x[i], y[i], "output {i}");
    }
    assert_ne!(x[3], y[3], "labels.tsv");
}

/// The student's tetranucleotide features (vamb's 103-dimensional projection).
fn tnf(seq: &[u8]) -> Vec<f64> {
    taxdistill_core::features::tnf(seq)
        .iter()
        .map(|&x| f64::from(x))
        .collect()
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Ancestor index of a genome's species at a rank.
fn ancestor(c: &taxdistill_sim::Community, genome: usize, rank: usize) -> usize {
    c.taxonomy.path(c.genomes[genome].species)[rank]
}

#[test]
fn relatives_are_closer_in_tnf_than_non_relatives() {
    let cfg = SimConfig {
        seed: 3,
        genomes: 64,
        contigs: 640,
        mean_length: 20_000.0,
        sd_length: 5_000.0,
        ..SimConfig::default()
    };
    let c = simulate(&cfg).unwrap();
    let profiles: Vec<Vec<f64>> = (0..c.contigs.len()).map(|i| tnf(&c.sequence(i))).collect();
    // mean distance between contigs that share a rank r ancestor but not r+1
    let mut sums = [0.0f64; 8];
    let mut counts = [0usize; 8];
    for i in 0..profiles.len() {
        for j in (i + 1)..profiles.len() {
            let (gi, gj) = (c.contigs[i].genome, c.contigs[j].genome);
            let shared = if gi == gj {
                7
            } else {
                (0..7)
                    .take_while(|&r| ancestor(&c, gi, r) == ancestor(&c, gj, r))
                    .count()
            };
            sums[shared] += dist(&profiles[i], &profiles[j]);
            counts[shared] += 1;
        }
    }
    let mean: Vec<Option<f64>> = (0..8)
        .map(|k| (counts[k] > 0).then(|| sums[k] / counts[k] as f64))
        .collect();
    let same_genome = mean[7].unwrap();
    let same_genus = mean[6].unwrap();
    let same_order = mean[4].unwrap();
    let unrelated = mean[0].or(mean[1]).unwrap();
    assert!(same_genome < same_genus, "{mean:?}");
    assert!(same_genus < same_order, "{mean:?}");
    assert!(same_order < unrelated, "{mean:?}");
}

/// Genus accuracy of a nearest-centroid TNF classifier trained on half the
/// contigs of each genome: informative, but not trivially separable.
#[test]
fn tnf_alone_classifies_genera_well_but_not_perfectly() {
    let cfg = SimConfig {
        seed: 11,
        genomes: 60,
        contigs: 3000,
        ..SimConfig::default()
    };
    let c = simulate(&cfg).unwrap();
    let profiles: Vec<Vec<f64>> = (0..c.contigs.len()).map(|i| tnf(&c.sequence(i))).collect();
    let genus_of = |i: usize| ancestor(&c, c.contigs[i].genome, 5);
    let mut centroid: HashMap<usize, (Vec<f64>, usize)> = HashMap::new();
    for (i, p) in profiles.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        let e = centroid
            .entry(genus_of(i))
            .or_insert_with(|| (vec![0.0; p.len()], 0));
        for (a, b) in e.0.iter_mut().zip(p) {
            *a += b;
        }
        e.1 += 1;
    }
    let cents: Vec<(usize, Vec<f64>)> = centroid
        .into_iter()
        .map(|(g, (s, n))| (g, s.iter().map(|x| x / n as f64).collect()))
        .collect();
    let (mut right, mut total) = (0, 0);
    for (i, p) in profiles.iter().enumerate().filter(|(i, _)| i % 2 == 1) {
        let best = cents
            .iter()
            .min_by(|a, b| dist(&a.1, p).total_cmp(&dist(&b.1, p)))
            .unwrap()
            .0;
        right += usize::from(best == genus_of(i));
        total += 1;
    }
    let acc = right as f64 / total as f64;
    eprintln!("nearest-centroid TNF genus accuracy: {acc:.3}");
    assert!((0.6..=0.92).contains(&acc), "genus accuracy {acc}");
}

#[test]
fn label_noise_rates_match_the_flags() {
    for profile in [Profile::Kraken2, Profile::Mmseqs2] {
        let cfg = SimConfig {
            seed: 5,
            genomes: 200,
            contigs: 20_000,
            label_model: LabelModel::Independent,
            ..SimConfig::with_profile(profile)
        };
        let c = simulate(&cfg).unwrap();
        let n = c.contigs.len() as f64;
        let share =
            |k: LabelKind| c.contigs.iter().filter(|r| r.label_kind == k).count() as f64 / n;
        let tol = 0.015;
        assert!(
            (share(LabelKind::Unclassified) - cfg.noise.unclassified).abs() < tol,
            "{profile:?} unclassified"
        );
        assert!(
            (share(LabelKind::Wrong) - cfg.noise.wrong).abs() < tol,
            "{profile:?} wrong"
        );
        assert!(
            (share(LabelKind::Shallow) - cfg.noise.shallow).abs() < tol,
            "{profile:?} shallow"
        );
        // novel taxa: labels never reach below the reference depth unless nearest/wrong
        for (i, r) in c.contigs.iter().enumerate() {
            let g = &c.genomes[r.genome];
            let label = c.label(i);
            let truth = c.truth(i);
            match r.label_kind {
                LabelKind::Correct => assert_eq!(&label, truth),
                LabelKind::Novel => {
                    assert!(g.reference_depth < 7);
                    assert_eq!(label[..], truth[..g.reference_depth]);
                }
                LabelKind::Shallow => {
                    assert!(label.len() < g.reference_depth);
                    assert_eq!(label[..], truth[..label.len()]);
                }
                LabelKind::Nearest => {
                    assert!(g.reference_depth < 7);
                    assert_eq!(label[..g.reference_depth], truth[..g.reference_depth]);
                    assert_ne!(label.get(g.reference_depth), truth.get(g.reference_depth));
                }
                LabelKind::Wrong => assert!(label.iter().zip(truth).any(|(a, b)| a != b)),
                LabelKind::Unclassified => assert!(label.is_empty()),
            }
        }
        // novel shares: species absent from the reference
        let novel = c.genomes.iter().filter(|g| g.reference_depth < 7).count() as f64
            / c.genomes.len() as f64;
        let expect = cfg.novel_species + cfg.novel_genera + cfg.novel_families;
        assert!(
            novel >= cfg.novel_species && novel <= expect + 0.15,
            "novel genome share {novel}"
        );
    }
}

#[test]
fn nearest_relative_labels_appear_only_when_asked_for() {
    let mut cfg = SimConfig {
        seed: 9,
        genomes: 100,
        contigs: 3000,
        label_model: LabelModel::Independent,
        ..SimConfig::default()
    };
    cfg.noise.nearest = 0.0;
    let c = simulate(&cfg).unwrap();
    assert!(c.contigs.iter().all(|r| r.label_kind != LabelKind::Nearest));
    cfg.noise.nearest = 1.0;
    let c = simulate(&cfg).unwrap();
    assert!(c.contigs.iter().any(|r| r.label_kind == LabelKind::Nearest));
}

#[test]
fn one_sample_works_and_abundances_are_finite_and_nonnegative() {
    let cfg = SimConfig {
        samples: 1,
        ..small(2)
    };
    let c = simulate(&cfg).unwrap();
    assert!(c
        .contigs
        .iter()
        .all(|r| r.depth.len() == 1 && r.depth[0].is_finite() && r.depth[0] >= 0.0));
    assert!(c.genomes.iter().all(|g| g.present == vec![true]));
    let mut v = Vec::new();
    write_abundance(&c, &mut v).unwrap();
    let text = String::from_utf8(v).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("contigname\tsample1"));
    for l in lines {
        let f: Vec<&str> = l.split('\t').collect();
        assert_eq!(f.len(), 2);
        let x: f64 = f[1].parse().unwrap();
        assert!(x >= 0.0);
    }
}

#[test]
fn absent_genomes_keep_only_a_mismapping_floor() {
    let cfg = SimConfig {
        seed: 4,
        genomes: 40,
        contigs: 2000,
        samples: 4,
        absent_rate: 0.3,
        ..SimConfig::default()
    };
    let c = simulate(&cfg).unwrap();
    let mean_depth = |present: bool| {
        let (mut s, mut n) = (0.0, 0usize);
        for r in &c.contigs {
            for (k, d) in r.depth.iter().enumerate() {
                if c.genomes[r.genome].present[k] == present {
                    s += d;
                    n += 1;
                }
            }
        }
        s / n.max(1) as f64
    };
    assert!(c.genomes.iter().all(|g| g.present.iter().any(|&p| p)));
    assert!(c.genomes.iter().any(|g| g.present.iter().any(|&p| !p)));
    assert!(
        mean_depth(false) < 0.05 * mean_depth(true),
        "{} vs {}",
        mean_depth(false),
        mean_depth(true)
    );
    // overall mean depth near the requested one (library sizes vary by sample)
    let all: f64 =
        c.contigs.iter().flat_map(|r| r.depth.iter()).sum::<f64>() / (c.contigs.len() * 4) as f64;
    assert!(all > 2.0 && all < 200.0);
}

#[test]
fn fasta_has_every_contig_with_its_length_some_short_some_n_some_lowercase() {
    let c = simulate(&SimConfig {
        seed: 1,
        n_run_rate: 0.2,
        lowercase_rate: 0.2,
        ..small(1)
    })
    .unwrap();
    let mut v = Vec::new();
    taxdistill_sim::write_fasta(&c, &mut v).unwrap();
    let text = String::from_utf8(v).unwrap();
    let mut seqs: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix('>') {
            seqs.push((
                h.split_whitespace().next().unwrap().to_string(),
                String::new(),
            ));
        } else {
            assert!(line.len() <= 80);
            seqs.last_mut().unwrap().1.push_str(line);
        }
    }
    assert_eq!(seqs.len(), c.contigs.len());
    for ((id, s), r) in seqs.iter().zip(&c.contigs) {
        assert_eq!(id, &r.id);
        assert_eq!(s.len(), r.len);
        assert!(r.len >= 1000);
    }
    assert!(c.contigs.iter().any(|r| r.len < 2000));
    assert!(seqs.iter().any(|(_, s)| s.contains('N')));
    assert!(seqs
        .iter()
        .any(|(_, s)| s.bytes().any(|b| b.is_ascii_lowercase())));
}

#[test]
fn contig_lengths_follow_the_requested_mean() {
    let c = simulate(&SimConfig {
        seed: 6,
        genomes: 50,
        contigs: 20_000,
        mean_length: 8000.0,
        sd_length: 4000.0,
        ..SimConfig::default()
    })
    .unwrap();
    let mean = c.total_length() as f64 / c.contigs.len() as f64;
    assert!((mean - 8000.0).abs() < 400.0, "mean length {mean}");
}

/// NCBI taxdump → (taxid → (parent, rank, name)), merged old → new.
struct Dump {
    nodes: HashMap<u32, (u32, String)>,
    names: HashMap<u32, String>,
    merged: HashMap<u32, u32>,
}

fn dmp_fields(line: &str) -> Vec<&str> {
    let line = line
        .strip_suffix("\t|")
        .expect("dmp lines end with tab-pipe");
    line.split("\t|\t").collect()
}

fn dump_of(c: &taxdistill_sim::Community) -> Dump {
    let (mut a, mut b, mut m) = (Vec::new(), Vec::new(), Vec::new());
    taxdistill_sim::write_taxdump(c, &mut a, &mut b, &mut m).unwrap();
    let mut d = Dump {
        nodes: HashMap::new(),
        names: HashMap::new(),
        merged: HashMap::new(),
    };
    for l in String::from_utf8(a).unwrap().lines() {
        let f = dmp_fields(l);
        assert_eq!(f.len(), 13, "nodes.dmp has 13 fields: {l}");
        d.nodes.insert(
            f[0].parse().unwrap(),
            (f[1].parse().unwrap(), f[2].to_string()),
        );
    }
    for l in String::from_utf8(b).unwrap().lines() {
        let f = dmp_fields(l);
        assert_eq!(f.len(), 4);
        assert_eq!(f[3], "scientific name");
        d.names.insert(f[0].parse().unwrap(), f[1].to_string());
    }
    for l in String::from_utf8(m).unwrap().lines() {
        let f = dmp_fields(l);
        d.merged
            .insert(f[0].parse().unwrap(), f[1].parse().unwrap());
    }
    d
}

impl Dump {
    fn lineage(&self, taxid: u32) -> Vec<String> {
        let mut t = *self.merged.get(&taxid).unwrap_or(&taxid);
        let mut out = Vec::new();
        while t != 1 {
            let (parent, rank) = &self.nodes[&t];
            if rank != "no rank" {
                out.push(self.names[&t].clone());
            }
            t = *parent;
        }
        out.reverse();
        out
    }
}

#[test]
fn raw_kraken2_and_mmseqs2_files_give_the_labels_through_the_taxdump() {
    for model in [LabelModel::Realistic, LabelModel::Independent] {
        for profile in [Profile::Kraken2, Profile::Mmseqs2] {
            raw_files_give_the_labels(
                &simulate(&SimConfig {
                    label_model: model,
                    profile,
                    ..small(12)
                })
                .unwrap(),
            );
        }
    }
}

fn raw_files_give_the_labels(c: &taxdistill_sim::Community) {
    let dump = dump_of(c);
    assert_eq!(dump.nodes[&1], (1, "no rank".to_string()));
    assert!(!dump.merged.is_empty());
    let labels: Vec<Vec<String>> = (0..c.contigs.len()).map(|i| c.label(i)).collect();

    let mut v = Vec::new();
    taxdistill_sim::write_kraken2(c, &mut v).unwrap();
    let text = String::from_utf8(v).unwrap();
    let mut used_merged = false;
    for (line, (r, label)) in text.lines().zip(c.contigs.iter().zip(&labels)) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 5);
        assert_eq!(f[1], r.id);
        assert_eq!(f[3].parse::<usize>().unwrap(), r.len);
        let taxid: u32 = f[2].parse().unwrap();
        assert_eq!(f[0], if label.is_empty() { "U" } else { "C" });
        used_merged |= dump.merged.contains_key(&taxid);
        let got = if taxid == 0 {
            Vec::new()
        } else {
            dump.lineage(taxid)
        };
        assert_eq!(&got, label, "{line}");
        let kmers: usize = f[4]
            .split(' ')
            .map(|p| p.rsplit_once(':').unwrap().1.parse::<usize>().unwrap())
            .sum();
        assert_eq!(kmers, r.len - 34);
    }
    assert!(used_merged, "some Kraken2 lines use merged taxids");

    let mut v = Vec::new();
    taxdistill_sim::write_mmseqs2(c, &mut v).unwrap();
    let text = String::from_utf8(v).unwrap();
    for (line, (r, label)) in text.lines().zip(c.contigs.iter().zip(&labels)) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 9, "{line}");
        assert_eq!(f[0], r.id);
        let taxid: u32 = f[1].parse().unwrap();
        if label.is_empty() {
            assert_eq!(&f[1..4], &["0", "no rank", "unclassified"]);
            assert_eq!(f[8], "");
            continue;
        }
        assert_eq!(dump.lineage(taxid), *label);
        assert_eq!(f[3], label.last().unwrap());
        let from_lineage: Vec<String> = f[8]
            .split(';')
            .filter(|p| !p.starts_with("-_"))
            .map(|p| p[2..].to_string())
            .collect();
        assert_eq!(&from_lineage, label);
        let (frag, assigned, agree): (usize, usize, usize) = (
            f[4].parse().unwrap(),
            f[5].parse().unwrap(),
            f[6].parse().unwrap(),
        );
        assert!(agree <= assigned && assigned <= frag && agree >= 1);
        let support: f64 = f[7].parse().unwrap();
        assert!((0.0..=1.0).contains(&support));
    }
}

#[test]
fn truth_and_labels_are_taxometer_tsv_with_seven_rank_truths() {
    let c = simulate(&small(13)).unwrap();
    let mut v = Vec::new();
    taxdistill_sim::write_truth(&c, &mut v).unwrap();
    let text = String::from_utf8(v).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("contigs\tpredictions"));
    for (l, r) in lines.zip(&c.contigs) {
        let (id, lin) = l.split_once('\t').unwrap();
        assert_eq!(id, r.id);
        assert_eq!(lin.split(';').count(), 7);
        assert!(!lin.contains("__"));
    }
    let mut v = Vec::new();
    taxdistill_sim::write_labels(&c, &mut v).unwrap();
    let text = String::from_utf8(v).unwrap();
    assert!(
        text.lines().skip(1).any(|l| l.ends_with('\t')),
        "some unclassified labels"
    );
}

#[test]
fn a_bad_config_is_an_error_not_a_panic() {
    let cfg = SimConfig {
        samples: 0,
        ..SimConfig::default()
    };
    assert!(matches!(
        simulate(&cfg),
        Err(taxdistill_sim::Error::BadConfig {
            name: "samples",
            ..
        })
    ));
}

// ---------------------------------------------------------------------------
// The realistic label model

fn realistic(profile: Profile, seed: u64) -> taxdistill_sim::Community {
    simulate(&SimConfig {
        seed,
        genomes: 300,
        contigs: 30_000,
        samples: 1,
        ..SimConfig::with_profile(profile)
    })
    .unwrap()
}

/// Shares of each label kind among the contigs of genomes passing `keep`.
fn kind_shares(
    c: &taxdistill_sim::Community,
    keep: impl Fn(&taxdistill_sim::Genome, &taxdistill_sim::ContigRecord) -> bool,
) -> HashMap<LabelKind, f64> {
    let mut n = 0usize;
    let mut m: HashMap<LabelKind, usize> = HashMap::new();
    for r in &c.contigs {
        if keep(&c.genomes[r.genome], r) {
            n += 1;
            *m.entry(r.label_kind).or_default() += 1;
        }
    }
    assert!(n > 200, "too few contigs ({n})");
    LabelKind::ALL
        .iter()
        .map(|&k| (k, *m.get(&k).unwrap_or(&0) as f64 / n as f64))
        .collect()
}

#[test]
fn realistic_label_kinds_mean_what_they_say() {
    for profile in [Profile::Kraken2, Profile::Mmseqs2] {
        let c = realistic(profile, 31);
        assert_eq!(c.config.label_model, LabelModel::Realistic);
        for (i, r) in c.contigs.iter().enumerate() {
            let g = &c.genomes[r.genome];
            let (label, truth) = (c.label(i), c.truth(i));
            match r.label_kind {
                LabelKind::Correct => {
                    assert_eq!(g.reference_depth, 7);
                    assert_eq!(&label, truth);
                }
                LabelKind::Novel => {
                    assert!(g.reference_depth < 7);
                    assert_eq!(label[..], truth[..g.reference_depth]);
                }
                LabelKind::Shallow => {
                    assert!(label.len() < g.reference_depth);
                    assert_eq!(label[..], truth[..label.len()]);
                }
                LabelKind::Nearest => {
                    // the genome's own relative: a known species
                    assert!(g.reference_depth < 7);
                    let t = r.label_taxon.unwrap();
                    assert!(g.relatives.contains(&t));
                    assert!(c.taxonomy.taxa[t].in_reference);
                    assert_eq!(label.len(), 7);
                    assert_ne!(label[6], truth[6]);
                }
                LabelKind::Wrong => assert!(label.iter().zip(truth).any(|(a, b)| a != b)),
                LabelKind::Unclassified => assert!(label.is_empty()),
            }
        }
        // relatives: novel genomes have one or two, known genomes none
        for g in &c.genomes {
            if g.reference_depth == 7 {
                assert!(g.relatives.is_empty());
            } else {
                assert!((1..=2).contains(&g.relatives.len()));
                // a closest known species: it shares the deepest known
                // ancestor of the genome whenever that ancestor holds one
                let path = c.taxonomy.path(g.species);
                let rel = c.taxonomy.path(g.relatives[0]);
                let shared = path.iter().zip(&rel).take_while(|(a, b)| a == b).count();
                assert!(shared <= g.reference_depth);
            }
        }
    }
}

#[test]
fn realistic_kraken2_leaves_novel_genomes_mostly_unclassified_and_known_ones_precise() {
    let c = realistic(Profile::Kraken2, 32);
    let known = kind_shares(&c, |g, _| g.reference_depth == 7);
    let novel_genus = kind_shares(&c, |g, _| g.reference_depth <= 5);
    let novel_species = kind_shares(&c, |g, _| g.reference_depth == 6);
    let u = LabelKind::Unclassified;
    assert!(known[&u] < 0.05, "known unclassified {}", known[&u]);
    assert!(known[&LabelKind::Correct] > 0.93, "{known:?}");
    assert!(known[&LabelKind::Wrong] < 0.02, "{known:?}");
    assert!(
        novel_genus[&u] > 0.8,
        "novel genus unclassified {novel_genus:?}"
    );
    // the further from the reference, the more unclassified
    assert!(novel_species[&u] < novel_genus[&u], "{novel_species:?}");
    // what is labelled of a novel genome is mostly its relative's species
    let labelled = 1.0 - novel_genus[&u];
    assert!(
        novel_genus[&LabelKind::Nearest] > 0.5 * labelled,
        "{novel_genus:?}"
    );
    // species precision of labelled known-genome contigs
    let (mut right, mut all) = (0, 0);
    for (i, r) in c.contigs.iter().enumerate() {
        if c.genomes[r.genome].reference_depth == 7 && c.label(i).len() == 7 {
            all += 1;
            right += usize::from(r.label_taxon == Some(c.genomes[r.genome].species));
        }
    }
    let precision = right as f64 / all as f64;
    assert!(precision > 0.97, "species precision {precision}");
}

#[test]
fn realistic_mmseqs2_labels_novel_genomes_with_a_relative_or_a_shallower_rank() {
    let c = realistic(Profile::Mmseqs2, 33);
    let known = kind_shares(&c, |g, _| g.reference_depth == 7);
    let novel = kind_shares(&c, |g, _| g.reference_depth < 7);
    assert!(
        (0.7..0.86).contains(&known[&LabelKind::Correct]),
        "{known:?}"
    );
    assert!(
        (0.12..0.3).contains(&known[&LabelKind::Shallow]),
        "{known:?}"
    );
    assert!(known[&LabelKind::Unclassified] < 0.03, "{known:?}");
    assert!(
        (0.5..0.8).contains(&novel[&LabelKind::Nearest]),
        "{novel:?}"
    );
    let higher = novel[&LabelKind::Novel] + novel[&LabelKind::Shallow];
    assert!((0.2..0.45).contains(&higher), "{novel:?}");
    assert!(novel[&LabelKind::Unclassified] < 0.1, "{novel:?}");
}

#[test]
fn realistic_errors_are_consistent_within_a_genome() {
    for profile in [Profile::Kraken2, Profile::Mmseqs2] {
        let c = realistic(profile, 34);
        // species labels of each novel genome's contigs
        let mut per: HashMap<usize, HashMap<usize, usize>> = HashMap::new();
        for (i, r) in c.contigs.iter().enumerate() {
            let g = &c.genomes[r.genome];
            if g.reference_depth < 7 && c.label(i).len() == 7 {
                *per.entry(r.genome)
                    .or_default()
                    .entry(r.label_taxon.unwrap())
                    .or_default() += 1;
            }
        }
        let (mut top, mut all, mut majority_genomes, mut genomes) = (0, 0, 0, 0);
        for (g, m) in &per {
            let (&best, &n) = m.iter().max_by_key(|(t, n)| (**n, **t)).unwrap();
            let sum: usize = m.values().sum();
            top += n;
            all += sum;
            if sum >= 10 {
                genomes += 1;
                if n * 2 > sum {
                    majority_genomes += 1;
                    assert!(c.genomes[*g].relatives.contains(&best));
                }
            }
        }
        let share = top as f64 / all as f64;
        assert!(share > 0.75, "{profile:?}: top-label share {share}");
        assert!(genomes >= 10, "{profile:?}: {genomes} genomes");
        assert!(
            majority_genomes as f64 >= 0.9 * genomes as f64,
            "{profile:?}: {majority_genomes} of {genomes} genomes have a majority label"
        );
    }
}

#[test]
fn realistic_short_contigs_are_more_often_unclassified_or_shallow() {
    let share = |c: &taxdistill_sim::Community, kind: LabelKind, short: bool| {
        let v: Vec<bool> = c
            .contigs
            .iter()
            .filter(|r| c.genomes[r.genome].reference_depth == 7)
            .filter(|r| if short { r.len < 2000 } else { r.len > 8000 })
            .map(|r| r.label_kind == kind)
            .collect();
        v.iter().filter(|&&x| x).count() as f64 / v.len() as f64
    };
    let k2 = realistic(Profile::Kraken2, 35);
    let (s, l) = (
        share(&k2, LabelKind::Unclassified, true),
        share(&k2, LabelKind::Unclassified, false),
    );
    assert!(s > 1.5 * l, "kraken2 unclassified short {s} long {l}");
    let mm = realistic(Profile::Mmseqs2, 35);
    let (s, l) = (
        share(&mm, LabelKind::Shallow, true),
        share(&mm, LabelKind::Shallow, false),
    );
    assert!(s > 1.3 * l, "mmseqs2 shallow short {s} long {l}");
}

#[test]
fn realistic_raw_files_carry_the_signal_of_real_tools() {
    // Kraken2: unclassified contigs of novel genomes hit (almost) nothing
    let c = simulate(&SimConfig {
        seed: 36,
        genomes: 100,
        contigs: 2000,
        ..SimConfig::with_profile(Profile::Kraken2)
    })
    .unwrap();
    let mut v = Vec::new();
    taxdistill_sim::write_kraken2(&c, &mut v).unwrap();
    let text = String::from_utf8(v).unwrap();
    let (mut zero, mut hit, mut zero_c, mut hit_c) = (0usize, 0usize, 0usize, 0usize);
    for (line, r) in text.lines().zip(&c.contigs) {
        let kmers = line.split('\t').nth(4).unwrap();
        for p in kmers.split(' ') {
            let (t, n) = p.rsplit_once(':').unwrap();
            let n: usize = n.parse().unwrap();
            let novel_unclassified =
                c.genomes[r.genome].reference_depth < 7 && r.label_kind == LabelKind::Unclassified;
            match (t, novel_unclassified, r.label_kind == LabelKind::Correct) {
                ("A", _, _) => {}
                ("0", true, _) => zero += n,
                (_, true, _) => hit += n,
                ("0", _, true) => zero_c += n,
                (_, _, true) => hit_c += n,
                _ => {}
            }
        }
    }
    let z = zero as f64 / (zero + hit) as f64;
    assert!(z > 0.9, "no-hit k-mers of unclassified novel contigs {z}");
    let zc = zero_c as f64 / (zero_c + hit_c) as f64;
    assert!(zc < 0.5, "no-hit k-mers of correct contigs {zc}");

    // MMseqs2: relative labels have lower support than correct ones
    let c = simulate(&SimConfig {
        seed: 36,
        genomes: 100,
        contigs: 2000,
        ..SimConfig::with_profile(Profile::Mmseqs2)
    })
    .unwrap();
    let mut v = Vec::new();
    taxdistill_sim::write_mmseqs2(&c, &mut v).unwrap();
    let text = String::from_utf8(v).unwrap();
    let mut sums: HashMap<LabelKind, (f64, f64, usize)> = HashMap::new();
    for (line, r) in text.lines().zip(&c.contigs) {
        let f: Vec<&str> = line.split('\t').collect();
        let frag: f64 = f[4].parse().unwrap();
        let assigned: f64 = f[5].parse().unwrap();
        let support: f64 = f[7].parse().unwrap();
        let e = sums.entry(r.label_kind).or_default();
        e.0 += support;
        e.1 += assigned / frag;
        e.2 += 1;
    }
    let mean = |k: LabelKind| {
        let e = sums[&k];
        (e.0 / e.2 as f64, e.1 / e.2 as f64)
    };
    let (sc, ac) = mean(LabelKind::Correct);
    let (sn, an) = mean(LabelKind::Nearest);
    assert!(sn + 0.1 < sc, "support: nearest {sn} correct {sc}");
    assert!(an + 0.1 < ac, "assigned share: nearest {an} correct {ac}");
}

#[test]
fn readme_tallies_labels_per_genome_novelty_for_both_models() {
    for model in [LabelModel::Realistic, LabelModel::Independent] {
        let c = simulate(&SimConfig {
            label_model: model,
            ..small(14)
        })
        .unwrap();
        let mut v = Vec::new();
        taxdistill_sim::write_readme(&c, &mut v).unwrap();
        let text = String::from_utf8(v).unwrap();
        assert!(text.contains(&format!("label_model = {}\n", model.name())));
        let section = text.split("[labels by genome novelty]").nth(1).unwrap();
        let mut total = 0;
        for k in LabelKind::ALL {
            let line = section
                .lines()
                .find(|l| l.starts_with(&format!("{} ", k.name())))
                .unwrap();
            let cells: Vec<usize> = line
                .split_whitespace()
                .skip(1)
                .step_by(2)
                .map(|x| x.parse().unwrap())
                .collect();
            assert_eq!(cells.len(), 4, "{line}");
            total += cells.iter().sum::<usize>();
        }
        assert_eq!(total, c.contigs.len());
    }
}

#[test]
fn the_library_has_no_file_system_threads_or_environment() {
    // wasm-safety: the simulator library must stay pure (the CLI writes files)
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for bad in [
                "std::fs",
                "std::thread",
                "std::env",
                "std::process",
                "std::time",
                "rayon",
                "File::",
            ] {
                assert!(!text.contains(bad), "{} uses {bad}", path.display());
            }
            n += 1;
        }
    }
    assert!(n >= 9);
}

//! The core's label readers (crates/core/src/labels.rs, taxdump.rs) parse
//! every raw file of the simulator, with format auto-detection, into exactly
//! the lineages of labels.tsv (and truth.tsv into the truth).

use taxdistill_core::labels::read_labels;
use taxdistill_core::taxdump::TaxDump;
use taxdistill_core::taxonomy::Lineage;
use taxdistill_sim::{simulate, LabelModel, Profile, SimConfig};

fn render(f: impl FnOnce(&mut Vec<u8>) -> taxdistill_sim::Result<()>) -> Vec<u8> {
    let mut v = Vec::new();
    f(&mut v).unwrap();
    v
}

#[test]
fn core_readers_give_the_same_lineages_from_every_raw_file() {
    for (seed, profile, label_model) in [
        (21, Profile::Mmseqs2, LabelModel::Realistic),
        (22, Profile::Kraken2, LabelModel::Realistic),
        (23, Profile::Mmseqs2, LabelModel::Independent),
        (24, Profile::Kraken2, LabelModel::Independent),
    ] {
        let c = simulate(&SimConfig {
            seed,
            genomes: 30,
            contigs: 600,
            label_model,
            ..SimConfig::with_profile(profile)
        })
        .unwrap();
        let (mut nodes, mut names, mut merged) = (Vec::new(), Vec::new(), Vec::new());
        taxdistill_sim::write_taxdump(&c, &mut nodes, &mut names, &mut merged).unwrap();
        let dump =
            TaxDump::from_readers(&nodes[..], &names[..], Some(&merged[..]), "taxdump").unwrap();
        let expected: Vec<(String, Lineage)> = c
            .contigs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), Lineage(c.label(i))))
            .collect();

        let labels = render(|w| taxdistill_sim::write_labels(&c, w));
        let got = read_labels(&labels[..], "labels.tsv", None, None).unwrap();
        assert_eq!(got.entries, expected, "labels.tsv");

        let mm = render(|w| taxdistill_sim::write_mmseqs2(&c, w));
        let got = read_labels(&mm[..], "mmseqs2_lca.tsv", None, Some(&dump)).unwrap();
        assert_eq!(got.entries, expected, "mmseqs2_lca.tsv");

        let k2 = render(|w| taxdistill_sim::write_kraken2(&c, w));
        let got = read_labels(&k2[..], "kraken2.out", None, Some(&dump)).unwrap();
        assert_eq!(got.entries, expected, "kraken2.out");

        let truth = render(|w| taxdistill_sim::write_truth(&c, w));
        let got = read_labels(&truth[..], "truth.tsv", None, None).unwrap();
        let want: Vec<(String, Lineage)> = c
            .contigs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), Lineage(c.truth(i).clone())))
            .collect();
        assert_eq!(got.entries, want, "truth.tsv");
    }
}

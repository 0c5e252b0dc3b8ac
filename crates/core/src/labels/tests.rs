//! Label readers against real tool output (tests/data/labels, made by
//! scripts/make_label_fixtures.sh) and the `bad_labels_*` / `bad_taxdump_*` fixtures.

use super::*;
use crate::taxonomy::Rank;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(rel)
}

fn open(rel: &str) -> BufReader<File> {
    BufReader::new(File::open(data(rel)).unwrap_or_else(|e| panic!("{rel}: {e}")))
}

fn taxdump_from(dir: &str) -> crate::Result<TaxDump> {
    let merged = data(dir).join("merged.dmp");
    let merged = merged
        .exists()
        .then(|| BufReader::new(File::open(merged).unwrap()));
    TaxDump::from_readers(
        open(&format!("{dir}/nodes.dmp")),
        open(&format!("{dir}/names.dmp")),
        merged,
        dir,
    )
}

fn taxdump() -> TaxDump {
    taxdump_from("labels/taxonomy").unwrap()
}

fn read(rel: &str, format: Option<LabelFormat>, td: Option<&TaxDump>) -> crate::Result<Labels> {
    read_labels(open(rel), rel, format, td)
}

fn get<'a>(l: &'a Labels, id: &str) -> &'a Lineage {
    &l.entries
        .iter()
        .find(|(i, _)| i == id)
        .unwrap_or_else(|| panic!("{id} missing"))
        .1
}

fn ecoli() -> Lineage {
    Lineage(
        [
            "Bacteria",
            "Proteobacteria",
            "Gammaproteobacteria",
            "Enterobacterales",
            "Enterobacteriaceae",
            "Escherichia",
            "Escherichia coli",
        ]
        .map(String::from)
        .to_vec(),
    )
}

fn first_lines(rel: &str) -> Vec<String> {
    std::fs::read_to_string(data(rel))
        .unwrap()
        .lines()
        .take(20)
        .map(String::from)
        .collect()
}

#[test]
fn every_fixture_is_detected_as_its_format() {
    for (rel, want) in [
        ("labels/kraken2.out", LabelFormat::Kraken2),
        ("labels/kraken2_names.out", LabelFormat::Kraken2),
        ("labels/mmseqs2_lca.tsv", LabelFormat::Mmseqs2),
        ("labels/mmseqs2_lineage_lca.tsv", LabelFormat::Mmseqs2),
        ("labels/metabuli_classifications.tsv", LabelFormat::Metabuli),
        (
            "labels/metabuli_lineage_classifications.tsv",
            LabelFormat::Metabuli,
        ),
        ("labels/centrifuge.tsv", LabelFormat::Centrifuge),
        ("labels/truth.cami", LabelFormat::Cami),
        ("bad_labels_nan_score.tsv", LabelFormat::Taxometer),
    ] {
        let lines = first_lines(rel);
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert_eq!(detect_format(&refs), Some(want), "{rel}");
    }
}

#[test]
fn the_fixture_taxdump_loads_with_its_quirks_counted() {
    let td = taxdump();
    let w = td.warnings();
    assert_eq!(w.environmental_or_unclassified, 2);
    assert_eq!(w.ranks_out_of_order, 1);
    assert_eq!(w.same_name_two_parents, 2); // Bacillus (bacteria) and Bacillus (stick insects)
    assert_eq!(td.lineage(12345), Some(ecoli()));
}

#[test]
fn kraken2_output_reads_through_the_taxdump() {
    let td = taxdump();
    let l = read("labels/kraken2.out", None, Some(&td)).unwrap();
    assert_eq!(l.entries.len(), 28);
    assert_eq!(get(&l, "contig_001"), &ecoli());
    assert_eq!(get(&l, "contig_028").depth(), 0);
    let x = get(&l, "contig_013"); // uncultured bacterium under "environmental samples"
    assert_eq!(x.at(Rank::Species), Some("uncultured bacterium"));
    assert_eq!(x.at(Rank::Phylum), Some("unknown phylum of Bacteria"));
    let names = read("labels/kraken2_names.out", None, Some(&td)).unwrap();
    assert_eq!(names.entries, l.entries);
}

#[test]
fn kraken2_without_a_taxdump_is_a_taxdump_required_error() {
    let e = read("labels/kraken2.out", None, None).unwrap_err();
    assert_eq!(
        e,
        Error::TaxdumpRequired {
            source_name: "labels/kraken2.out".into(),
            format: "kraken2".into()
        }
    );
}

#[test]
fn mmseqs2_with_and_without_lineages_agree() {
    let td = taxdump();
    let with_td = read("labels/mmseqs2_lca.tsv", None, Some(&td)).unwrap();
    let from_col = read("labels/mmseqs2_lineage_lca.tsv", None, None).unwrap();
    assert_eq!(with_td.entries.len(), 28);
    assert_eq!(
        get(&with_td, "contig_001").at(Rank::Family),
        Some("Enterobacteriaceae")
    );
    assert_eq!(get(&with_td, "contig_001").depth(), 5);
    // the lineage column follows the same rules as the taxdump, quirks included
    assert_eq!(from_col.entries, with_td.entries);
    assert!(
        from_col.warnings.iter().any(|w| w.contains("out of order")),
        "{:?}",
        from_col.warnings
    );
    assert_eq!(
        read("labels/mmseqs2_lca.tsv", None, None).unwrap_err(),
        Error::TaxdumpRequired {
            source_name: "labels/mmseqs2_lca.tsv".into(),
            format: "mmseqs2".into()
        }
    );
}

#[test]
fn metabuli_reads_taxids_and_lineage_columns() {
    let td = taxdump();
    let l = read("labels/metabuli_classifications.tsv", None, Some(&td)).unwrap();
    assert_eq!(l.entries.len(), 9);
    assert_eq!(get(&l, "contig_001"), &ecoli());
    assert_eq!(get(&l, "contig_025"), &ecoli(), "merged taxid followed");
    assert_eq!(get(&l, "contig_026").depth(), 0);
    assert_eq!(get(&l, "contig_022").depth(), 6);
    let col = read("labels/metabuli_lineage_classifications.tsv", None, None).unwrap();
    let with = read(
        "labels/metabuli_lineage_classifications.tsv",
        None,
        Some(&td),
    )
    .unwrap();
    assert_eq!(col.entries, with.entries);
    assert_eq!(
        get(&col, "contig_010").at(Rank::Family),
        Some("unknown family of Bacillales")
    );
}

#[test]
fn centrifuge_hits_of_one_read_give_their_lca() {
    let td = taxdump();
    let l = read("labels/centrifuge.tsv", None, Some(&td)).unwrap();
    let ids: Vec<&str> = l.entries.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(
        ids,
        [
            "contig_001",
            "contig_007",
            "contig_013",
            "contig_019",
            "contig_022",
            "contig_025"
        ]
    );
    assert_eq!(get(&l, "contig_001"), &ecoli().truncated(5));
    assert_eq!(
        get(&l, "contig_022").depth(),
        0,
        "Archaea and Bacteria meet at 'cellular organisms'"
    );
    assert_eq!(get(&l, "contig_025").depth(), 0);
}

#[test]
fn cami_truth_reads_its_names_and_agrees_with_the_taxdump() {
    let td = taxdump();
    let cami = read("labels/truth.cami", None, None).unwrap();
    assert_eq!(cami.entries.len(), 27);
    assert_eq!(get(&cami, "contig_001"), &ecoli());
    for id in [
        "contig_004",
        "contig_007",
        "contig_010",
        "contig_022",
        "contig_025",
    ] {
        let taxid: u64 = std::fs::read_to_string(data("labels/truth_taxids.tsv"))
            .unwrap()
            .lines()
            .find(|l| l.starts_with(&format!("{id}\t")))
            .and_then(|l| l.split('\t').nth(1))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(Some(get(&cami, id).clone()), td.lineage(taxid), "{id}");
    }
}

#[test]
fn cami_without_names_uses_the_taxdump() {
    let td = taxdump();
    let text = "@Version:0.9.1\n@SampleID:s\n@@SEQUENCEID\tTAXID\nc1\t562\nc2\t0\n";
    let l = read_labels(text.as_bytes(), "mem", None, Some(&td)).unwrap();
    assert_eq!(l.entries[0].1, ecoli());
    assert_eq!(l.entries[1].1.depth(), 0);
    assert!(matches!(
        read_labels(text.as_bytes(), "mem", None, None),
        Err(Error::TaxdumpRequired { .. })
    ));
}

#[test]
fn taxometer_tsv_lists_unclassified_contigs_and_aligns_to_contigs() {
    let text = "contigs\tpredictions\nc1\td__Bacteria;p__Firmicutes\nc2\t\nc9\tArchaea\n";
    let l = read_labels(text.as_bytes(), "mem", None, None).unwrap();
    assert_eq!(l.entries.len(), 3);
    let ids: Vec<String> = ["c1", "c2", "c3"].map(String::from).to_vec();
    let (aligned, extra) = l.aligned_to(&ids);
    assert_eq!(aligned[0].depth(), 2);
    assert_eq!(aligned[1].depth(), 0);
    assert_eq!(aligned[2].depth(), 0, "contigs not listed are unclassified");
    assert_eq!(extra, 1);
}

#[test]
fn same_name_under_two_parents_is_a_warning() {
    let text =
        "contigs\tpredictions\nc1\tBacteria;Firmicutes;Bacilli\nc2\tBacteria;Other;Bacilli\n";
    let l = read_labels(text.as_bytes(), "mem", None, None).unwrap();
    assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
}

#[test]
fn formats_parse_from_their_cli_names() {
    for f in LabelFormat::ALL {
        assert_eq!(f.name().parse::<LabelFormat>().unwrap(), f);
    }
    assert!(matches!(
        "nope".parse::<LabelFormat>(),
        Err(Error::Invalid(_))
    ));
}

fn bad_line(e: Error) -> (String, usize) {
    match e {
        Error::BadLine {
            source_name, line, ..
        } => (source_name, line),
        other => panic!("expected BadLine, got {other:?}"),
    }
}

#[test]
fn bad_label_files_are_errors_of_the_right_kind_and_line() {
    let td = taxdump();
    let cases: [(&str, Option<LabelFormat>, usize); 9] = [
        ("bad_labels_too_many_ranks.tsv", None, 3),
        ("bad_labels_nan_score.tsv", None, 3),
        ("bad_labels_score_above_one.tsv", None, 2),
        ("bad_labels_duplicate_contig.tsv", None, 4),
        (
            "bad_labels_kraken2_taxid.out",
            Some(LabelFormat::Kraken2),
            2,
        ),
        (
            "bad_labels_mmseqs2_taxid.tsv",
            Some(LabelFormat::Mmseqs2),
            2,
        ),
        ("bad_labels_centrifuge_columns.tsv", None, 2),
        ("bad_labels_cami_data_before_header.cami", None, 3),
        ("bad_labels_metabuli_status.tsv", None, 2),
    ];
    for (rel, format, line) in cases {
        let e = read(rel, format, Some(&td)).unwrap_err();
        assert_eq!(bad_line(e), (rel.to_string(), line), "{rel}");
    }
    assert_eq!(
        bad_line(read("bad_labels_not_utf8.tsv", None, None).unwrap_err()).1,
        2
    );
}

#[test]
fn an_undetectable_file_is_an_unknown_format_error() {
    for rel in [
        "bad_labels_unknown_format.txt",
        "bad_labels_kraken2_taxid.out",
        "bad_labels_mmseqs2_taxid.tsv",
    ] {
        assert!(
            matches!(read(rel, None, None), Err(Error::UnknownFormat { .. })),
            "{rel}"
        );
    }
    assert!(matches!(
        read_labels("".as_bytes(), "empty", None, None),
        Err(Error::UnknownFormat { .. })
    ));
}

#[test]
fn bad_taxdumps_are_errors_of_the_right_kind() {
    assert_eq!(
        bad_line(taxdump_from("bad_taxdump_cycle").unwrap_err()),
        ("bad_taxdump_cycle/nodes.dmp".to_string(), 2)
    );
    assert_eq!(
        bad_line(taxdump_from("bad_taxdump_taxid").unwrap_err()),
        ("bad_taxdump_taxid/nodes.dmp".to_string(), 3)
    );
    assert_eq!(
        bad_line(taxdump_from("bad_taxdump_names").unwrap_err()),
        ("bad_taxdump_names/names.dmp".to_string(), 2)
    );
    assert!(matches!(
        taxdump_from("bad_taxdump_empty"),
        Err(Error::Invalid(_))
    ));
}

//! What one run produces. The worker holds the contigs in columns
//! ([`Table`], taxon names interned) and computes everything the charts draw
//! ([`Summary`]); the page receives the table as typed arrays and the summary
//! as a small JSON, so its main thread never parses or aggregates one object
//! per contig (at 100k contigs that took over a second).
//!
//! Runtime-free: tested natively.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use taxdistill_core::model::Prediction;
use taxdistill_core::openset::{self, Change, Corrected, Source};
use taxdistill_core::taxonomy::Lineage;

mod charts;
mod composition;
pub mod filter;
mod truth;

pub use charts::{input_tree, prediction_tree, sankey_flows, score_histogram, Flows, TreeNode};
pub use composition::{composition, Composition};
pub use truth::{truth_check, TruthCheck};

/// Rank names, domain … species (the order of lineages).
pub const RANKS: [&str; 7] = [
    "domain", "phylum", "class", "order", "family", "genus", "species",
];
/// Ranks per lineage slot row.
pub const NR: usize = 7;
/// "No taxon at this rank" in [`Table::noisy`] and [`Table::pred`].
pub const NO_NAME: u32 = u32::MAX;
/// Bins of the confidence histogram over [0, 1].
pub const HIST_BINS: usize = 20;
/// Named categories per side of the Sankey (the rest pooled as "other").
pub const SANKEY_TOP: usize = 12;
/// The Sankey's name for contigs without a taxon at the rank.
pub const UNCLASSIFIED: &str = "unclassified";
/// The Sankey's name for the pooled small categories.
pub const OTHER: &str = "other";

/// [`Table::source`]: the student annotated the contig.
pub const SOURCE_STUDENT: u8 = 0;
/// [`Table::source`]: the contig is shorter than the model's minimum length
/// and keeps its input label as given.
pub const SOURCE_INPUT: u8 = 1;
/// [`Table::source`]: neither (too short for the student, and unlabelled).
pub const SOURCE_NONE: u8 = 2;

/// The code of a [`Source`] in [`Table::source`].
pub fn source_code(s: Source) -> u8 {
    match s {
        Source::Student => SOURCE_STUDENT,
        Source::Input => SOURCE_INPUT,
        Source::None => SOURCE_NONE,
    }
}

/// Every contig of a run, column by column. Lineages are rows of [`NR`] name
/// indices into `names` (domain first, [`NO_NAME`] past the lineage's end).
///
/// Every contig keeps the best label there is: the output lineage (`pred`)
/// is the student's where it annotated the contig, else the input label as
/// given (`source` says which).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Contig ids (FASTA header up to the first whitespace), each followed by `\n`.
    pub ids: String,
    /// Start of each id in `ids`, plus the end (`n + 1` entries).
    pub id_starts: Vec<u32>,
    /// Lengths in bp.
    pub lens: Vec<f64>,
    /// Distinct taxon names (no `\n` inside: they come from line-based files).
    pub names: Vec<String>,
    /// Noisy input label per contig (n × NR).
    pub noisy: Vec<u32>,
    /// The output lineage per contig (n × NR): the student's, or the input
    /// label kept as given.
    pub pred: Vec<u32>,
    /// Depth of the output lineage; −1: no output (too short for the student
    /// and unlabelled).
    pub depth: Vec<i8>,
    /// Score per rank of the output lineage (n × NR, 0 past its depth); 1 for
    /// a kept input label, which has no score.
    pub scores: Vec<f32>,
    /// Where each contig's output lineage comes from: [`SOURCE_STUDENT`] (0),
    /// [`SOURCE_INPUT`] (1: too short for the student, the input label kept
    /// as given) or [`SOURCE_NONE`] (2: too short and unlabelled; depth −1).
    pub source: Vec<u8>,
}

impl Table {
    /// Number of contigs.
    pub fn len(&self) -> usize {
        self.lens.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }

    /// Contig id of row `i`.
    pub fn id(&self, i: usize) -> &str {
        let (a, b) = (self.id_starts[i] as usize, self.id_starts[i + 1] as usize);
        &self.ids[a..b - 1]
    }

    /// A taxon name.
    pub fn name(&self, n: u32) -> &str {
        &self.names[n as usize]
    }

    fn trimmed(row: &[u32]) -> &[u32] {
        let d = row.iter().position(|&n| n == NO_NAME).unwrap_or(NR);
        &row[..d]
    }

    /// Noisy label of row `i` (empty: unlabelled).
    pub fn noisy(&self, i: usize) -> &[u32] {
        Self::trimmed(&self.noisy[i * NR..(i + 1) * NR])
    }

    /// The output lineage of row `i`: the student's or the kept input label
    /// ([`Table::source`]; `None`: neither; empty: unclassified).
    pub fn pred(&self, i: usize) -> Option<&[u32]> {
        let d = self.depth[i];
        (d >= 0).then(|| &self.pred[i * NR..i * NR + d as usize])
    }

    /// Scores per rank of row `i`'s lineage (1 for a kept input label).
    pub fn scores(&self, i: usize) -> &[f32] {
        let d = self.depth[i].max(0) as usize;
        &self.scores[i * NR..i * NR + d]
    }

    /// Where row `i`'s output lineage comes from.
    pub fn source(&self, i: usize) -> Source {
        match self.source[i] {
            SOURCE_STUDENT => Source::Student,
            SOURCE_INPUT => Source::Input,
            _ => Source::None,
        }
    }

    /// Whether the student annotated row `i`.
    pub fn by_student(&self, i: usize) -> bool {
        self.source[i] == SOURCE_STUDENT
    }

    /// Row `i` as the core's open-set types: its input label and its output
    /// (without scores, which no change category reads). The page runs no
    /// open-set rule, so no rank is withheld as novel.
    fn corrected(&self, i: usize) -> (Lineage, Corrected) {
        let text = |l: &[u32]| Lineage(l.iter().map(|&n| self.name(n).to_string()).collect());
        let output = Corrected {
            prediction: Prediction {
                lineage: self.pred(i).map(text).unwrap_or_default(),
                scores: Vec::new(),
            },
            source: self.source(i),
            novel_from: None,
        };
        (text(self.noisy(i)), output)
    }

    /// How row `i`'s output relates to its input label at each rank (domain
    /// … species), as `summary.tsv` counts it: the core's
    /// [`openset::Summary::of`] on this one row. `None` where it counts
    /// nothing (neither names a taxon at the rank).
    pub fn changes(&self, i: usize) -> [Option<Change>; NR] {
        let (label, output) = self.corrected(i);
        let s = openset::Summary::of(std::slice::from_ref(&label), std::slice::from_ref(&output));
        s.per_rank.map(|row| {
            Change::ALL
                .into_iter()
                .zip(row)
                .find(|&(_, n)| n > 0)
                .map(|(c, _)| c)
        })
    }

    /// Reassembles a table from its columns (as [`crate::transfer`] sends
    /// them), checking that they fit together.
    ///
    /// # Errors
    /// Column lengths that disagree, a name index out of range, or a source
    /// code that is not one of [`SOURCE_STUDENT`], [`SOURCE_INPUT`],
    /// [`SOURCE_NONE`] or disagrees with the depth (no output for exactly
    /// the [`SOURCE_NONE`] rows).
    #[allow(clippy::too_many_arguments)]
    pub fn from_parts(
        ids: String,
        names: Vec<String>,
        lens: Vec<f64>,
        noisy: Vec<u32>,
        pred: Vec<u32>,
        depth: Vec<i8>,
        scores: Vec<f32>,
        source: Vec<u8>,
    ) -> Result<Table, String> {
        let n = lens.len();
        let mut id_starts = Vec::with_capacity(n + 1);
        id_starts.push(0u32);
        for (i, b) in ids.bytes().enumerate() {
            if b == b'\n' {
                id_starts.push(i as u32 + 1);
            }
        }
        if id_starts.len() != n + 1 || !(ids.is_empty() || ids.ends_with('\n')) {
            return Err(format!("{} ids for {n} contigs", id_starts.len() - 1));
        }
        if noisy.len() != n * NR
            || pred.len() != n * NR
            || scores.len() != n * NR
            || depth.len() != n
            || source.len() != n
        {
            return Err(format!("columns of different lengths for {n} contigs"));
        }
        let k = names.len() as u32;
        if noisy.iter().chain(&pred).any(|&x| x != NO_NAME && x >= k) {
            return Err("a taxon index out of range".into());
        }
        if depth.iter().any(|&d| d > NR as i8) {
            return Err("a lineage deeper than species".into());
        }
        if let Some(i) = source.iter().position(|&s| s > SOURCE_NONE) {
            return Err(format!(
                "contig {}: source {} is not 0, 1 or 2",
                i + 1,
                source[i]
            ));
        }
        if let Some(i) = (0..n).find(|&i| (source[i] == SOURCE_NONE) != (depth[i] < 0)) {
            return Err(format!(
                "contig {}: source {} with a lineage of depth {}",
                i + 1,
                source[i],
                depth[i]
            ));
        }
        Ok(Table {
            ids,
            id_starts,
            lens,
            names,
            noisy,
            pred,
            depth,
            scores,
            source,
        })
    }

    /// A lineage as `A;B;C`.
    pub fn lineage_text(&self, l: &[u32]) -> String {
        l.iter()
            .map(|&n| self.name(n))
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// Builds a [`Table`] row by row, interning taxon names.
#[derive(Default)]
pub struct TableBuilder {
    table: Table,
    index: HashMap<String, u32>,
}

impl TableBuilder {
    /// An empty builder with room for `n` rows.
    pub fn with_capacity(n: usize) -> TableBuilder {
        let mut b = TableBuilder::default();
        b.table.id_starts.reserve(n + 1);
        b.table.id_starts.push(0);
        b.table.lens.reserve(n);
        b.table.noisy.reserve(n * NR);
        b.table.pred.reserve(n * NR);
        b.table.depth.reserve(n);
        b.table.scores.reserve(n * NR);
        b.table.source.reserve(n);
        b
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.table.names.len() as u32;
        self.table.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }

    fn slots(&mut self, names: &[String]) -> [u32; NR] {
        let mut row = [NO_NAME; NR];
        for (slot, n) in row.iter_mut().zip(names) {
            *slot = self.intern(n);
        }
        row
    }

    /// Appends one contig: `pred` is its output lineage (the student's, or
    /// the input label kept as given), `None` when it has none; `source` says
    /// which ([`Source::None`] exactly when `pred` is `None`).
    pub fn push(
        &mut self,
        id: &str,
        len: u64,
        noisy: &Lineage,
        pred: Option<&Prediction>,
        source: Source,
    ) {
        debug_assert_eq!(pred.is_none(), source == Source::None, "{id}");
        if self.table.id_starts.is_empty() {
            self.table.id_starts.push(0);
        }
        self.table.ids.push_str(id);
        self.table.ids.push('\n');
        self.table.id_starts.push(self.table.ids.len() as u32);
        self.table.lens.push(len as f64);
        let noisy = self.slots(&noisy.0);
        self.table.noisy.extend_from_slice(&noisy);
        match pred {
            Some(p) => {
                let row = self.slots(&p.lineage.0);
                self.table.pred.extend_from_slice(&row);
                let d = p.lineage.0.len().min(NR);
                self.table.depth.push(d as i8);
                let mut s = [0f32; NR];
                for (slot, &x) in s[..d].iter_mut().zip(&p.scores) {
                    *slot = x;
                }
                self.table.scores.extend_from_slice(&s);
            }
            None => {
                self.table.pred.extend_from_slice(&[NO_NAME; NR]);
                self.table.depth.push(-1);
                self.table.scores.extend_from_slice(&[0.0; NR]);
            }
        }
        self.table.source.push(source_code(source));
    }

    /// The table.
    pub fn finish(mut self) -> Table {
        if self.table.id_starts.is_empty() {
            self.table.id_starts.push(0);
        }
        self.table
    }
}

/// Per-rank counts of the core's change categories ([`Change`]), one field
/// per `summary.tsv` column, named by [`Change::name`], so the page's counts
/// mean what `taxdistill run`'s `summary.tsv` means; plus `unassigned`, the
/// contigs `summary.tsv` leaves out at the rank (neither the input label nor
/// the output names a taxon there), so that the fields add up to every contig.
///
/// Every field defaults to 0: a summary from an older build still reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RankCounts {
    pub confirmed: u64,
    pub changed: u64,
    pub removed: u64,
    pub deepened: u64,
    pub newly_labelled: u64,
    pub left_novel: u64,
    pub kept_input: u64,
    /// In no category: no taxon at the rank in the input label or the output.
    pub unassigned: u64,
}

impl RankCounts {
    /// The count of one category.
    pub fn get(&self, c: Change) -> u64 {
        match c {
            Change::Confirmed => self.confirmed,
            Change::Changed => self.changed,
            Change::Removed => self.removed,
            Change::Deepened => self.deepened,
            Change::NewlyLabelled => self.newly_labelled,
            Change::LeftNovel => self.left_novel,
            Change::KeptInput => self.kept_input,
        }
    }

    fn slot(&mut self, c: Change) -> &mut u64 {
        match c {
            Change::Confirmed => &mut self.confirmed,
            Change::Changed => &mut self.changed,
            Change::Removed => &mut self.removed,
            Change::Deepened => &mut self.deepened,
            Change::NewlyLabelled => &mut self.newly_labelled,
            Change::LeftNovel => &mut self.left_novel,
            Change::KeptInput => &mut self.kept_input,
        }
    }

    /// Every contig: the categories and the unassigned.
    pub fn total(&self) -> u64 {
        Change::ALL.iter().map(|&c| self.get(c)).sum::<u64>() + self.unassigned
    }
}

/// Counts per rank (domain … species) of [`Table::changes`]. Rows with the
/// same label, output and source change alike, so each distinct one is
/// classified once (a run has far fewer distinct lineages than contigs).
pub fn rank_counts(t: &Table) -> [RankCounts; NR] {
    type Key<'a> = (&'a [u32], Option<&'a [u32]>, u8);
    // distinct row → (a row like it, rows like it)
    let mut groups: HashMap<Key, (usize, u64)> = HashMap::new();
    for i in 0..t.len() {
        groups
            .entry((t.noisy(i), t.pred(i), t.source[i]))
            .or_insert((i, 0))
            .1 += 1;
    }
    let mut out = [RankCounts::default(); NR];
    for (i, n) in groups.into_values() {
        for (c, change) in out.iter_mut().zip(t.changes(i)) {
            match change {
                Some(change) => *c.slot(change) += n,
                None => c.unassigned += n,
            }
        }
    }
    out
}

/// Everything the page shows besides the table and the exports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Which backend ran the student (`webgpu` or `cpu`).
    pub backend: String,
    /// Why the CPU ran when WebGPU was asked for (empty otherwise).
    pub backend_note: String,
    pub n_contigs: usize,
    /// Contigs of at least the model's minimum length (the student annotated them).
    pub n_annotated: usize,
    /// Shorter contigs that keep their input label as given.
    #[serde(default)]
    pub n_kept_input: usize,
    /// Contigs with a noisy label.
    pub n_labelled: usize,
    pub total_bp: u64,
    /// Whether noisy labels were given.
    pub has_labels: bool,
    /// Seconds spent parsing + features, and in inference (for a run
    /// trained in the page: in the teacher, training and annotation).
    pub secs_features: f64,
    pub secs_inference: f64,
    /// Non-fatal problems (e.g. labels naming contigs absent from the FASTA).
    pub warnings: Vec<String>,
    /// Size of the worker's wasm memory at the end (it never shrinks: the peak).
    pub wasm_memory_bytes: f64,
    /// Per rank: the contigs in each of `summary.tsv`'s change categories,
    /// and the unassigned.
    pub rank_counts: [RankCounts; NR],
    /// Per rank: [`HIST_BINS`] score bins.
    pub histograms: Vec<Vec<u64>>,
    /// The sunburst's tree.
    pub tree: Vec<TreeNode>,
    /// Per rank: the Sankey's flows.
    pub sankey: Vec<Flows>,
    /// The comparison with a known truth (the demo ships its simulator's truth).
    #[serde(default)]
    pub truth: Option<TruthCheck>,
    /// Which student annotated: `run`'s kept candidate (from the model's
    /// provenance, or the page's own choice), empty when unknown.
    #[serde(default)]
    pub student: String,
    /// What the page trained, when it ran `taxdistill run` itself (no model given).
    #[serde(default)]
    pub training: Option<crate::correct::Training>,
    /// Each sample's composition per rank, when abundances were given.
    #[serde(default)]
    pub composition: Option<Composition>,
}

impl Summary {
    /// Computes the charts' data of a table (run information left empty).
    pub fn of(t: &Table) -> Summary {
        Summary {
            n_contigs: t.len(),
            n_annotated: (0..t.len()).filter(|&i| t.by_student(i)).count(),
            n_kept_input: (0..t.len())
                .filter(|&i| t.source(i) == Source::Input)
                .count(),
            n_labelled: (0..t.len()).filter(|&i| !t.noisy(i).is_empty()).count(),
            total_bp: t.lens.iter().map(|&l| l as u64).sum(),
            rank_counts: rank_counts(t),
            histograms: (0..NR).map(|r| score_histogram(t, r, HIST_BINS)).collect(),
            tree: prediction_tree(t),
            sankey: (0..NR).map(|r| sankey_flows(t, r, SANKEY_TOP)).collect(),
            ..Summary::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn lineage(s: &str) -> Lineage {
        Lineage(if s.is_empty() {
            vec![]
        } else {
            s.split(';').map(String::from).collect()
        })
    }

    /// id, length, noisy label, student's lineage (`None`: too short for
    /// it), scores.
    pub(super) type Row<'a> = (&'a str, u64, &'a str, Option<&'a str>, &'a [f32]);

    /// A table as the pipeline builds it: rows without a student's lineage
    /// keep their noisy label.
    pub(super) fn table(rows: &[Row]) -> Table {
        use taxdistill_core::openset::Corrected;
        let mut b = TableBuilder::with_capacity(rows.len());
        for (id, len, noisy, pred, scores) in rows {
            let p = pred.map(|p| Prediction {
                lineage: lineage(p),
                scores: scores.to_vec(),
            });
            let noisy = lineage(noisy);
            let c = Corrected::student_or_kept(&noisy, p.as_ref());
            let out = (c.source != Source::None).then_some(&c.prediction);
            b.push(id, *len, &noisy, out, c.source);
        }
        b.finish()
    }

    fn parts(t: &Table) -> Result<Table, String> {
        Table::from_parts(
            t.ids.clone(),
            t.names.clone(),
            t.lens.clone(),
            t.noisy.clone(),
            t.pred.clone(),
            t.depth.clone(),
            t.scores.clone(),
            t.source.clone(),
        )
    }

    #[test]
    fn table_round_trips_rows_through_interned_names() {
        let t = table(&[
            ("a", 10, "B;P1", Some("B;P1;C1"), &[1.0, 0.9, 0.8]),
            ("bb", 20, "", None, &[]),
            ("c", 30, "B", Some(""), &[]),
        ]);
        assert_eq!(t.len(), 3);
        assert_eq!((t.id(0), t.id(1), t.id(2)), ("a", "bb", "c"));
        assert_eq!(t.names, vec!["B", "P1", "C1"]);
        assert_eq!(t.lineage_text(t.pred(0).unwrap()), "B;P1;C1");
        assert_eq!(t.scores(0), &[1.0, 0.9, 0.8]);
        assert!(t.pred(1).is_none() && t.noisy(1).is_empty());
        assert_eq!(t.source(1), Source::None);
        assert_eq!(t.pred(2), Some(&[][..]));
        assert_eq!(
            (t.source(0), t.source(2)),
            (Source::Student, Source::Student)
        );
    }

    #[test]
    fn a_contig_too_short_for_the_student_keeps_its_input_label() {
        let t = table(&[
            ("long", 3000, "B;P1", Some("B;P2"), &[1.0, 0.6]),
            ("short", 900, "B;P1;C1", None, &[]),
            ("bare", 900, "", None, &[]),
        ]);
        assert_eq!(t.source, vec![SOURCE_STUDENT, SOURCE_INPUT, SOURCE_NONE]);
        assert_eq!(t.source(1), Source::Input);
        assert_eq!(t.pred(1), Some(t.noisy(1)));
        assert_eq!(t.lineage_text(t.pred(1).unwrap()), "B;P1;C1");
        assert_eq!(t.scores(1), &[1.0, 1.0, 1.0]);
        assert!(t.pred(2).is_none());
        let s = Summary::of(&t);
        assert_eq!((s.n_annotated, s.n_kept_input, s.n_labelled), (1, 1, 2));
        // the kept label is part of the output: the sunburst and the Sankey show it
        assert_eq!(s.tree[0].contigs, 2);
        assert_eq!(s.sankey[2].kept, vec![(0, 0, 1)]);
        assert_eq!(s.sankey[2].left, vec!["C1", UNCLASSIFIED]);
        assert_eq!(s.sankey[2].right, vec!["C1", UNCLASSIFIED]);
        assert_eq!(s.sankey[2].flows, vec![(1, 1, 1)]);
        // …but not the student's confidence: a kept label has no score
        assert_eq!(s.histograms[0].iter().sum::<u64>(), 1);
    }

    #[test]
    fn a_table_survives_being_taken_apart_into_columns() {
        let t = table(&[
            ("a", 10, "B;P1", Some("B;P1"), &[1.0, 0.9]),
            ("b", 20, "", None, &[]),
            ("c", 20, "B", None, &[]),
        ]);
        assert_eq!(parts(&t).unwrap(), t);
        let short = Table::from_parts(
            "a\n".into(),
            vec![],
            vec![1.0, 2.0],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
        );
        assert_eq!(short.err().unwrap(), "1 ids for 2 contigs");
        let mut bad = t.clone();
        bad.noisy[0] = 99;
        assert!(parts(&bad).is_err());
        let mut bad = t.clone();
        bad.source.pop();
        assert_eq!(
            parts(&bad).err().unwrap(),
            "columns of different lengths for 3 contigs"
        );
        let mut bad = t.clone();
        bad.source[0] = 3;
        assert_eq!(
            parts(&bad).err().unwrap(),
            "contig 1: source 3 is not 0, 1 or 2"
        );
        // a row without an output is a `none` row, and the other way round
        let mut bad = t.clone();
        bad.source[1] = SOURCE_INPUT;
        assert_eq!(
            parts(&bad).err().unwrap(),
            "contig 2: source 1 with a lineage of depth -1"
        );
        let mut bad = t.clone();
        bad.source[2] = SOURCE_NONE;
        assert!(parts(&bad).is_err());
    }

    #[test]
    fn changes_are_classified_per_rank() {
        let t = table(&[
            ("a", 10, "B;P1", Some("B;P1;C1"), &[1.0, 0.9, 0.8]),
            ("b", 10, "B;P2", Some("B;P1"), &[1.0, 0.7]),
            ("c", 10, "", None, &[]),
            ("d", 10, "", Some("B;P1"), &[1.0, 0.9]),
            ("e", 10, "B;P3", None, &[]),
            ("f", 10, "B;P1;C2", Some("B;P1"), &[1.0, 0.9]),
        ]);
        let c = rank_counts(&t);
        assert_eq!(
            c[0],
            RankCounts {
                confirmed: 3,
                newly_labelled: 1,
                kept_input: 1,
                unassigned: 1,
                ..Default::default()
            }
        );
        assert_eq!(
            c[1],
            RankCounts {
                confirmed: 2,
                changed: 1,
                newly_labelled: 1,
                kept_input: 1,
                unassigned: 1,
                ..Default::default()
            }
        );
        // f's label reaches class and the student stops above it: removed;
        // e's kept label stops above class: unassigned there (summary.tsv
        // counts neither it nor c, which has no label and no output)
        assert_eq!(
            c[2],
            RankCounts {
                deepened: 1,
                removed: 1,
                unassigned: 4,
                ..Default::default()
            }
        );
        assert!(c.iter().all(|c| c.total() == t.len() as u64));
        assert_eq!(t.changes(4)[1], Some(Change::KeptInput));
        assert_eq!(t.changes(5)[2], Some(Change::Removed));
        assert_eq!((t.changes(4)[2], t.changes(2)[0]), (None, None));
    }

    #[test]
    fn rank_counts_are_the_core_summary_per_rank() {
        use taxdistill_core::openset::Corrected;
        let rows: [Row; 8] = [
            ("a", 10, "B;P1;C1", Some("B;P1;C1;O1"), &[1.0; 4]),
            ("b", 10, "B;P1;C1", Some("B;P2"), &[1.0; 2]),
            ("c", 10, "B;P1;C1", Some("B"), &[1.0]),
            ("d", 10, "", Some("B;P1;C1"), &[1.0; 3]),
            ("e", 10, "B;P1", None, &[]),
            ("f", 10, "", None, &[]),
            ("g", 10, "B;P1;C1", Some(""), &[]),
            ("h", 10, "B;P1;C1", Some("B;P1;C1;O1"), &[1.0; 4]),
        ];
        let t = table(&rows);
        let labels: Vec<Lineage> = rows.iter().map(|r| lineage(r.2)).collect();
        let outputs: Vec<Corrected> = rows
            .iter()
            .zip(&labels)
            .map(|(r, l)| {
                let p = r.3.map(|p| Prediction {
                    lineage: lineage(p),
                    scores: r.4.to_vec(),
                });
                Corrected::student_or_kept(l, p.as_ref())
            })
            .collect();
        let core = openset::Summary::of(&labels, &outputs);
        for (r, c) in rank_counts(&t).iter().enumerate() {
            let page: Vec<usize> = Change::ALL.iter().map(|&k| c.get(k) as usize).collect();
            assert_eq!(page, core.per_rank[r], "{}", RANKS[r]);
            assert_eq!(c.total(), rows.len() as u64);
        }
    }

    #[test]
    fn rank_counts_fields_are_the_summary_tsv_columns() {
        let mut c = RankCounts::default();
        for (k, change) in Change::ALL.into_iter().enumerate() {
            *c.slot(change) = k as u64 + 1;
        }
        let json = serde_json::to_value(c).unwrap();
        for (k, change) in Change::ALL.into_iter().enumerate() {
            assert_eq!(json[change.name()], k as u64 + 1, "{}", change.name());
        }
        assert_eq!(json.as_object().unwrap().len(), Change::ALL.len() + 1);
        assert_eq!(json["unassigned"], 0);
    }

    #[test]
    fn rank_counts_from_an_older_build_still_read() {
        // before the core's categories: no removed, left_novel, unassigned
        let c: RankCounts =
            serde_json::from_str(r#"{"confirmed":1,"deepened":0,"changed":0,"unclassified":2}"#)
                .unwrap();
        assert_eq!(
            c,
            RankCounts {
                confirmed: 1,
                ..Default::default()
            }
        );
    }

    #[test]
    fn summary_counts_annotated_and_labelled_contigs() {
        let t = table(&[
            ("a", 3000, "B", Some("B"), &[0.9]),
            ("b", 100, "", None, &[]),
        ]);
        let s = Summary::of(&t);
        assert_eq!(
            (s.n_contigs, s.n_annotated, s.n_labelled, s.total_bp),
            (2, 1, 1, 3100)
        );
        assert_eq!(s.n_kept_input, 0);
        assert_eq!(s.histograms.len(), NR);
        assert_eq!(s.sankey.len(), NR);
    }
}

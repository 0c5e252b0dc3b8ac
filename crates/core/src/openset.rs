//! Open-set correction: the one rule that turns a contig's input label, the
//! student's prediction and the labels of its neighbours into the output
//! lineage, and the change categories that summarise what it did.
//!
//! Real classifiers leave contigs of genomes absent from their reference
//! unclassified (Kraken2) or give them a relative's label (MMseqs2), and they
//! do so for most contigs of such a genome, not at random. So an unlabelled
//! neighbourhood is evidence: "nothing in the reference is near here".
//!
//! Inputs per contig: its neighbours in the teacher's graph (row indices and
//! kernel weights; never the contig itself, so its own label is held out) and
//! the input labels of all contigs. At rank r the neighbourhood's weight splits
//! into votes for taxa and an *unassigned* share `u_r` (neighbours whose label
//! stops above r or is missing). The walk goes down from the domain:
//!
//! 1. If the label names nothing at r, the neighbourhood is unassigned at r
//!    the way the neighbourhoods of genomes missing from the reference are
//!    (a two-component mixture of the unassigned counts, fitted per rank on
//!    all contigs: [`Silence`]; with labels missing at random it finds one
//!    rate and nothing looks novel), the student's taxon at r is taken only
//!    where the contig's *vouched* lineage names it too: the teacher's
//!    cross-fitted heads walked down while their probability passes a
//!    per-rank threshold at which, on clade-held-out folds, predictions for
//!    genomes whose rank-r taxon or whose next rank down is missing from the
//!    labels are right more often than not. Else the walk stops: the contig
//!    is left unassigned from r down.
//! 2. Otherwise the input label's taxon and the student's taxon at r (each
//!    only while it agrees with the path taken so far): equal → taken; one of
//!    them → taken, except a label the student does not reach when another
//!    taxon has more neighbourhood vote than it (then stop); different → the
//!    student's only when its taxon has more neighbourhood vote than the
//!    label's (the neighbours side with the student), else the label's.
//!    Neither → stop.
//!
//! So an input label is never removed or changed without evidence from the
//! held-out neighbourhood (labels the classifier itself barely supported are
//! trimmed first, by [`trusted_label`]), a label is only deepened where the neighbourhood is
//! mostly labelled at that rank, and a contig the classifier left unclassified
//! is only labelled down to the ranks its neighbourhood (or the vouched
//! lineage) supports. No constant depends on the rank or the
//! data set: 1/2 is "more likely assigned than not".

use crate::model::Prediction;
use crate::taxonomy::{Lineage, Rank};

/// Neighbours of every contig: row `i` lists `k` (neighbour row, weight)
/// pairs (fewer where the graph had fewer candidates; weight 0 pads).
/// Shapes: `index` and `weight` are (n_contigs, k), row-major.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NeighbourTable {
    pub k: usize,
    pub index: Vec<u32>,
    pub weight: Vec<f32>,
}

impl NeighbourTable {
    /// Number of contigs.
    pub fn n_rows(&self) -> usize {
        self.index.len().checked_div(self.k).unwrap_or(0)
    }

    /// (neighbour row, weight) pairs of contig `i` with a positive weight.
    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, f32)> + '_ {
        let r = i * self.k..(i + 1) * self.k;
        self.index[r.clone()]
            .iter()
            .zip(&self.weight[r])
            .filter(|(_, &w)| w > 0.0)
            .map(|(&j, &w)| (j as usize, w))
    }
}

/// Vote shares of one contig's neighbourhood.
pub struct Votes<'a> {
    labels: &'a [Lineage],
    nbrs: Vec<(usize, f32)>,
    total: f32,
    /// Per rank: the neighbourhood is unassigned at the rank the way the
    /// neighbourhoods of genomes missing from the reference are, more likely
    /// than the way those of genomes in it are ([`Silence`]).
    pub novel: [bool; 7],
}

impl<'a> Votes<'a> {
    /// The neighbourhood of contig `i` in `table`, voting with `labels`.
    pub fn new(table: &NeighbourTable, i: usize, labels: &'a [Lineage]) -> Votes<'a> {
        let nbrs: Vec<(usize, f32)> = table.row(i).filter(|(j, _)| *j < labels.len()).collect();
        let total = nbrs.iter().map(|x| x.1).sum();
        Votes {
            labels,
            nbrs,
            total,
            novel: [false; 7],
        }
    }

    /// Share of the neighbourhood weight whose label names `taxon` at `rank`
    /// (0 for an empty neighbourhood).
    pub fn share(&self, rank: Rank, taxon: &str) -> f32 {
        if self.total <= 0.0 {
            return 0.0;
        }
        let v: f32 = self
            .nbrs
            .iter()
            .filter(|(j, _)| self.labels[*j].at(rank) == Some(taxon))
            .map(|x| x.1)
            .sum();
        v / self.total
    }

    /// The largest share any taxon other than `taxon` gets at `rank`.
    pub fn best_other(&self, rank: Rank, taxon: &str) -> f32 {
        if self.total <= 0.0 {
            return 0.0;
        }
        let mut shares: Vec<(&str, f32)> = Vec::new();
        for (j, w) in &self.nbrs {
            if let Some(t) = self.labels[*j].at(rank).filter(|t| *t != taxon) {
                match shares.iter_mut().find(|(u, _)| *u == t) {
                    Some(e) => e.1 += w,
                    None => shares.push((t, *w)),
                }
            }
        }
        shares.iter().map(|e| e.1).fold(0.0, f32::max) / self.total
    }

    /// Share of the neighbourhood weight whose label has no taxon at `rank`
    /// (1 for an empty neighbourhood: nothing supports an assignment).
    pub fn unassigned(&self, rank: Rank) -> f32 {
        if self.total <= 0.0 {
            return 1.0;
        }
        let v: f32 = self
            .nbrs
            .iter()
            .filter(|(j, _)| self.labels[*j].at(rank).is_none())
            .map(|x| x.1)
            .sum();
        v / self.total
    }
}

/// The default `min_support` of [`trusted_label`]: the share of k-mers two
/// genomes at the species boundary (95 % ANI) share when substitutions fall
/// independently, 0.95^35 with Kraken2's 35-mers. Labels resting on less come
/// from a genome further away than its species.
pub const SPECIES_KMER_SHARE: f32 = 0.166;

/// The part of an input label the rule trusts. A label the classifier made
/// from less than `min_support` of its contig (Kraken2: the share of k-mers
/// with a hit) comes from a relative, not from the labelled species: genomes
/// of one species (ANI ≥ 95 %) share most k-mers, genomes of different
/// genera almost none. Such a label is kept above the genus only; others,
/// and labels without a support value, whole.
pub fn trusted_label(label: &Lineage, support: Option<f32>, min_support: f32) -> Lineage {
    match support {
        Some(s) if s < min_support => label.truncated(label.depth().min(Rank::Genus.index())),
        _ => label.clone(),
    }
}

/// Where an output lineage comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The open-set rule over the student's prediction and the input label.
    Student,
    /// The input label, unchanged (no prediction for the contig).
    Input,
    /// Neither: no label and no prediction.
    None,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Student => "student",
            Source::Input => "input",
            Source::None => "none",
        }
    }
}

/// The corrected lineage of one contig.
#[derive(Debug, Clone, PartialEq)]
pub struct Corrected {
    pub prediction: Prediction,
    pub source: Source,
    /// The first rank left unassigned because the contig looks novel there
    /// (the walk stopped by rule 1), if any.
    pub novel_from: Option<Rank>,
}

impl Corrected {
    /// The input label passed through unchanged, for a contig without a
    /// prediction ([`Source::Input`]; [`Source::None`] when unlabelled). Its
    /// scores are 1: the classifier gives none.
    pub fn kept(label: &Lineage) -> Corrected {
        Corrected {
            prediction: Prediction {
                lineage: label.clone(),
                scores: vec![1.0; label.depth()],
            },
            source: if label.depth() > 0 {
                Source::Input
            } else {
                Source::None
            },
            novel_from: None,
        }
    }

    /// The student's prediction as it is (no open-set rule); `None` (no
    /// prediction) passes the input label through ([`Corrected::kept`]).
    pub fn student_or_kept(label: &Lineage, pred: Option<&Prediction>) -> Corrected {
        match pred {
            Some(p) => Corrected {
                prediction: p.clone(),
                source: Source::Student,
                novel_from: None,
            },
            None => Corrected::kept(label),
        }
    }
}

/// The open-set rule (module doc) for one contig.
///
/// `label`: the input label (empty = unclassified); `pred`: the student's
/// prediction (`None` = not annotated, e.g. shorter than the minimum
/// length); `votes`: the contig's neighbourhood; `vouched`: the lineage the
/// student's taxon must match at ranks where the neighbourhood looks novel
/// (empty: none).
pub fn correct(
    label: &Lineage,
    pred: Option<&Prediction>,
    votes: &Votes,
    vouched: &Lineage,
) -> Corrected {
    let Some(pred) = pred else {
        return Corrected::kept(label);
    };
    let mut names = Vec::new();
    let mut scores = Vec::new();
    let (mut follow_label, mut follow_pred) = (true, true);
    let mut novel_from = None;
    for r in Rank::ALL {
        let l = label.at(r).filter(|_| follow_label);
        let p = pred.lineage.at(r).filter(|_| follow_pred);
        if l.is_none() && p.is_none() {
            break;
        }
        if l.is_none() && votes.novel[r.index()] && vouched.at(r) != p {
            novel_from = Some(r);
            break;
        }
        let take_pred = match (l, p) {
            (Some(a), Some(b)) if a == b => true,
            (Some(a), Some(b)) => votes.share(r, b) > votes.share(r, a),
            (None, Some(_)) => true,
            // the student stops above the label: the label stays unless the
            // neighbours side with another taxon
            (Some(a), None) if votes.best_other(r, a) > votes.share(r, a) => break,
            _ => false,
        };
        if take_pred {
            names.push(p.unwrap_or_default().to_string());
            scores.push(pred.scores[r.index()]);
            follow_label &= l == p;
        } else {
            let a = l.unwrap_or_default();
            names.push(a.to_string());
            scores.push(if p == l {
                pred.scores[r.index()]
            } else {
                votes.share(r, a)
            });
            follow_pred &= p == l;
        }
    }
    Corrected {
        prediction: Prediction {
            lineage: Lineage(names),
            scores,
        },
        source: Source::Student,
        novel_from,
    }
}

/// [`Corrected::student_or_kept`] for every contig (no open-set rule):
/// `labels` and `preds` aligned by row; a contig without a prediction keeps
/// its input label.
pub fn student_or_kept_all(labels: &[Lineage], preds: &[Option<Prediction>]) -> Vec<Corrected> {
    labels
        .iter()
        .zip(preds)
        .map(|(l, p)| Corrected::student_or_kept(l, p.as_ref()))
        .collect()
}

/// [`correct`] for every contig: `labels` (the input labels, which the
/// neighbours also vote with), `preds` (the student's), `table` (the
/// neighbours), all aligned by row; `vouched(i)`: row i's vouched lineage.
/// Rows beyond the table get no neighbourhood (everything looks unassigned).
pub fn correct_all(
    labels: &[Lineage],
    preds: &[Option<Prediction>],
    table: &NeighbourTable,
    vouched: impl Fn(usize) -> Lineage,
) -> Vec<Corrected> {
    let fits: Vec<Option<Silence>> = Rank::ALL
        .iter()
        .map(|&r| Silence::fit(table, labels, r))
        .collect();
    labels
        .iter()
        .zip(preds)
        .enumerate()
        .map(|(i, (l, p))| {
            let mut votes = if i < table.n_rows() {
                Votes::new(table, i, labels)
            } else {
                Votes {
                    labels,
                    nbrs: Vec::new(),
                    total: 0.0,
                    novel: [true; 7],
                }
            };
            if i < table.n_rows() {
                for r in Rank::ALL {
                    votes.novel[r.index()] = match &fits[r.index()] {
                        Some(f) => f.p_known(table, labels, i, r) < 0.5,
                        // one rate: missing at random, no sign of novelty;
                        // an empty neighbourhood supports nothing
                        None => votes.total <= 0.0,
                    };
                }
            }
            correct(l, p.as_ref(), &votes, &vouched(i))
        })
        .collect()
}

/// How often the classifier leaves a contig unassigned at one rank (no
/// taxon there: unclassified, or stopped above the rank), on genomes its
/// reference has and on genomes it lacks.
///
/// Real classifiers are silent on most contigs of a missing genome and on
/// few of a present one, so the number of unassigned contigs among a
/// contig's k neighbours follows a two-component binomial mixture: rate `a`
/// (genome in the reference) with weight `pi`, rate `b > a` (absent). It is
/// fitted by EM on the neighbour counts of every contig of the table, per
/// rank, and kept only when the Bayesian information criterion prefers it to
/// one binomial (labels missing at random, as in the simulator's
/// independent model, give one rate: no contig looks novel).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Silence {
    pub pi: f64,
    pub a: f64,
    pub b: f64,
}

/// (unassigned neighbours, neighbours) of contig `i` at `rank`.
fn unassigned_count(
    table: &NeighbourTable,
    labels: &[Lineage],
    i: usize,
    rank: Rank,
) -> (f64, f64) {
    let (mut x, mut k) = (0.0, 0.0);
    for (j, _) in table.row(i).filter(|(j, _)| *j < labels.len()) {
        k += 1.0;
        x += labels[j].at(rank).is_none() as u8 as f64;
    }
    (x, k)
}

impl Silence {
    /// Fits the mixture at `rank`; `None` when one rate explains the counts
    /// as well (by BIC) or there is nothing to fit.
    pub fn fit(table: &NeighbourTable, labels: &[Lineage], rank: Rank) -> Option<Silence> {
        let obs: Vec<(f64, f64)> = (0..table.n_rows())
            .map(|i| unassigned_count(table, labels, i, rank))
            .filter(|o| o.1 > 0.0)
            .collect();
        let n = obs.len() as f64;
        let (sx, sk): (f64, f64) = obs.iter().fold((0.0, 0.0), |a, o| (a.0 + o.0, a.1 + o.1));
        if n < 10.0 || sx == 0.0 || sx == sk {
            return None;
        }
        let lbin = |x: f64, k: f64, p: f64| x * p.ln() + (k - x) * (1.0 - p).ln();
        let clamp = |p: f64| p.clamp(1e-6, 1.0 - 1e-6);
        let p0 = sx / sk;
        let ll1: f64 = obs.iter().map(|&(x, k)| lbin(x, k, clamp(p0))).sum();
        let (mut pi, mut a, mut b): (f64, f64, f64) =
            (0.5, clamp(p0 / 2.0), clamp((p0 * 2.0).min(0.5 + p0 / 2.0)));
        let mut ll2 = f64::NEG_INFINITY;
        for _ in 0..200 {
            let (mut w_sum, mut wa_x, mut wa_k, mut wb_x, mut wb_k, mut ll) =
                (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
            for &(x, k) in &obs {
                let la = pi.ln() + lbin(x, k, a);
                let lb = (1.0 - pi).ln() + lbin(x, k, b);
                let m = la.max(lb);
                let z = m + ((la - m).exp() + (lb - m).exp()).ln();
                let w = (la - z).exp();
                ll += z;
                w_sum += w;
                wa_x += w * x;
                wa_k += w * k;
                wb_x += (1.0 - w) * x;
                wb_k += (1.0 - w) * k;
            }
            pi = (w_sum / n).clamp(1e-6, 1.0 - 1e-6);
            a = clamp(wa_x / wa_k.max(1e-12));
            b = clamp(wb_x / wb_k.max(1e-12));
            let done = (ll - ll2).abs() < 1e-6;
            ll2 = ll;
            if done {
                break;
            }
        }
        if a > b {
            std::mem::swap(&mut a, &mut b);
            pi = 1.0 - pi;
        }
        // BIC: two more parameters than one binomial
        (ll2 - ll1 > n.ln()).then_some(Silence { pi, a, b })
    }

    /// Posterior probability that contig `i`'s genome is in the reference,
    /// given its neighbours' silences at `rank` and its own (it is unassigned there).
    pub fn p_known(&self, table: &NeighbourTable, labels: &[Lineage], i: usize, rank: Rank) -> f64 {
        let (x, k) = unassigned_count(table, labels, i, rank);
        let (x, k) = (x + 1.0, k + 1.0);
        let la = self.pi.ln() + x * self.a.ln() + (k - x) * (1.0 - self.a).ln();
        let lb = (1.0 - self.pi).ln() + x * self.b.ln() + (k - x) * (1.0 - self.b).ln();
        1.0 / (1.0 + (lb - la).exp())
    }
}

/// How an output relates to the input label at one rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// Both name the same taxon.
    Confirmed,
    /// Both name a taxon, different ones.
    Changed,
    /// The label names a taxon, the output stops above the rank.
    Removed,
    /// The label stops above the rank (the contig was classified), the output names a taxon.
    Deepened,
    /// The classifier left the contig unclassified; the output names a taxon.
    NewlyLabelled,
    /// Neither names a taxon, and the open-set rule left the rank unassigned
    /// because the contig looks novel there.
    LeftNovel,
    /// The student made no prediction (e.g. the contig is shorter than the
    /// minimum length); the input label is kept as given at this rank.
    KeptInput,
}

impl Change {
    pub const ALL: [Change; 7] = [
        Change::Confirmed,
        Change::Changed,
        Change::Removed,
        Change::Deepened,
        Change::NewlyLabelled,
        Change::LeftNovel,
        Change::KeptInput,
    ];

    /// Column name in `summary.tsv` (and the web app's key).
    pub fn name(self) -> &'static str {
        match self {
            Change::Confirmed => "confirmed",
            Change::Changed => "changed",
            Change::Removed => "removed",
            Change::Deepened => "deepened",
            Change::NewlyLabelled => "newly_labelled",
            Change::LeftNovel => "left_novel",
            Change::KeptInput => "kept_input",
        }
    }

    /// The change at `rank` from `label` to `output` (`None` = nothing to
    /// count: neither names a taxon and the rank was not withheld as novel).
    pub fn at(
        rank: Rank,
        label: &Lineage,
        output: &Lineage,
        novel_from: Option<Rank>,
    ) -> Option<Change> {
        match (label.at(rank), output.at(rank)) {
            (Some(a), Some(b)) if a == b => Some(Change::Confirmed),
            (Some(_), Some(_)) => Some(Change::Changed),
            (Some(_), None) => Some(Change::Removed),
            (None, Some(_)) if label.depth() == 0 => Some(Change::NewlyLabelled),
            (None, Some(_)) => Some(Change::Deepened),
            (None, None) if novel_from.is_some_and(|n| n <= rank) => Some(Change::LeftNovel),
            (None, None) => None,
        }
    }
}

/// Per-rank counts of every [`Change`] (index: rank, then `Change::ALL` order),
/// plus per-contig tallies of the whole lineage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub per_rank: [[usize; 7]; 7],
    /// Contigs whose output extends their (classified) label deeper without changing it.
    pub deepened: usize,
    /// Contigs the classifier left unclassified that got a label.
    pub newly_labelled: usize,
    /// Contigs whose output differs from the label at some rank the label names.
    pub changed: usize,
    /// Contigs left unassigned at some rank because they look novel there.
    pub left_novel: usize,
    /// Contigs whose output is the input label as given (no prediction).
    pub kept_input: usize,
}

impl Summary {
    /// Counts the changes of `outputs` against `labels`.
    pub fn of(labels: &[Lineage], outputs: &[Corrected]) -> Summary {
        let mut s = Summary::default();
        for (l, o) in labels.iter().zip(outputs) {
            let out = &o.prediction.lineage;
            for r in Rank::ALL {
                let change =
                    if o.source == Source::Input && l.at(r).is_some() && l.at(r) == out.at(r) {
                        Some(Change::KeptInput)
                    } else {
                        Change::at(r, l, out, o.novel_from)
                    };
                if let Some(c) = change {
                    let k = Change::ALL.iter().position(|x| *x == c).unwrap_or(0);
                    s.per_rank[r.index()][k] += 1;
                }
            }
            let kept = out.truncated(l.depth()) == *l;
            if o.source == Source::Input {
                s.kept_input += 1;
            } else if l.depth() == 0 && out.depth() > 0 {
                s.newly_labelled += 1;
            } else if kept && out.depth() > l.depth() {
                s.deepened += 1;
            } else if !kept && (0..l.depth().min(out.depth())).any(|d| l.0[d] != out.0[d]) {
                s.changed += 1;
            }
            if o.novel_from.is_some() {
                s.left_novel += 1;
            }
        }
        s
    }

    /// `summary.tsv`: one row per rank, one column per change.
    pub fn to_tsv(&self) -> String {
        let mut t = String::from("rank");
        for c in Change::ALL {
            t.push('\t');
            t.push_str(c.name());
        }
        t.push('\n');
        for r in Rank::ALL {
            t.push_str(r.name());
            for v in self.per_rank[r.index()] {
                t.push_str(&format!("\t{v}"));
            }
            t.push('\n');
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(s: &str) -> Lineage {
        Lineage::parse(s).unwrap()
    }

    fn p(s: &str) -> Prediction {
        let lineage = l(s);
        Prediction {
            scores: vec![0.9; lineage.depth()],
            lineage,
        }
    }

    /// Contig 0 is the query; contigs 1.. are its neighbours (weight 1 each).
    fn setup(nbr_labels: &[&str]) -> (NeighbourTable, Vec<Lineage>) {
        let k = nbr_labels.len();
        let mut labels = vec![Lineage::unclassified()];
        labels.extend(nbr_labels.iter().map(|s| l(s)));
        let mut index = vec![0u32; (k + 1) * k];
        let mut weight = vec![0f32; (k + 1) * k];
        for j in 0..k {
            index[j] = j as u32 + 1;
            weight[j] = 1.0;
        }
        (NeighbourTable { k, index, weight }, labels)
    }

    /// Vouched lineages: everything the tests' students predict, or its first three ranks.
    fn all() -> Lineage {
        l("B;P;C;O;F;G;S")
    }
    fn high() -> Lineage {
        l("B;P;C")
    }

    #[test]
    fn an_unlabelled_neighbourhood_stops_a_prediction_where_the_student_does_not_generalise() {
        let (t, labels) = setup(&["", "", "", "B;P;C;O;F;G;S"]);
        let mut v = Votes::new(&t, 0, &labels);
        v.novel = [true; 7];
        let c = correct(
            &Lineage::unclassified(),
            Some(&p("B;P;C;O;F;G;S")),
            &v,
            &high(),
        );
        assert_eq!(c.prediction.lineage, l("B;P;C"));
        assert_eq!(c.novel_from, Some(Rank::Order));
        // a label is not cut by the neighbourhood: the student only extends
        // labels, and the label stays where the student contradicts it unsupported
        let c = correct(&l("B;P;C;O"), Some(&p("B;P;C;O;F;G;S")), &v, &high());
        assert_eq!(c.prediction.lineage, l("B;P;C;O"));
        assert_eq!(c.novel_from, Some(Rank::Family));
        let c = correct(&l("B;P;C;O"), Some(&p("B;P;C;O2;F;G;S")), &v, &high());
        assert_eq!(c.prediction.lineage, l("B;P;C;O"));
    }

    #[test]
    fn in_a_novel_neighbourhood_only_the_vouched_taxon_is_named() {
        let (t, labels) = setup(&["", "", ""]);
        let mut v = Votes::new(&t, 0, &labels);
        v.novel = [true; 7];
        let student = p("B;P;C;O;F;G;S");
        // the heads vouch for another phylum: only the domain is named
        let c = correct(&Lineage::unclassified(), Some(&student), &v, &l("B;P2;C"));
        assert_eq!(c.prediction.lineage, l("B"));
        assert_eq!(c.novel_from, Some(Rank::Phylum));
        // nothing vouched: nothing named
        let c = correct(
            &Lineage::unclassified(),
            Some(&student),
            &v,
            &Lineage::unclassified(),
        );
        assert_eq!(c.prediction.lineage, Lineage::unclassified());
        assert_eq!(c.novel_from, Some(Rank::Domain));
        // a neighbourhood that does not look novel needs no voucher
        v.novel = [false; 7];
        let c = correct(
            &Lineage::unclassified(),
            Some(&student),
            &v,
            &Lineage::unclassified(),
        );
        assert_eq!(c.prediction.lineage, student.lineage);
    }

    /// `n` contigs in genome-like blocks of 10 (each contig's neighbours are
    /// the other 9 of its block); `silent(block, member)` says which are unclassified.
    fn blocks(n: usize, silent: impl Fn(usize, usize) -> bool) -> (NeighbourTable, Vec<Lineage>) {
        let k = 9;
        let mut t = NeighbourTable {
            k,
            index: vec![0; n * k],
            weight: vec![1.0; n * k],
        };
        let mut labels = Vec::new();
        for i in 0..n {
            let (b, m) = (i / 10, i % 10);
            labels.push(if silent(b, m) {
                l("")
            } else {
                l("B;P;C;O;F;G;S")
            });
            let mut c = 0;
            for j in b * 10..b * 10 + 10 {
                if j != i {
                    t.index[i * k + c] = j as u32;
                    c += 1;
                }
            }
        }
        (t, labels)
    }

    #[test]
    fn silence_that_clusters_by_genome_marks_unclassified_contigs_novel() {
        // blocks 0-9 known (one silent contig in every other block), 10-19 absent (7 of 10 silent)
        let (t, labels) = blocks(
            200,
            |b, m| if b < 10 { m == 0 && b % 2 == 0 } else { m < 7 },
        );
        let s = Silence::fit(&t, &labels, Rank::Domain).expect("two rates");
        assert!(s.a < 0.1 && s.b > 0.5, "{s:?}");
        assert!(s.p_known(&t, &labels, 0, Rank::Domain) > 0.5); // a silent contig of a known genome
        assert!(s.p_known(&t, &labels, 100, Rank::Domain) < 0.5); // a silent contig of an absent one
        let preds: Vec<Option<Prediction>> = (0..200).map(|_| Some(p("B;P;C;O;F;G;S"))).collect();
        let out = correct_all(&labels, &preds, &t, |_| high());
        assert_eq!(out[0].prediction.lineage, l("B;P;C;O;F;G;S"));
        assert_eq!(out[100].prediction.lineage, l("B;P;C"));
    }

    #[test]
    fn silence_at_random_is_one_rate_and_changes_nothing() {
        // every block has 2 or 3 silent contigs: labels missing at random
        let (t, labels) = blocks(400, |b, m| m < 2 + b % 2);
        assert_eq!(Silence::fit(&t, &labels, Rank::Species), None);
        let preds: Vec<Option<Prediction>> = (0..400).map(|_| Some(p("B;P;C;O;F;G;S"))).collect();
        let out = correct_all(&labels, &preds, &t, |_| high());
        assert!(out
            .iter()
            .all(|c| c.prediction.lineage == l("B;P;C;O;F;G;S")));
    }

    #[test]
    fn a_weakly_supported_label_is_trusted_above_the_genus_only() {
        let x = l("B;P;C;O;F;G;S");
        assert_eq!(trusted_label(&x, Some(0.01), 0.5), l("B;P;C;O;F"));
        assert_eq!(trusted_label(&x, Some(0.9), 0.5), x);
        assert_eq!(trusted_label(&x, None, 0.5), x);
        assert_eq!(trusted_label(&l("B;P"), Some(0.0), 0.5), l("B;P"));
    }

    #[test]
    fn a_labelled_neighbourhood_lets_the_student_fill_and_deepen_labels() {
        let (t, labels) = setup(&["B;P;C;O;F;G;S", "B;P;C;O;F;G;S", "B;P;C;O;F;G"]);
        let v = Votes::new(&t, 0, &labels);
        let c = correct(
            &Lineage::unclassified(),
            Some(&p("B;P;C;O;F;G;S")),
            &v,
            &high(),
        );
        assert_eq!(c.prediction.lineage, l("B;P;C;O;F;G;S"));
        assert_eq!(c.novel_from, None);
        let c = correct(&l("B;P;C;O;F;G"), Some(&p("B;P;C;O;F;G;S")), &v, &high());
        assert_eq!(c.prediction.lineage, l("B;P;C;O;F;G;S"));
    }

    #[test]
    fn a_label_changes_only_when_the_neighbours_side_with_the_student() {
        let (t, labels) = setup(&["B;P;C;O;F;G;S", "B;P;C;O;F;G;S", "B;P;C;O;F;G;T"]);
        let v = Votes::new(&t, 0, &labels);
        // the student contradicts the label with the neighbours' support
        let c = correct(&l("B;P;C;O;F;G;T"), Some(&p("B;P;C;O;F;G;S")), &v, &all());
        assert_eq!(c.prediction.lineage, l("B;P;C;O;F;G;S"));
        // the student contradicts the label against the neighbours: the label stays
        let c = correct(&l("B;P;C;O;F;G;S"), Some(&p("B;P;C;O;F;G;T")), &v, &all());
        assert_eq!(c.prediction.lineage, l("B;P;C;O;F;G;S"));
        assert_eq!(c.prediction.scores.len(), 7);
        // a student that stops above the label does not remove it...
        let c = correct(&l("B;P;C;O;F;G;S"), Some(&p("B;P;C")), &v, &all());
        assert_eq!(c.prediction.lineage, l("B;P;C;O;F;G;S"));
        // ...unless the neighbours side with another taxon
        let c = correct(&l("B;P;C;O;F;G;T"), Some(&p("B;P;C")), &v, &all());
        assert_eq!(c.prediction.lineage, l("B;P;C;O;F;G"));
    }

    #[test]
    fn contigs_without_a_prediction_keep_their_input_label() {
        let (t, labels) = setup(&["", ""]);
        let v = Votes::new(&t, 0, &labels);
        let c = correct(&l("B;P"), None, &v, &all());
        assert_eq!((c.prediction.lineage, c.source), (l("B;P"), Source::Input));
        let c = correct(&Lineage::unclassified(), None, &v, &all());
        assert_eq!(c.source, Source::None);
    }

    #[test]
    fn the_summary_separates_deepened_newly_labelled_and_left_novel() {
        let labels = vec![l("B;P"), l(""), l(""), l("B;Q"), l("B;Q;R")];
        let mk = |s: &str, novel: Option<Rank>| Corrected {
            prediction: p(s),
            source: Source::Student,
            novel_from: novel,
        };
        let outs = vec![
            mk("B;P;C", None),
            mk("B;P", Some(Rank::Class)),
            mk("", Some(Rank::Domain)),
            mk("B;P", None),
            Corrected::kept(&labels[4]),
        ];
        let s = Summary::of(&labels, &outs);
        assert_eq!(
            (
                s.deepened,
                s.newly_labelled,
                s.changed,
                s.left_novel,
                s.kept_input
            ),
            (1, 1, 1, 2, 1)
        );
        // domain: 2 confirmed, 1 newly labelled, 1 left novel, 1 kept input
        assert_eq!(s.per_rank[0], [2, 0, 0, 0, 1, 1, 1]);
        // class: 1 deepened, 1 left novel (contig 1) and 1 (contig 2), 1 kept
        assert_eq!(s.per_rank[2], [0, 0, 0, 1, 0, 2, 1]);
        assert!(s.to_tsv().starts_with(
            "rank\tconfirmed\tchanged\tremoved\tdeepened\tnewly_labelled\tleft_novel\tkept_input\n"
        ));
    }
}

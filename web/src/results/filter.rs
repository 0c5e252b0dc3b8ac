//! Filters the views set on the table (linked views): a sunburst wedge, a
//! Sankey band, a rank bar's segment, a histogram bin or a composition
//! bar's segment each select the contigs they draw, so that the table can list exactly those. A filter
//! names taxa by their index in [`Table::names`], so matching a row compares
//! integers only.
//!
//! Runtime-free: tested natively.

use super::{Table, NO_NAME, OTHER, RANKS, UNCLASSIFIED};
use std::collections::HashMap;
use taxdistill_core::openset::{Change, Source};

/// What follows a [`Filter::Clade`]'s prefix in the output lineage.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Anything: the whole clade.
    Any,
    /// Nothing: the lineage stops at the prefix (the sunburst's `unassigned`).
    Stop,
    /// A taxon other than these (the sunburst's `[other]`: the children too
    /// small to draw).
    NotIn(Vec<u32>),
}

/// One side of a Sankey band.
#[derive(Debug, Clone, PartialEq)]
pub enum Cat {
    /// This taxon at the rank.
    Named(u32),
    /// A taxon, but none of these (the named categories of that side).
    Other(Vec<u32>),
    /// No taxon at the rank.
    Unclassified,
}

impl Cat {
    /// The category of `names[k]`, one side of a [`super::Flows`]: its
    /// named taxa, then [`OTHER`] and [`UNCLASSIFIED`]; `index` is the
    /// table's [`name_index`]. `None` when a name is not in the table.
    pub fn of_side(index: &HashMap<&str, u32>, names: &[String], k: usize) -> Option<Cat> {
        let named = |n: &String| n != OTHER && n != UNCLASSIFIED;
        match names.get(k)?.as_str() {
            UNCLASSIFIED => Some(Cat::Unclassified),
            OTHER => names
                .iter()
                .filter(|n| named(n))
                .map(|n| index.get(n.as_str()).copied())
                .collect::<Option<Vec<u32>>>()
                .map(Cat::Other),
            n => index.get(n).copied().map(Cat::Named),
        }
    }

    fn matches(&self, name: u32) -> bool {
        match self {
            Cat::Named(x) => name == *x,
            Cat::Other(named) => name != NO_NAME && !named.contains(&name),
            Cat::Unclassified => name == NO_NAME,
        }
    }

    fn text(&self, t: &Table) -> String {
        match self {
            Cat::Named(x) => t.name(*x).to_string(),
            Cat::Other(_) => OTHER.to_string(),
            Cat::Unclassified => UNCLASSIFIED.to_string(),
        }
    }
}

/// A selection of contigs made by clicking a view.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Sunburst: the output lineage (`input`: the input label) starts with
    /// `prefix`, then `next`.
    Clade {
        prefix: Vec<u32>,
        next: Next,
        input: bool,
    },
    /// Sankey band at `rank`: input label in `left`, output in `right`, and
    /// too short for the student (`kept`) or annotated by it.
    Flow {
        rank: usize,
        left: Cat,
        right: Cat,
        kept: bool,
    },
    /// Rank bars: the contigs of a change category at `rank` (`None`: the
    /// unassigned, in no category).
    Change { rank: usize, change: Option<Change> },
    /// Histogram: the student's score at `rank` in bin `bin` of `bins`.
    Score {
        rank: usize,
        bin: usize,
        bins: usize,
    },
    /// Composition: the output's taxon at `rank` is in `taxon` (a named
    /// taxon, the smaller ones pooled as other, or none).
    Taxon { rank: usize, taxon: Cat },
}

/// Which view set a filter: a view's new filter replaces its old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Sunburst,
    Sankey,
    RankBars,
    Histogram,
    Composition,
}

/// Name → index in [`Table::names`].
pub fn name_index(t: &Table) -> HashMap<&str, u32> {
    t.names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect()
}

/// The bin of a score, as [`super::score_histogram`] counts it.
pub fn score_bin(s: f32, bins: usize) -> usize {
    ((s.clamp(0.0, 1.0) * bins as f32) as usize).min(bins.max(1) - 1)
}

impl Filter {
    /// The view that sets this kind of filter.
    pub fn view(&self) -> View {
        match self {
            Filter::Clade { .. } => View::Sunburst,
            Filter::Flow { .. } => View::Sankey,
            Filter::Change { .. } => View::RankBars,
            Filter::Score { .. } => View::Histogram,
            Filter::Taxon { .. } => View::Composition,
        }
    }

    /// The filter in words, for its chip.
    pub fn label(&self, t: &Table) -> String {
        match self {
            Filter::Clade {
                prefix,
                next,
                input,
            } => {
                let mut s = if *input {
                    "input label: ".to_string()
                } else {
                    String::new()
                };
                s += &if prefix.is_empty() {
                    "all".to_string()
                } else {
                    prefix
                        .iter()
                        .map(|&n| t.name(n))
                        .collect::<Vec<_>>()
                        .join(" › ")
                };
                match next {
                    Next::Any => {}
                    Next::Stop => s.push_str(" › unassigned"),
                    Next::NotIn(_) => s.push_str(" › [other]"),
                }
                s
            }
            Filter::Flow {
                rank,
                left,
                right,
                kept,
            } => {
                let how = if *kept { " (input label kept)" } else { "" };
                format!(
                    "{}: {} → {}{how}",
                    RANKS[*rank],
                    left.text(t),
                    right.text(t)
                )
            }
            Filter::Change { rank, change } => {
                let what = change.map_or("unassigned".to_string(), |c| c.name().replace('_', " "));
                format!("{}: {what}", RANKS[*rank])
            }
            Filter::Score { rank, bin, bins } => format!(
                "{} score {:.2}–{:.2}",
                RANKS[*rank],
                *bin as f64 / *bins as f64,
                (*bin + 1) as f64 / *bins as f64
            ),
            Filter::Taxon { rank, taxon } => format!("{}: {}", RANKS[*rank], taxon.text(t)),
        }
    }

    /// Which rows of `t` the filter keeps.
    pub fn mask(&self, t: &Table) -> Vec<bool> {
        let n = t.len();
        match self {
            Filter::Clade {
                prefix,
                next,
                input,
            } => (0..n)
                .map(|i| {
                    let p = if *input { Some(t.noisy(i)) } else { t.pred(i) };
                    let Some(p) = p else { return false };
                    let k = prefix.len();
                    p.starts_with(prefix)
                        && match next {
                            Next::Any => true,
                            Next::Stop => p.len() == k,
                            Next::NotIn(v) => p.get(k).is_some_and(|x| !v.contains(x)),
                        }
                })
                .collect(),
            Filter::Flow {
                rank,
                left,
                right,
                kept,
            } => {
                let at = |l: &[u32]| l.get(*rank).copied().unwrap_or(NO_NAME);
                (0..n)
                    .map(|i| {
                        let Some(p) = t.pred(i) else { return false };
                        (t.source(i) == Source::Input) == *kept
                            && left.matches(at(t.noisy(i)))
                            && right.matches(at(p))
                    })
                    .collect()
            }
            Filter::Change { rank, change } => {
                // rows with the same label, output and source change alike
                type Key<'a> = (&'a [u32], Option<&'a [u32]>, u8);
                let mut seen: HashMap<Key, bool> = HashMap::new();
                (0..n)
                    .map(|i| {
                        *seen
                            .entry((t.noisy(i), t.pred(i), t.source[i]))
                            .or_insert_with(|| t.changes(i)[*rank] == *change)
                    })
                    .collect()
            }
            Filter::Score { rank, bin, bins } => (0..n)
                .map(|i| {
                    t.by_student(i)
                        && t.scores(i)
                            .get(*rank)
                            .is_some_and(|&s| score_bin(s, *bins) == *bin)
                })
                .collect(),
            // as the composition pools them: no output is unclassified
            Filter::Taxon { rank, taxon } => (0..n)
                .map(|i| {
                    let name = t.pred(i).and_then(|p| p.get(*rank)).copied();
                    taxon.matches(name.unwrap_or(NO_NAME))
                })
                .collect(),
        }
    }
}

/// The rows every filter keeps (`None`: no filter, every row).
pub fn combined_mask(t: &Table, filters: &[Filter]) -> Option<Vec<bool>> {
    let mut it = filters.iter();
    let mut mask = it.next()?.mask(t);
    for f in it {
        for (m, keep) in mask.iter_mut().zip(f.mask(t)) {
            *m &= keep;
        }
    }
    Some(mask)
}

/// `filters` with `f` in place of the filter its view set before.
pub fn with_filter(filters: &[Filter], f: Filter) -> Vec<Filter> {
    let mut out: Vec<Filter> = filters
        .iter()
        .filter(|g| g.view() != f.view())
        .cloned()
        .collect();
    out.push(f);
    out
}

/// `filters` without the one `view` set.
pub fn without_view(filters: &[Filter], view: View) -> Vec<Filter> {
    filters
        .iter()
        .filter(|g| g.view() != view)
        .cloned()
        .collect()
}

/// Lines of a Taxometer TSV (header, then one line per contig) for the rows
/// `rows` of `t`: the header, then each row's line, found by its contig id
/// (the first field). Rows whose id has no line are left out.
pub fn tsv_lines(tsv: &str, t: &Table, rows: &[u32]) -> String {
    let mut lines = tsv.lines();
    let Some(header) = lines.next() else {
        return String::new();
    };
    let body: Vec<&str> = lines.collect();
    fn id_of(l: &str) -> &str {
        l.split('\t').next().unwrap_or("")
    }
    // the worker writes the contigs in table order: use it where it holds
    let in_order = body.len() == t.len() && (0..t.len()).all(|i| id_of(body[i]) == t.id(i));
    let by_id: HashMap<&str, &str> = if in_order {
        HashMap::new()
    } else {
        body.iter().map(|l| (id_of(l), *l)).collect()
    };
    let mut out = String::with_capacity(header.len() + 1 + rows.len() * 64);
    out.push_str(header);
    out.push('\n');
    for &i in rows {
        let i = i as usize;
        let line = if in_order {
            Some(body[i])
        } else {
            by_id.get(t.id(i)).copied()
        };
        if let Some(l) = line {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::table;
    use super::super::{sankey_flows, score_histogram};
    use super::*;

    fn rows(mask: &[bool]) -> Vec<usize> {
        (0..mask.len()).filter(|&i| mask[i]).collect()
    }

    fn demo() -> Table {
        table(&[
            ("a", 10, "B;X", Some("B;X;C1"), &[1.0, 0.9, 0.8]),
            ("b", 10, "B;X", Some("B;Y"), &[1.0, 0.5]),
            ("c", 10, "B;Z", Some("B;Y"), &[1.0, 0.95]),
            ("d", 10, "", Some("B"), &[0.7]),
            ("e", 10, "B;X", None, &[]),
            ("f", 10, "", None, &[]),
            ("g", 10, "A", Some(""), &[]),
        ])
    }

    #[test]
    fn a_clade_filter_keeps_the_lineages_below_it() {
        let t = demo();
        let ix = name_index(&t);
        let b = ix["B"];
        let whole = Filter::Clade {
            prefix: vec![b],
            next: Next::Any,
            input: false,
        };
        assert_eq!(rows(&whole.mask(&t)), vec![0, 1, 2, 3, 4]);
        let stop = Filter::Clade {
            prefix: vec![b],
            next: Next::Stop,
            input: false,
        };
        assert_eq!(rows(&stop.mask(&t)), vec![3]);
        let other = Filter::Clade {
            prefix: vec![b],
            next: Next::NotIn(vec![ix["Y"]]),
            input: false,
        };
        assert_eq!(rows(&other.mask(&t)), vec![0, 4]);
        // the root's unassigned: an output without a domain
        let none = Filter::Clade {
            prefix: vec![],
            next: Next::Stop,
            input: false,
        };
        assert_eq!(rows(&none.mask(&t)), vec![6]);
        assert_eq!(other.label(&t), "B › [other]");
        // the same clade in the input labels: a, b, c, e
        let labelled = Filter::Clade {
            prefix: vec![b],
            next: Next::Any,
            input: true,
        };
        assert_eq!(rows(&labelled.mask(&t)), vec![0, 1, 2, 4]);
        assert_eq!(labelled.label(&t), "input label: B");
        // no input label: d, f
        let none = Filter::Clade {
            prefix: vec![],
            next: Next::Stop,
            input: true,
        };
        assert_eq!(rows(&none.mask(&t)), vec![3, 5]);
    }

    #[test]
    fn a_flow_filter_keeps_the_contigs_of_its_band() {
        let t = demo();
        let f = sankey_flows(&t, 1, 1);
        let ix = name_index(&t);
        for (a, b, n, kept) in f
            .flows
            .iter()
            .map(|&(a, b, n)| (a, b, n, false))
            .chain(f.kept.iter().map(|&(a, b, n)| (a, b, n, true)))
        {
            let filter = Filter::Flow {
                rank: 1,
                left: Cat::of_side(&ix, &f.left, a).unwrap(),
                right: Cat::of_side(&ix, &f.right, b).unwrap(),
                kept,
            };
            let got = filter.mask(&t).iter().filter(|&&m| m).count() as u64;
            assert_eq!(got, n, "{}", filter.label(&t));
        }
    }

    #[test]
    fn change_and_score_filters_count_as_the_charts() {
        let t = demo();
        let counts = super::super::rank_counts(&t);
        for (r, c) in counts.iter().enumerate() {
            for change in Change::ALL {
                let f = Filter::Change {
                    rank: r,
                    change: Some(change),
                };
                let n = f.mask(&t).iter().filter(|&&m| m).count() as u64;
                assert_eq!(n, c.get(change));
            }
            let f = Filter::Change {
                rank: r,
                change: None,
            };
            assert_eq!(
                f.mask(&t).iter().filter(|&&m| m).count() as u64,
                c.unassigned
            );
            let h = score_histogram(&t, r, 10);
            for (bin, &n) in h.iter().enumerate() {
                let f = Filter::Score {
                    rank: r,
                    bin,
                    bins: 10,
                };
                assert_eq!(f.mask(&t).iter().filter(|&&m| m).count() as u64, n);
            }
        }
    }

    #[test]
    fn taxon_filters_split_the_contigs_as_the_composition_pools_them() {
        let t = demo();
        let ix = name_index(&t);
        // at rank 1, top taxa "Y" and "X", the rest other, then unclassified
        let taxa: Vec<String> = ["Y", OTHER, UNCLASSIFIED]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let masks: Vec<Vec<usize>> = (0..taxa.len())
            .map(|k| {
                let taxon = Cat::of_side(&ix, &taxa, k).unwrap();
                rows(&Filter::Taxon { rank: 1, taxon }.mask(&t))
            })
            .collect();
        assert_eq!(masks[0], vec![1, 2]);
        // X: a, and e (its input label kept)
        assert_eq!(masks[1], vec![0, 4]);
        // none at the rank (d, g), or no output (f)
        assert_eq!(masks[2], vec![3, 5, 6]);
        let f = Filter::Taxon {
            rank: 1,
            taxon: Cat::of_side(&ix, &taxa, 0).unwrap(),
        };
        assert_eq!(f.label(&t), "phylum: Y");
        assert_eq!(f.view(), View::Composition);
    }

    #[test]
    fn filters_combine_and_replace_per_view() {
        let t = demo();
        let ix = name_index(&t);
        let clade = Filter::Clade {
            prefix: vec![ix["B"]],
            next: Next::Any,
            input: false,
        };
        let score = Filter::Score {
            rank: 1,
            bin: 9,
            bins: 10,
        };
        let both = with_filter(std::slice::from_ref(&clade), score.clone());
        // scores 0.9 and 0.95 at rank 1: bin 9 is [0.9, 1.0]
        assert_eq!(rows(&combined_mask(&t, &both).unwrap()), vec![0, 2]);
        let replaced = with_filter(
            &both,
            Filter::Score {
                rank: 1,
                bin: 5,
                bins: 10,
            },
        );
        assert_eq!(replaced.len(), 2);
        assert_eq!(rows(&combined_mask(&t, &replaced).unwrap()), vec![1]);
        assert_eq!(without_view(&replaced, View::Histogram), vec![clade]);
        assert!(combined_mask(&t, &[]).is_none());
    }

    #[test]
    fn tsv_lines_pick_the_rows_by_contig_id() {
        let t = demo();
        let tsv = "contigs\tpredictions\na\tB\nb\tB\nc\tB\nd\tB\ne\t\nf\t\ng\t\n";
        assert_eq!(
            tsv_lines(tsv, &t, &[2, 0]),
            "contigs\tpredictions\nc\tB\na\tB\n"
        );
        // another order: found by id
        let shuffled = "contigs\tpredictions\nb\tB\na\tB\n";
        assert_eq!(
            tsv_lines(shuffled, &t, &[0, 2]),
            "contigs\tpredictions\na\tB\n"
        );
    }
}

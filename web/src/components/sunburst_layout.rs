//! Geometry of the sunburst (Krona-like): the wedges below a focused node,
//! children largest first; the children too thin to draw pooled into one
//! `[other]` wedge per parent; the contigs whose lineage stops at a node in
//! an `unassigned` wedge that runs to the outer ring, so every ring is whole.

use super::charts::{arc_path, KEPT_INPUT, UNASSIGNED};
use crate::results::filter::{name_index, Filter, Next};
use crate::results::{Table, TreeNode, RANKS};

/// Rings drawn below the root (one per rank).
pub const RINGS: usize = RANKS.len();
/// Width and height of the drawing.
pub const SIZE: f64 = 440.0;
/// Radius of the centre disc (click: zoom out).
pub const HOLE: f64 = 34.0;
/// Least angle (radians) of a drawn child; thinner ones go to `[other]`.
const MIN_SPAN: f64 = 0.008;
/// The name of the pooled thin children.
pub const OTHER_WEDGE: &str = "[other]";
/// The name of the contigs whose lineage stops above the ring.
pub const UNASSIGNED_WEDGE: &str = "unassigned";
/// Colour of `[other]`.
pub const OTHER_FILL: &str = "#bcc3cb";

/// How the wedges are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colouring {
    /// Krona-like: hue from the taxon's place, lightness from its rank.
    Taxon,
    /// By the student's mean score at the wedge's rank ([`SCORE_SCALE`]).
    Score,
}

/// The confidence scale: (least mean score, fill, text colour), lowest
/// first; a diverging red–blue scale that does not rely on red against green.
pub const SCORE_SCALE: [(f64, &str, &str); 5] = [
    (0.0, "#b2182b", "#fff"),
    (0.5, "#ef8a62", "#1d2733"),
    (0.7, "#fddbc7", "#1d2733"),
    (0.85, "#92c5de", "#1d2733"),
    (0.95, "#2166ac", "#fff"),
];

/// The fill and text colour of a mean score (`None`: no contig of the
/// wedge was annotated by the student — input labels kept as given).
pub fn score_fill(score: Option<f64>) -> (&'static str, &'static str) {
    match score {
        None => (KEPT_INPUT, "#1d2733"),
        Some(s) => SCORE_SCALE
            .iter()
            .rev()
            .find(|(least, _, _)| s >= *least)
            .map_or((SCORE_SCALE[0].1, SCORE_SCALE[0].2), |(_, f, i)| (f, i)),
    }
}

/// What a wedge stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum WedgeKind {
    /// A taxon (a node of the tree).
    Node(usize),
    /// The children of `parent` too thin to draw (`drawn`: the others).
    Other { parent: usize, drawn: Vec<usize> },
    /// The contigs whose lineage stops at `parent`.
    Unassigned { parent: usize },
}

/// One wedge of the drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct Wedge {
    pub kind: WedgeKind,
    pub name: String,
    /// Ring below the focus (1: the first).
    pub ring: usize,
    /// The ring's rank.
    pub rank: &'static str,
    pub contigs: u64,
    pub bp: u64,
    /// Share of the focused node (contigs or bp, as drawn), in percent.
    pub share: f64,
    /// The student's mean score at the rank (`None`: no scored contig).
    pub mean_score: Option<f64>,
    pub path: String,
    pub fill: String,
    /// Label colour.
    pub ink: &'static str,
    /// Centre of the wedge (tooltip anchor).
    pub centre: (f64, f64),
    /// Label position, rotation (degrees: along the arc, kept upright) and
    /// text, for wedges long enough to hold one.
    pub label: Option<(f64, f64, f64, String)>,
    /// Start angle (radians, clockwise from 12 o'clock).
    pub start: f64,
}

impl Wedge {
    /// The wedge in words: name, rank, contigs, bp, share (and mean score).
    pub fn describe(&self) -> String {
        let score = self
            .mean_score
            .map(|s| format!(", mean score {s:.2}"))
            .unwrap_or_default();
        format!(
            "{} ({}): {} contigs, {} bp, {:.1}%{score}",
            self.name, self.rank, self.contigs, self.bp, self.share
        )
    }

    /// Whether clicking the wedge zooms into it (a taxon with children).
    pub fn zooms(&self, tree: &[TreeNode]) -> Option<usize> {
        match self.kind {
            WedgeKind::Node(v) if !tree[v].children.is_empty() => Some(v),
            _ => None,
        }
    }

    /// The table filter of the wedge's contigs (`None`: a name not in the
    /// table, which a tree built from it cannot have); `input`: the tree is
    /// of the input labels.
    pub fn filter(&self, tree: &[TreeNode], t: &Table, input: bool) -> Option<Filter> {
        let (v, next) = match &self.kind {
            WedgeKind::Node(v) => (*v, Next::Any),
            WedgeKind::Unassigned { parent } => (*parent, Next::Stop),
            WedgeKind::Other { parent, drawn } => {
                let ix = name_index(t);
                let names = drawn
                    .iter()
                    .map(|&c| ix.get(tree[c].name.as_str()).copied())
                    .collect::<Option<Vec<u32>>>()?;
                (*parent, Next::NotIn(names))
            }
        };
        clade_filter(tree, t, v, next, input)
    }
}

/// The filter of node `v`'s contigs, then `next` (`input`: `tree` is of
/// the input labels).
pub fn clade_filter(
    tree: &[TreeNode],
    t: &Table,
    v: usize,
    next: Next,
    input: bool,
) -> Option<Filter> {
    let ix = name_index(t);
    let mut prefix = Vec::new();
    let mut x = v;
    while let Some(p) = tree[x].parent {
        prefix.push(ix.get(tree[x].name.as_str()).copied()?);
        x = p;
    }
    prefix.reverse();
    Some(Filter::Clade {
        prefix,
        next,
        input,
    })
}

/// Hues of `tree` that match `like`'s (with hues `like_hue`) wherever the
/// same lineage is in both, so a taxon keeps its colour between the input
/// labels' and the output's sunburst; elsewhere `tree`'s own.
pub fn hues_like(tree: &[TreeNode], like: &[TreeNode], like_hue: &[f64]) -> Vec<f64> {
    let mut hue = hues(tree);
    if tree.is_empty() || like.is_empty() {
        return hue;
    }
    let mut stack = vec![(0usize, 0usize)];
    while let Some((v, w)) = stack.pop() {
        hue[v] = like_hue[w];
        for &c in &tree[v].children {
            let same = like[w]
                .children
                .iter()
                .find(|&&d| like[d].name == tree[c].name);
            if let Some(&d) = same {
                stack.push((c, d));
            }
        }
    }
    hue
}

/// Krona-like colours: the hue follows a node's place around the full
/// circle (so neighbours differ and a clade's members look alike), the
/// lightness its depth. Computed once on the unzoomed tree, so colours stay
/// put while zooming.
pub fn hues(tree: &[TreeNode]) -> Vec<f64> {
    let mut hue = vec![0.0; tree.len()];
    if tree.is_empty() {
        return hue;
    }
    let mut stack = vec![(0usize, 0.0f64, 1.0f64)];
    while let Some((v, a0, a1)) = stack.pop() {
        hue[v] = 360.0 * (a0 + a1) / 2.0;
        let total = tree[v].contigs.max(1) as f64;
        let mut a = a0;
        for c in by_size(tree, v, false) {
            let span = (a1 - a0) * tree[c].contigs as f64 / total;
            stack.push((c, a, a + span));
            a += span;
        }
    }
    hue
}

fn fill(hue: f64, depth: usize) -> (String, &'static str) {
    let light = 40.0 + 5.0 * depth as f64;
    let text = if light < 58.0 { "#fff" } else { "#1d2733" };
    (format!("hsl({hue:.0}, 58%, {light:.0}%)"), text)
}

fn weight(n: &TreeNode, by_bp: bool) -> f64 {
    if by_bp {
        n.bp as f64
    } else {
        n.contigs as f64
    }
}

/// The children of `v`, largest first (ties by name).
fn by_size(tree: &[TreeNode], v: usize, by_bp: bool) -> Vec<usize> {
    let mut c = tree[v].children.clone();
    c.sort_by(|&a, &b| {
        weight(&tree[b], by_bp)
            .total_cmp(&weight(&tree[a], by_bp))
            .then_with(|| tree[a].name.cmp(&tree[b].name))
    });
    c
}

/// A label along the arc at mid-radius, where it fits.
fn arc_label(name: &str, c: f64, rm: f64, a0: f64, a1: f64) -> Option<(f64, f64, f64, String)> {
    let room = (a1 - a0) * rm - 6.0;
    (room > 24.0).then(|| {
        let am = (a0 + a1) / 2.0;
        let max = (room / 5.2) as usize;
        let text: String = if name.chars().count() > max {
            name.chars()
                .take(max.saturating_sub(1))
                .chain(['…'])
                .collect()
        } else {
            name.to_string()
        };
        let deg = am.to_degrees();
        let deg = if deg > 90.0 && deg < 270.0 {
            deg - 180.0
        } else {
            deg
        };
        (c + rm * am.sin(), c - rm * am.cos(), deg, text)
    })
}

/// Everything one wedge needs besides its place.
struct Content {
    kind: WedgeKind,
    name: String,
    contigs: u64,
    bp: u64,
    mean_score: Option<f64>,
    fill: String,
    ink: &'static str,
}

/// The wedges below `focus` (`by_bp`: sized by bp, else by contigs),
/// coloured by taxon or by score.
pub fn layout(
    tree: &[TreeNode],
    hue: &[f64],
    focus: usize,
    by_bp: bool,
    colouring: Colouring,
) -> Vec<Wedge> {
    let mut out = Vec::new();
    if tree.is_empty() {
        return out;
    }
    let total = weight(&tree[focus], by_bp).max(1.0);
    let rings = RINGS.saturating_sub(tree[focus].depth).max(1);
    let c = SIZE / 2.0;
    let ring_w = (c - HOLE - 6.0) / rings as f64;
    let radii = |first: usize, last: usize| {
        (
            HOLE + 2.0 + ring_w * (first - 1) as f64,
            HOLE + 2.0 + ring_w * last as f64 - 1.0,
        )
    };
    let mut push = |w: Content, ring: usize, last: usize, a0: f64, a1: f64| {
        let (r0, r1) = radii(ring, last);
        let rm = if last == ring {
            (r0 + r1) / 2.0
        } else {
            r0 + ring_w / 2.0
        };
        let am = (a0 + a1) / 2.0;
        let weight = if by_bp { w.bp } else { w.contigs } as f64;
        out.push(Wedge {
            rank: RANKS
                .get(tree[focus].depth + ring - 1)
                .copied()
                .unwrap_or(""),
            share: 100.0 * weight / total,
            label: arc_label(&w.name, c, rm, a0, a1),
            centre: (c + rm * am.sin(), c - rm * am.cos()),
            path: arc_path(c, c, r0, r1, a0, a1),
            ring,
            start: a0,
            kind: w.kind,
            name: w.name,
            contigs: w.contigs,
            bp: w.bp,
            mean_score: w.mean_score,
            fill: w.fill,
            ink: w.ink,
        });
    };
    // (node, a0, a1, its ring; 0: the focus, not drawn)
    let mut stack = vec![(focus, 0.0f64, std::f64::consts::TAU, 0usize)];
    while let Some((v, a0, a1, ring)) = stack.pop() {
        let n = &tree[v];
        if ring > 0 {
            let (fill, ink) = match colouring {
                Colouring::Taxon => fill(hue[v], n.depth),
                Colouring::Score => {
                    let (f, i) = score_fill(n.mean_score());
                    (f.to_string(), i)
                }
            };
            let content = Content {
                kind: WedgeKind::Node(v),
                name: n.name.clone(),
                contigs: n.contigs,
                bp: n.bp,
                mean_score: n.mean_score(),
                fill,
                ink,
            };
            push(content, ring, ring, a0, a1);
        }
        // below species there is no rank to draw
        if ring == rings || n.depth >= RINGS {
            continue;
        }
        let wv = weight(n, by_bp).max(1.0);
        let (mut a, mut drawn, mut thin) = (a0, Vec::new(), Vec::new());
        for ch in by_size(tree, v, by_bp) {
            let span = (a1 - a0) * weight(&tree[ch], by_bp) / wv;
            if span >= MIN_SPAN {
                stack.push((ch, a, a + span, ring + 1));
                drawn.push(ch);
                a += span;
            } else if span > 0.0 {
                thin.push(ch);
            }
        }
        if !thin.is_empty() {
            let sum = |f: &dyn Fn(&TreeNode) -> u64| thin.iter().map(|&x| f(&tree[x])).sum::<u64>();
            let (contigs, bp, scored) = (sum(&|n| n.contigs), sum(&|n| n.bp), sum(&|n| n.scored));
            let score_sum: f64 = thin.iter().map(|&x| tree[x].score_sum).sum();
            let span = (a1 - a0) * if by_bp { bp } else { contigs } as f64 / wv;
            let mean_score = (scored > 0).then(|| score_sum / scored as f64);
            let (fill, ink) = match colouring {
                Colouring::Taxon => (OTHER_FILL, "#1d2733"),
                Colouring::Score => score_fill(mean_score),
            };
            let content = Content {
                kind: WedgeKind::Other { parent: v, drawn },
                name: OTHER_WEDGE.into(),
                contigs,
                bp,
                mean_score,
                fill: fill.into(),
                ink,
            };
            push(content, ring + 1, ring + 1, a, a + span);
            a += span;
        }
        let kids =
            |f: &dyn Fn(&TreeNode) -> u64| n.children.iter().map(|&x| f(&tree[x])).sum::<u64>();
        let (contigs, bp) = (n.contigs - kids(&|x| x.contigs), n.bp - kids(&|x| x.bp));
        if contigs > 0 && a1 - a > 1e-9 {
            let content = Content {
                kind: WedgeKind::Unassigned { parent: v },
                name: UNASSIGNED_WEDGE.into(),
                contigs,
                bp,
                mean_score: None,
                fill: UNASSIGNED.into(),
                ink: "#1d2733",
            };
            push(content, ring + 1, rings, a, a1);
        }
    }
    // ring by ring, clockwise: the order of the keyboard's tab stops
    out.sort_by(|a, b| a.ring.cmp(&b.ring).then(a.start.total_cmp(&b.start)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{prediction_tree, TableBuilder};
    use taxdistill_core::model::Prediction;
    use taxdistill_core::openset::Source;
    use taxdistill_core::taxonomy::Lineage;

    /// `rows` of (lineage, contigs): one contig of 10 bp each.
    fn tree_of(rows: &[(&str, usize)]) -> (Table, Vec<TreeNode>) {
        let mut b = TableBuilder::with_capacity(0);
        let mut k = 0;
        for &(l, n) in rows {
            for _ in 0..n {
                let lineage = Lineage(
                    l.split(';')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                );
                let scores = vec![0.5; lineage.0.len()];
                b.push(
                    &format!("c{k}"),
                    10,
                    &Lineage::unclassified(),
                    Some(&Prediction { lineage, scores }),
                    Source::Student,
                );
                k += 1;
            }
        }
        let t = b.finish();
        let tree = prediction_tree(&t);
        (t, tree)
    }

    #[test]
    fn the_first_ring_is_the_domains_largest_first_then_unassigned() {
        let (_, tree) = tree_of(&[("A;P", 3), ("B", 5), ("", 2)]);
        let w = layout(&tree, &hues(&tree), 0, false, Colouring::Taxon);
        let first: Vec<(&str, u64)> = w
            .iter()
            .filter(|w| w.ring == 1)
            .map(|w| (w.name.as_str(), w.contigs))
            .collect();
        assert_eq!(first, vec![("B", 5), ("A", 3), ("unassigned", 2)]);
        // B stops at domain: its unassigned runs to the outer ring
        let b_un = w
            .iter()
            .find(|w| w.ring == 2 && w.name == UNASSIGNED_WEDGE && w.contigs == 5)
            .unwrap();
        assert!(matches!(b_un.kind, WedgeKind::Unassigned { .. }));
        let total: f64 = w.iter().filter(|w| w.ring == 1).map(|w| w.share).sum();
        assert!((total - 100.0).abs() < 1e-9);
    }

    #[test]
    fn by_score_each_wedge_takes_the_scale_colour_of_its_mean_score() {
        let (_, tree) = tree_of(&[("A;P", 3), ("B", 5)]);
        let w = layout(&tree, &hues(&tree), 0, false, Colouring::Score);
        let nodes: Vec<&Wedge> = w
            .iter()
            .filter(|w| matches!(w.kind, WedgeKind::Node(_)))
            .collect();
        assert_eq!(nodes.len(), 3);
        for x in nodes {
            assert_eq!(x.mean_score, Some(0.5));
            assert_eq!(x.fill, "#ef8a62");
        }
        assert_eq!(score_fill(Some(0.96)), ("#2166ac", "#fff"));
        assert_eq!(score_fill(Some(0.9)).0, "#92c5de");
        assert_eq!(score_fill(Some(0.1)).0, "#b2182b");
        assert_eq!(score_fill(None).0, KEPT_INPUT);
    }

    #[test]
    fn the_input_labels_tree_keeps_the_colours_of_the_taxa_it_shares() {
        // output A;P and B; input labels A;Q (for the A;P contigs) and none
        let mut b = TableBuilder::with_capacity(0);
        for k in 0..4 {
            let (label, out) = if k < 3 { ("A;Q", "A;P") } else { ("", "B") };
            let lineage = Lineage::parse(out).unwrap();
            let scores = vec![0.9; lineage.depth()];
            let label = if label.is_empty() {
                Lineage::unclassified()
            } else {
                Lineage::parse(label).unwrap()
            };
            b.push(
                &format!("c{k}"),
                10,
                &label,
                Some(&Prediction { lineage, scores }),
                Source::Student,
            );
        }
        let t = b.finish();
        let out = prediction_tree(&t);
        let input = crate::results::input_tree(&t);
        // every contig, the unlabelled one at the root; no scores
        assert_eq!((input[0].contigs, input.len()), (4, 3));
        assert_eq!(input[1].mean_score(), None);
        let h = hues(&out);
        let hi = hues_like(&input, &out, &h);
        let a_out = out.iter().position(|n| n.name == "A").unwrap();
        let a_in = input.iter().position(|n| n.name == "A").unwrap();
        assert_eq!(hi[a_in], h[a_out]);
        let w = layout(&input, &hi, 0, false, Colouring::Taxon);
        let first: Vec<(&str, u64)> = w
            .iter()
            .filter(|w| w.ring == 1)
            .map(|w| (w.name.as_str(), w.contigs))
            .collect();
        assert_eq!(first, vec![("A", 3), ("unassigned", 1)]);
        let un = w
            .iter()
            .find(|w| w.ring == 1 && w.name == UNASSIGNED_WEDGE)
            .unwrap();
        let f = un.filter(&input, &t, true).unwrap();
        assert_eq!(f.mask(&t), vec![false, false, false, true]);
    }

    #[test]
    fn thin_children_are_pooled_into_one_other_wedge() {
        let mut rows = vec![("B;Big", 2000)];
        let names: Vec<String> = (0..5).map(|i| format!("B;Tiny{i}")).collect();
        for n in &names {
            rows.push((n.as_str(), 1));
        }
        let (t, tree) = tree_of(&rows);
        let w = layout(&tree, &hues(&tree), 0, false, Colouring::Taxon);
        let ring2: Vec<&Wedge> = w.iter().filter(|w| w.ring == 2).collect();
        assert_eq!(ring2.len(), 2, "Big and [other]");
        let other = ring2.iter().find(|w| w.name == OTHER_WEDGE).unwrap();
        assert_eq!(other.contigs, 5);
        assert_eq!(other.mean_score, Some(0.5));
        let f = other.filter(&tree, &t, false).unwrap();
        assert_eq!(f.mask(&t).iter().filter(|&&m| m).count(), 5);
        assert_eq!(f.label(&t), "B › [other]");
    }

    #[test]
    fn zooming_draws_the_focus_children_on_the_first_ring() {
        let (t, tree) = tree_of(&[("A;P1", 3), ("A;P2", 1), ("A", 1), ("B", 5)]);
        let a = tree.iter().position(|n| n.name == "A").unwrap();
        let w = layout(&tree, &hues(&tree), a, false, Colouring::Taxon);
        let first: Vec<&str> = w
            .iter()
            .filter(|w| w.ring == 1)
            .map(|w| w.name.as_str())
            .collect();
        assert_eq!(first, vec!["P1", "P2", "unassigned"]);
        assert_eq!((w[0].name.as_str(), w[0].rank), ("P1", "phylum"));
        let un = w
            .iter()
            .find(|w| w.ring == 1 && w.name == UNASSIGNED_WEDGE)
            .unwrap();
        let f = un.filter(&tree, &t, false).unwrap();
        assert_eq!(f.mask(&t).iter().filter(|&&m| m).count(), 1);
        let first: f64 = w.iter().filter(|w| w.ring == 1).map(|w| w.share).sum();
        assert!((first - 100.0).abs() < 1e-9);
    }
}

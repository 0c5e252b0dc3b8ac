//! Ranks, lineages and the label tree.
//!
//! A [`Lineage`] is a list of taxon names from the domain downwards; its length
//! is its depth (0 = unclassified, 7 = species). The [`LabelTree`] is built from
//! the lineages present in the labels; its leaves (the deepest labelled taxa)
//! are the output units of the student and the teacher. Nodes are identified by
//! their full path, so one name under two parents makes two nodes.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The seven ranks, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rank {
    Domain,
    Phylum,
    Class,
    Order,
    Family,
    Genus,
    Species,
}

impl Rank {
    /// All ranks from domain to species.
    pub const ALL: [Rank; 7] = [
        Rank::Domain,
        Rank::Phylum,
        Rank::Class,
        Rank::Order,
        Rank::Family,
        Rank::Genus,
        Rank::Species,
    ];

    /// 0 for domain … 6 for species.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The rank at `index` (0 = domain).
    pub fn from_index(index: usize) -> Option<Rank> {
        Rank::ALL.get(index).copied()
    }

    /// Lower-case name (`"domain"` … `"species"`).
    pub fn name(self) -> &'static str {
        match self {
            Rank::Domain => "domain",
            Rank::Phylum => "phylum",
            Rank::Class => "class",
            Rank::Order => "order",
            Rank::Family => "family",
            Rank::Genus => "genus",
            Rank::Species => "species",
        }
    }

    /// NCBI (and CAMI) rank name: `superkingdom` for the domain.
    pub fn ncbi_name(self) -> &'static str {
        match self {
            Rank::Domain => "superkingdom",
            r => r.name(),
        }
    }

    /// GTDB prefix letter (`d`, `p`, `c`, `o`, `f`, `g`, `s`).
    pub fn prefix(self) -> char {
        self.name().chars().next().expect("non-empty")
    }

    /// Kraken report rank code (`D`, `P`, `C`, `O`, `F`, `G`, `S`).
    pub fn kraken_code(self) -> char {
        self.prefix().to_ascii_uppercase()
    }

    /// Parses a rank name as NCBI and CAMI write it (`superkingdom`/`domain`
    /// … `species`; the viruses' top ranks `acellular root` and `realm` as
    /// the domain). `cellular root` (NCBI 2025: "cellular organisms") sits
    /// above the domains, so it is no rank here: a label stopping there is
    /// unclassified. The one rank parser of the crate (the taxdump reader
    /// uses it too).
    pub fn parse(s: &str) -> Option<Rank> {
        match s.trim().to_ascii_lowercase().as_str() {
            "domain" | "superkingdom" | "realm" | "acellular root" => Some(Rank::Domain),
            "phylum" => Some(Rank::Phylum),
            "class" => Some(Rank::Class),
            "order" => Some(Rank::Order),
            "family" => Some(Rank::Family),
            "genus" => Some(Rank::Genus),
            "species" => Some(Rank::Species),
            _ => None,
        }
    }
}

impl std::fmt::Display for Rank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A lineage: taxon names from the domain downwards (`names[i]` is at rank `i`).
///
/// Names are stored without GTDB rank prefixes. An empty lineage means
/// unclassified. Readers fill a missing intermediate rank with a placeholder
/// (see [`Lineage::placeholder`]) so that positions always equal ranks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Lineage(pub Vec<String>);

impl Lineage {
    /// The unclassified lineage.
    pub fn unclassified() -> Self {
        Lineage(Vec::new())
    }

    /// Depth = number of ranks assigned (0 … 7).
    pub fn depth(&self) -> usize {
        self.0.len()
    }

    /// The deepest rank assigned, if any.
    pub fn rank(&self) -> Option<Rank> {
        self.0.len().checked_sub(1).and_then(Rank::from_index)
    }

    /// Name at a rank, if the lineage reaches it.
    pub fn at(&self, rank: Rank) -> Option<&str> {
        self.0.get(rank.index()).map(String::as_str)
    }

    /// The lineage cut to at most `depth` ranks.
    pub fn truncated(&self, depth: usize) -> Lineage {
        Lineage(self.0.iter().take(depth).cloned().collect())
    }

    /// Placeholder name for a rank that a source skips (e.g. an NCBI lineage
    /// without a class): `"<rank> of <parent>"`, so it stays unique per parent.
    pub fn placeholder(rank: Rank, parent: &str) -> String {
        format!("unknown {} of {}", rank.name(), parent)
    }

    /// Whether `name` is a [`Lineage::placeholder`] (`"unknown <rank> of <parent>"`).
    pub fn is_placeholder(name: &str) -> bool {
        name.strip_prefix("unknown ")
            .and_then(|rest| rest.split_once(" of "))
            .is_some_and(|(rank, _)| Rank::ALL.iter().any(|r| r.name() == rank))
    }

    /// The lineage without the placeholders at its end: a lineage that stops at
    /// a placeholder is assigned only as deep as its last named taxon.
    pub fn without_trailing_placeholders(&self) -> Lineage {
        let depth = self
            .0
            .iter()
            .rposition(|n| !Lineage::is_placeholder(n))
            .map_or(0, |i| i + 1);
        self.truncated(depth)
    }

    /// Name of the *unresolved* leaf under `parent`: the taxa at `rank` under
    /// `parent` that the classifier's reference lacks. A label that stops at
    /// an inner node of the label tree becomes a label on that node's
    /// unresolved leaf (see [`with_unresolved_leaves`]); predictions never
    /// name it (the walk stops at its parent).
    pub fn unresolved(rank: Rank, parent: &str) -> String {
        format!("unresolved {} of {}", rank.name(), parent)
    }

    /// Whether `name` is a [`Lineage::unresolved`] leaf name.
    pub fn is_unresolved(name: &str) -> bool {
        name.strip_prefix("unresolved ")
            .and_then(|rest| rest.split_once(" of "))
            .is_some_and(|(rank, _)| Rank::ALL.iter().any(|r| r.name() == rank))
    }

    /// Parses a `;`-separated lineage string, with or without GTDB prefixes
    /// (`d__Bacteria;p__…`), NCBI names, or an empty string (unclassified).
    /// Prefixed parts are placed at their rank; missing ranks in between get
    /// placeholders. Trailing empty parts are dropped.
    ///
    /// # Errors
    /// A string with more than seven ranks, or a prefixed rank out of order.
    pub fn parse(s: &str) -> std::result::Result<Lineage, String> {
        let parts: Vec<&str> = s.split(';').map(str::trim).collect();
        let mut names: Vec<String> = Vec::new();
        for part in parts {
            if part.is_empty() {
                continue;
            }
            if let Some((rank, name)) = split_prefix(part) {
                if name.is_empty() {
                    // "g__" means unassigned at this rank: stop here.
                    break;
                }
                let idx = rank.index();
                if idx < names.len() {
                    return Err(format!(
                        "rank {} out of order in lineage '{}'",
                        rank.name(),
                        s
                    ));
                }
                while names.len() < idx {
                    let r = Rank::from_index(names.len()).expect("rank index < 7");
                    let parent = names.last().cloned().unwrap_or_else(|| "root".to_string());
                    names.push(Lineage::placeholder(r, &parent));
                }
                names.push(name.to_string());
            } else {
                names.push(part.to_string());
            }
            if names.len() > 7 {
                return Err(format!("more than seven ranks in lineage '{}'", s));
            }
        }
        Ok(Lineage(names))
    }

    /// `;`-joined names, no prefixes (Taxometer's output style).
    pub fn to_plain_string(&self) -> String {
        self.0.join(";")
    }
}

fn split_prefix(part: &str) -> Option<(Rank, &str)> {
    let b = part.as_bytes();
    if b.len() >= 3 && b[1] == b'_' && b[2] == b'_' {
        let rank = match b[0].to_ascii_lowercase() {
            b'd' | b'k' => Rank::Domain,
            b'p' => Rank::Phylum,
            b'c' => Rank::Class,
            b'o' => Rank::Order,
            b'f' => Rank::Family,
            b'g' => Rank::Genus,
            b's' => Rank::Species,
            _ => return None,
        };
        Some((rank, &part[3..]))
    } else {
        None
    }
}

/// Labels as the student and the teacher learn from them: a label that stops
/// at a taxon which other usable labels extend deeper gets one more rank, the
/// taxon's unresolved leaf ([`Lineage::unresolved`]). A similarity-search
/// classifier stops where its reference cannot tell the deeper taxon (an LCA
/// over several genera, a genus absent from the database); the hierarchical
/// loss alone would let such a contig's probability drift onto a known child
/// — Taxometer's failure on novel taxa — while the unresolved leaf gives it a
/// place to stay, so the prediction walk stops at the labelled rank where
/// the evidence does.
///
/// `usable[i]` says whether lineage i counts when deciding which taxa have
/// deeper labels (the contigs long enough to train on). Unclassified
/// lineages, species-level ones and those already at a leaf are unchanged.
///
/// # Examples
/// ```
/// use taxdistill_core::taxonomy::{with_unresolved_leaves, Lineage};
/// let l = |s: &str| Lineage::parse(s).unwrap();
/// let labels = [l("A;B;C"), l("A;B"), l("A;D")];
/// let out = with_unresolved_leaves(&labels, &[true, true, true]);
/// assert_eq!(out[0], l("A;B;C"));
/// assert_eq!(out[1], l("A;B;unresolved class of B"));
/// assert_eq!(out[2], l("A;D"));
/// ```
pub fn with_unresolved_leaves(lineages: &[Lineage], usable: &[bool]) -> Vec<Lineage> {
    use std::collections::HashSet;
    let mut inner: HashSet<&[String]> = HashSet::new();
    for (l, _) in lineages.iter().zip(usable).filter(|(_, &u)| u) {
        for d in 1..l.depth() {
            inner.insert(&l.0[..d]);
        }
    }
    lineages
        .iter()
        .map(|l| {
            let d = l.depth();
            match Rank::from_index(d) {
                Some(next) if d > 0 && inner.contains(l.0.as_slice()) => {
                    let mut out = l.clone();
                    out.0.push(Lineage::unresolved(next, &l.0[d - 1]));
                    out
                }
                _ => l.clone(),
            }
        })
        .collect()
}

/// Normalises a taxon name for comparison: case-insensitive, spaces =
/// underscores, GTDB rank prefix stripped.
pub fn normalize_name(name: &str) -> String {
    let name = name.trim();
    let name = match split_prefix(name) {
        Some((_, rest)) => rest,
        None => name,
    };
    name.to_lowercase().replace(' ', "_")
}

/// One node of the [`LabelTree`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Taxon name (no prefix); the root is named `"root"`.
    pub name: String,
    /// Parent node index; `None` for the root.
    pub parent: Option<usize>,
    /// Depth: 0 for the root, 1 for a domain … 7 for a species.
    pub depth: usize,
}

/// The label tree: a root (index 0) and one node per distinct lineage prefix.
///
/// Leaves are the nodes without children: the deepest labelled taxa. Leaf
/// order (`leaves`) is the column order of every probability matrix.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelTree {
    pub nodes: Vec<Node>,
    /// Node indices of the leaves, in column order.
    pub leaves: Vec<usize>,
    #[serde(skip)]
    children: Vec<Vec<usize>>,
    #[serde(skip)]
    index: HashMap<Vec<String>, usize>,
    #[serde(skip)]
    leaf_pos: Vec<Option<usize>>,
    #[serde(skip)]
    node_leaves: Vec<Vec<usize>>,
    #[serde(skip)]
    unresolved: Vec<bool>,
}

impl LabelTree {
    /// Builds the tree from the lineages present in the labels (unclassified
    /// lineages are ignored). Leaves are ordered depth-first by name, so the
    /// same set of lineages always gives the same tree.
    pub fn from_lineages<'a, I: IntoIterator<Item = &'a Lineage>>(lineages: I) -> LabelTree {
        let mut paths: Vec<&Vec<String>> = lineages
            .into_iter()
            .map(|l| &l.0)
            .filter(|p| !p.is_empty())
            .collect();
        paths.sort();
        paths.dedup();
        let mut nodes = vec![Node {
            name: "root".into(),
            parent: None,
            depth: 0,
        }];
        let mut index: HashMap<Vec<String>, usize> = HashMap::new();
        index.insert(Vec::new(), 0);
        for p in paths {
            for d in 1..=p.len() {
                let key = p[..d].to_vec();
                if index.contains_key(&key) {
                    continue;
                }
                let parent = index[&p[..d - 1]];
                nodes.push(Node {
                    name: p[d - 1].clone(),
                    parent: Some(parent),
                    depth: d,
                });
                index.insert(key, nodes.len() - 1);
            }
        }
        Self::from_nodes(nodes)
    }

    /// Rebuilds the derived indices from a node list (as stored in `model.json`);
    /// parents must come before their children.
    pub fn from_nodes(nodes: Vec<Node>) -> LabelTree {
        let n = nodes.len();
        let mut children = vec![Vec::new(); n];
        for (i, node) in nodes.iter().enumerate() {
            if let Some(p) = node.parent {
                children[p].push(i);
            }
        }
        for c in children.iter_mut() {
            c.sort_by(|&a, &b| nodes[a].name.cmp(&nodes[b].name));
        }
        // depth-first leaf order
        let mut leaves = Vec::new();
        let mut stack = vec![0usize];
        while let Some(v) = stack.pop() {
            if children[v].is_empty() && v != 0 {
                leaves.push(v);
            }
            for &c in children[v].iter().rev() {
                stack.push(c);
            }
        }
        let mut leaf_pos = vec![None; n];
        for (i, &l) in leaves.iter().enumerate() {
            leaf_pos[l] = Some(i);
        }
        let mut node_leaves = vec![Vec::new(); n];
        for (li, &l) in leaves.iter().enumerate() {
            let mut v = Some(l);
            while let Some(x) = v {
                node_leaves[x].push(li);
                v = nodes[x].parent;
            }
        }
        let unresolved = nodes
            .iter()
            .map(|n| Lineage::is_unresolved(&n.name))
            .collect();
        let mut tree = LabelTree {
            nodes,
            leaves,
            children,
            index: HashMap::new(),
            leaf_pos,
            node_leaves,
            unresolved,
        };
        let mut index = HashMap::new();
        for i in 0..tree.nodes.len() {
            index.insert(tree.path(i), i);
        }
        tree.index = index;
        tree
    }

    /// Restores derived indices after deserialisation (a tree this crate
    /// built; for a stored one, use [`LabelTree::try_rebuilt`]).
    pub fn rebuilt(self) -> LabelTree {
        Self::from_nodes(self.nodes)
    }

    /// [`LabelTree::from_nodes`] for nodes read from a file: checks first
    /// that node 0 is the root (no parent, depth 0, and the only such node),
    /// that every other node's parent comes before it (so the parents are in
    /// range and acyclic), that depths grow by one from parent to child up
    /// to the species (7), that no two children of a node share a name, and
    /// that the tree has leaves. The reason names the first bad node.
    ///
    /// # Errors
    /// [`Error::Invalid`] with the reason.
    pub fn try_from_nodes(nodes: Vec<Node>) -> crate::Result<LabelTree> {
        let bad =
            |i: usize, why: String| crate::Error::Invalid(format!("label tree: node {i}: {why}"));
        match nodes.first() {
            None => return Err(crate::Error::Invalid("label tree: no nodes".into())),
            Some(r) if r.parent.is_some() || r.depth != 0 => {
                return Err(bad(0, "the root must have no parent and depth 0".into()))
            }
            Some(_) => {}
        }
        let mut seen: std::collections::HashSet<(usize, &str)> = Default::default();
        for (i, node) in nodes.iter().enumerate().skip(1) {
            let Some(p) = node.parent else {
                return Err(bad(i, "a second root (no parent)".into()));
            };
            if p >= i {
                return Err(bad(
                    i,
                    format!("parent {p} does not come before it (out of range or a cycle)"),
                ));
            }
            if node.depth != nodes[p].depth + 1 || node.depth > Rank::ALL.len() {
                return Err(bad(
                    i,
                    format!(
                        "depth {} under a parent of depth {} (depths run 1 … 7, one more than the parent)",
                        node.depth, nodes[p].depth
                    ),
                ));
            }
            if node.name.trim().is_empty() {
                return Err(bad(i, "empty name".into()));
            }
            if !seen.insert((p, node.name.as_str())) {
                return Err(bad(
                    i,
                    format!("'{}' appears twice under node {p}", node.name),
                ));
            }
        }
        Ok(Self::from_nodes(nodes))
    }

    /// [`LabelTree::try_from_nodes`] after deserialisation; also checks
    /// that a stored leaf order (`leaves`, the output columns) is the one
    /// the nodes give.
    ///
    /// # Errors
    /// [`Error::Invalid`] with the reason.
    pub fn try_rebuilt(self) -> crate::Result<LabelTree> {
        let stored = self.leaves;
        let tree = Self::try_from_nodes(self.nodes)?;
        if !stored.is_empty() && stored != tree.leaves {
            return Err(crate::Error::Invalid(format!(
                "label tree: the stored leaf order ({} leaves) is not the one its nodes give ({} leaves)",
                stored.len(),
                tree.leaves.len()
            )));
        }
        Ok(tree)
    }

    /// Number of leaves (= output columns).
    pub fn n_leaves(&self) -> usize {
        self.leaves.len()
    }

    /// Children of a node, sorted by name.
    pub fn children(&self, node: usize) -> &[usize] {
        &self.children[node]
    }

    /// One step of the prediction walk: the most probable child of `v`
    /// under the node probabilities `node_p` (the first on ties), or `None`
    /// at a leaf or when that child is an unresolved leaf (a taxon below `v`
    /// that the reference lacks: the lineage stops at `v`). The threshold
    /// test is the caller's. The one definition of the walk's step, used by
    /// the prediction (`model::predict_from_node_probs`) and the threshold
    /// calibration (`taxdistill_train::calibrate`); `walk.wgsl` mirrors it
    /// and its parity tests compare the two.
    pub fn best_child(&self, node_p: &[f32], v: usize) -> Option<usize> {
        let ch = self.children(v);
        let mut best = *ch.first()?;
        for &c in &ch[1..] {
            if node_p[c] > node_p[best] {
                best = c;
            }
        }
        (!self.is_unresolved(best)).then_some(best)
    }

    /// Whether a node is an unresolved leaf ([`Lineage::unresolved`]): the
    /// prediction walk never enters it.
    pub fn is_unresolved(&self, node: usize) -> bool {
        self.unresolved[node]
    }

    /// Leaf columns under a node (the node itself if it is a leaf).
    pub fn leaves_under(&self, node: usize) -> &[usize] {
        &self.node_leaves[node]
    }

    /// Column of a leaf node, `None` for inner nodes.
    pub fn leaf_column(&self, node: usize) -> Option<usize> {
        self.leaf_pos[node]
    }

    /// Names from the domain down to `node`.
    pub fn path(&self, node: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut v = node;
        while let Some(p) = self.nodes[v].parent {
            out.push(self.nodes[v].name.clone());
            v = p;
        }
        out.reverse();
        out
    }

    /// The lineage of a node.
    pub fn lineage(&self, node: usize) -> Lineage {
        Lineage(self.path(node))
    }

    /// The deepest node of the tree on a lineage: the lineage's own node if
    /// present, else its deepest ancestor present (the root for unclassified
    /// or unknown lineages).
    pub fn node_of(&self, lineage: &Lineage) -> usize {
        for d in (1..=lineage.depth()).rev() {
            if let Some(&i) = self.index.get(&lineage.0[..d]) {
                return i;
            }
        }
        0
    }

    /// Exact node of a lineage, if it is in the tree.
    pub fn find(&self, lineage: &Lineage) -> Option<usize> {
        self.index.get(&lineage.0).copied()
    }

    /// For each leaf column, its ancestors' node indices at depths 1..=7
    /// (`None` past the leaf's depth). Row-major `[n_leaves][7]`; the GPU uses it.
    pub fn leaf_ancestors(&self) -> Vec<[Option<usize>; 7]> {
        self.leaves
            .iter()
            .map(|&l| {
                let mut row = [None; 7];
                let mut v = Some(l);
                while let Some(x) = v {
                    let d = self.nodes[x].depth;
                    if d >= 1 {
                        row[d - 1] = Some(x);
                    }
                    v = self.nodes[x].parent;
                }
                row
            })
            .collect()
    }

    /// Probability of every node given leaf probabilities (sum over its leaves).
    pub fn node_probs(&self, leaf_probs: &[f32]) -> Vec<f32> {
        let mut out = vec![0f32; self.nodes.len()];
        // leaves first, then accumulate upwards in reverse index order
        // (children always have larger indices than their parents).
        for (li, &l) in self.leaves.iter().enumerate() {
            out[l] = leaf_probs[li];
        }
        for v in (1..self.nodes.len()).rev() {
            if let Some(p) = self.nodes[v].parent {
                let x = out[v];
                out[p] += x;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(s: &str) -> Lineage {
        Lineage::parse(s).unwrap()
    }

    #[test]
    fn placeholders_are_recognised_and_trimmed_from_the_end() {
        let x = l("d__Bacteria;p__Firmicutes;f__Lachnospiraceae");
        assert!(Lineage::is_placeholder(x.at(Rank::Class).unwrap()));
        assert!(!Lineage::is_placeholder("Firmicutes"));
        assert!(!Lineage::is_placeholder("unknown bacterium of soil"));
        assert_eq!(x.without_trailing_placeholders(), x);
        let cut = Lineage(vec![
            "Bacteria".into(),
            Lineage::placeholder(Rank::Phylum, "Bacteria"),
        ]);
        assert_eq!(cut.without_trailing_placeholders(), l("Bacteria"));
    }

    #[test]
    fn gtdb_prefixes_are_placed_at_their_rank_with_placeholders() {
        let x = l("d__Bacteria;p__Firmicutes;f__Lachnospiraceae");
        assert_eq!(x.depth(), 5);
        assert_eq!(x.at(Rank::Class), Some("unknown class of Firmicutes"));
        assert_eq!(x.at(Rank::Family), Some("Lachnospiraceae"));
    }

    #[test]
    fn labels_that_stop_above_deeper_labels_get_an_unresolved_leaf() {
        let labels = [
            l("A;B;C;D"),
            l("A;B"),
            l("A;B;C"),
            l("A;X"),
            l(""),
            l("A;Q;R"),
        ];
        // the last lineage is not usable (a short contig): it neither extends A
        // nor gets a leaf of its own unless another usable label goes deeper
        let usable = [true, true, true, true, true, false];
        let out = with_unresolved_leaves(&labels, &usable);
        assert_eq!(out[0], labels[0]);
        assert_eq!(out[1], l("A;B;unresolved class of B"));
        assert_eq!(out[2], l("A;B;C;unresolved order of C"));
        assert_eq!(out[3], labels[3]);
        assert_eq!(out[4], labels[4]);
        assert_eq!(out[5], labels[5]);
        let tree = LabelTree::from_lineages(out.iter());
        let u = tree.find(&out[1]).unwrap();
        assert!(tree.is_unresolved(u) && tree.leaf_column(u).is_some());
        assert!(!tree.is_unresolved(tree.find(&l("A;B")).unwrap()));
        assert!(Lineage::is_unresolved("unresolved genus of F"));
        assert!(!Lineage::is_unresolved("unresolved bacterium of soil"));
        // species-level labels never get one
        let sp = [l("A;B;C;D;E;F;G")];
        assert_eq!(with_unresolved_leaves(&sp, &[true]), sp);
    }

    #[test]
    fn empty_string_is_unclassified() {
        assert_eq!(l("").depth(), 0);
        assert_eq!(l("d__Bacteria;p__").depth(), 1);
    }

    #[test]
    fn same_name_under_two_parents_gives_two_nodes() {
        let a = l("A;X;c");
        let b = l("B;X;c");
        let t = LabelTree::from_lineages([&a, &b]);
        assert_eq!(t.n_leaves(), 2);
        assert_ne!(t.find(&a), t.find(&b));
    }

    #[test]
    fn node_probabilities_sum_leaves() {
        let ls = [l("A;B;C"), l("A;B;D"), l("A;E")];
        let t = LabelTree::from_lineages(ls.iter());
        let p = t.node_probs(&[0.2, 0.3, 0.5]);
        assert!((p[0] - 1.0).abs() < 1e-6);
        let ab = t.find(&l("A;B")).unwrap();
        assert!((p[ab] - 0.5).abs() < 1e-6);
        assert_eq!(t.leaves_under(ab).len(), 2);
    }

    #[test]
    fn stored_trees_are_checked_before_use() {
        let ls = [l("A;B;C"), l("A;B;D"), l("A;E")];
        let t = LabelTree::from_lineages(ls.iter());
        let ok = LabelTree::try_from_nodes(t.nodes.clone()).unwrap();
        assert_eq!(ok.leaves, t.leaves);
        let edited = |f: &dyn Fn(&mut Vec<Node>)| {
            let mut n = t.nodes.clone();
            f(&mut n);
            LabelTree::try_from_nodes(n).unwrap_err().to_string()
        };
        let c = t.find(&l("A;B;C")).unwrap();
        let b = t.find(&l("A;B")).unwrap();
        assert!(edited(&|n| n[c].parent = Some(99)).contains("does not come before"));
        // a cycle: b's parent is its own child
        assert!(edited(&|n| n[b].parent = Some(c)).contains("does not come before"));
        assert!(edited(&|n| n[c].depth = 0).contains("depth 0"));
        assert!(edited(&|n| n[c].parent = None).contains("second root"));
        assert!(edited(&|n| n[0].depth = 1).contains("root"));
        assert!(edited(&|n| n.clear()).contains("no nodes"));
        let d = t.find(&l("A;B;D")).unwrap();
        assert!(edited(&|n| n[d].name = "C".into()).contains("twice"));
        assert!(edited(&|n| n[d].name = " ".into()).contains("empty name"));
        // a stored leaf order that is not the nodes'
        let mut r = t.clone();
        r.leaves.reverse();
        assert!(r
            .try_rebuilt()
            .unwrap_err()
            .to_string()
            .contains("leaf order"));
    }

    #[test]
    fn tree_survives_serialisation() {
        let ls = [l("A;B;C"), l("A;B;D"), l("A;E")];
        let t = LabelTree::from_lineages(ls.iter());
        let json = serde_json::to_string(&t).unwrap();
        let back: LabelTree = serde_json::from_str::<LabelTree>(&json).unwrap().rebuilt();
        assert_eq!(back.leaves, t.leaves);
        assert_eq!(back.node_of(&l("A;B;Z")), t.find(&l("A;B")).unwrap());
    }

    #[test]
    fn names_compare_case_and_space_insensitively() {
        assert_eq!(
            normalize_name("s__Escherichia coli"),
            normalize_name("escherichia_coli")
        );
    }
}

//! Searchable, sortable, virtualised table of all contigs: only the rows in
//! view (plus a margin) are in the DOM, so 100k rows scroll smoothly; search
//! and sort run on precomputed keys ([`TableIndex`]), a few milliseconds
//! for 100k rows. Rows whose label was kept from the input (too short for
//! the student) say so in their own column and are tinted (`row-input`).
//! The charts' filters ([`Filters`]) narrow the rows; the rows listed can be
//! saved as a Taxometer TSV.

use super::filters::{FilterChips, Filters};
use crate::client::Shown;
use crate::download;
use crate::results::filter::{combined_mask, tsv_lines};
use crate::results::Table;
use leptos::prelude::*;
use std::cmp::Ordering;
use std::sync::Arc;
use taxdistill_core::openset::{Change, Source};

const ROW_H: f64 = 26.0;
const VIEW_H: f64 = 440.0;
const OVERSCAN: usize = 8;

/// Sortable columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Id,
    Length,
    Noisy,
    Pred,
    Source,
    Score,
}

/// Search and sort keys of a [`Table`], built once per run.
#[derive(Debug, Clone, PartialEq)]
pub struct TableIndex {
    /// The ids, lower-cased (same offsets as `Table::ids`: ASCII case only).
    ids_lower: String,
    /// Lower-cased taxon names.
    names_lower: Vec<String>,
    /// Each name's position in alphabetical order.
    name_rank: Vec<u32>,
}

impl TableIndex {
    /// The keys of `t`.
    pub fn new(t: &Table) -> TableIndex {
        let mut order: Vec<u32> = (0..t.names.len() as u32).collect();
        order.sort_by(|&a, &b| t.name(a).cmp(t.name(b)));
        let mut name_rank = vec![0u32; t.names.len()];
        for (rank, &n) in order.iter().enumerate() {
            name_rank[n as usize] = rank as u32;
        }
        TableIndex {
            ids_lower: t.ids.to_ascii_lowercase(),
            names_lower: t.names.iter().map(|n| n.to_lowercase()).collect(),
            name_rank,
        }
    }

    fn id_lower<'a>(&'a self, t: &Table, i: usize) -> &'a str {
        let (a, b) = (t.id_starts[i] as usize, t.id_starts[i + 1] as usize);
        &self.ids_lower[a..b - 1]
    }

    fn lineage_cmp(&self, a: &[u32], b: &[u32]) -> Ordering {
        let key = |l: &[u32]| {
            l.iter()
                .map(|&n| self.name_rank[n as usize])
                .collect::<Vec<_>>()
        };
        key(a).cmp(&key(b))
    }
}

/// The student's score at the deepest rank; −1 without one (a kept input
/// label has none: its stored 1s are no confidence).
fn deepest_score(t: &Table, i: usize) -> f32 {
    if !t.by_student(i) {
        return -1.0;
    }
    t.scores(i).last().copied().unwrap_or(-1.0)
}

/// Rows kept by `mask` (`None`: every row) matching `query`
/// (case-insensitive substring of the id or of a taxon of either lineage),
/// in FASTA order or sorted by `sort` (column, descending).
pub fn visible_order(
    t: &Table,
    ix: &TableIndex,
    query: &str,
    sort: Option<(Col, bool)>,
    mask: Option<&[bool]>,
) -> Vec<u32> {
    if t.is_empty() {
        return Vec::new();
    }
    let q = query.trim().to_lowercase();
    let kept = |i: usize| mask.is_none_or(|m| m[i]);
    let mut idx: Vec<u32> = if q.is_empty() {
        (0..t.len())
            .filter(|&i| kept(i))
            .map(|i| i as u32)
            .collect()
    } else {
        let hit: Vec<bool> = ix.names_lower.iter().map(|n| n.contains(&q)).collect();
        let any_hit = |l: &[u32]| l.iter().any(|&n| hit[n as usize]);
        (0..t.len())
            .filter(|&i| {
                kept(i)
                    && (ix.id_lower(t, i).contains(&q)
                        || any_hit(t.noisy(i))
                        || t.pred(i).is_some_and(any_hit))
            })
            .map(|i| i as u32)
            .collect()
    };
    if let Some((col, desc)) = sort {
        let cmp = |a: &u32, b: &u32| {
            let (x, y) = (*a as usize, *b as usize);
            match col {
                Col::Id => t.id(x).cmp(t.id(y)),
                Col::Length => t.lens[x].total_cmp(&t.lens[y]),
                Col::Noisy => ix.lineage_cmp(t.noisy(x), t.noisy(y)),
                Col::Pred => match (t.pred(x), t.pred(y)) {
                    (Some(a), Some(b)) => ix.lineage_cmp(a, b),
                    (a, b) => a.is_some().cmp(&b.is_some()),
                },
                Col::Source => t.source[x].cmp(&t.source[y]),
                Col::Score => deepest_score(t, x).total_cmp(&deepest_score(t, y)),
            }
        };
        // stable: ties keep FASTA order
        idx.sort_by(|a, b| if desc { cmp(b, a) } else { cmp(a, b) });
    }
    idx
}

/// Row `i` of the table, drawn at position `k` of the listed order.
fn table_row(t: &Table, i: usize, k: usize) -> impl IntoView + use<> {
    let noisy_l = t.noisy(i);
    let source = t.source(i);
    let pred = match t.pred(i) {
        Some([]) => "unclassified".to_string(),
        Some(p) => t.lineage_text(p),
        None => "(too short: not annotated)".to_string(),
    };
    let (scores, scores_t) = match source {
        Source::Student => {
            let s = t
                .scores(i)
                .iter()
                .map(|s| format!("{s:.2}"))
                .collect::<Vec<_>>()
                .join(";");
            (s.clone(), s)
        }
        _ => (
            "—".to_string(),
            "no score: the student did not annotate this contig".to_string(),
        ),
    };
    let noisy = if noisy_l.is_empty() {
        "—".to_string()
    } else {
        t.lineage_text(noisy_l)
    };
    let changed = t.changes(i).contains(&Some(Change::Changed));
    let input = source == Source::Input;
    let source_t = match source {
        Source::Student => "annotated by the student",
        Source::Input => "too short for the student: the input label, kept as given",
        Source::None => "too short for the student, and unlabelled",
    };
    let (noisy_t, pred_t) = (noisy.clone(), pred.clone());
    let (id, id_t) = (t.id(i).to_string(), t.id(i).to_string());
    view! {
        <div class="tr" class:changed=changed class:row-input=input style=format!("top:{}px", k as f64 * ROW_H)>
            <span class="td id" title=id_t>{id}</span>
            <span class="td num">{t.lens[i]}</span>
            <span class="td lineage" title=noisy_t>{noisy}</span>
            <span class="td lineage" title=pred_t>{pred}</span>
            <span class="td source" title=source_t>
                <span class=format!("src src-{}", source.name())>{source.name()}</span>
            </span>
            <span class="td scores" title=scores_t>{scores}</span>
        </div>
    }
}

/// The results table (`data-testid="results-table"`).
#[component]
pub fn ResultsTable(
    /// The run to list.
    result: Arc<Shown>,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let sort = RwSignal::new(None::<(Col, bool)>);
    let scroll = RwSignal::new(0.0f64);
    let filters = expect_context::<Filters>();
    let r1 = result.clone();
    let mask = Memo::new(move |_| {
        filters
            .0
            .with(|f| combined_mask(&r1.table, f).map(Arc::new))
    });
    let r2 = result.clone();
    let order = Memo::new(move |_| {
        Arc::new(visible_order(
            &r2.table,
            &r2.index,
            &query.get(),
            sort.get(),
            mask.get().as_deref().map(|m| m.as_slice()),
        ))
    });
    // the rows listed, in file order, as the Taxometer TSV writes them
    let export_err = RwSignal::new(String::new());
    let r4 = result.clone();
    let export = move |_| {
        let mut rows = order.get_untracked().to_vec();
        rows.sort_unstable();
        let tsv = r4.exports.tsv.as_string().unwrap_or_default();
        let text = tsv_lines(&tsv, &r4.table, &rows);
        let r = download::save_text(
            &text,
            "predictions_filtered.tsv",
            "text/tab-separated-values",
        );
        export_err.set(r.err().map(|e| e.to_string()).unwrap_or_default());
    };
    let r3 = result.clone();
    let body = move || {
        let order = order.get();
        let t = &r3.table;
        let first = ((scroll.get() / ROW_H) as usize).saturating_sub(OVERSCAN);
        let last = (first + (VIEW_H / ROW_H) as usize + 2 * OVERSCAN).min(order.len());
        (first..last)
            .map(|k| table_row(t, order[k] as usize, k))
            .collect_view()
    };
    let header = move |col: Col, label: &'static str| {
        let arrow = move || match sort.get() {
            Some((c, false)) if c == col => " ▲",
            Some((c, true)) if c == col => " ▼",
            _ => "",
        };
        view! {
            <span
                class="th"
                title="sort (click again: reverse, a third time: file order)"
                on:click=move |_| {
                    // ascending → descending → file order
                    sort.set(match sort.get_untracked() {
                        Some((c, false)) if c == col => Some((col, true)),
                        Some((c, true)) if c == col => None,
                        _ => Some((col, false)),
                    });
                }
            >
                {label}
                {arrow}
            </span>
        }
    };
    let n_total = result.table.len();
    view! {
        <div class="table-card">
            <div class="table-tools">
                <h2>"Contigs"</h2>
                <input
                    type="search"
                    placeholder="search id or taxon…"
                    aria-label="Search the contigs by id or taxon"
                    data-testid="table-search"
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
                <span class="count">
                    <span data-testid="table-count">{move || order.get().len()}</span>
                    {format!(" of {n_total} contigs")}
                </span>
                <button data-testid="table-export" title="the rows listed, as a Taxometer TSV" on:click=export>
                    "TSV of these rows"
                </button>
                <Show when=move || !export_err.get().is_empty()>
                    <span class="error">{move || export_err.get()}</span>
                </Show>
            </div>
            <FilterChips result=result.clone() />
            <p class="table-legend" data-testid="table-legend">
                "Source: "
                <span class="src src-student">"student"</span>
                " the student's lineage and its scores; "
                <span class="src src-input">"input"</span>
                " (tinted rows) too short for the student (under the model's minimum length): the input label is kept as given, without scores; "
                <span class="src src-none">"none"</span>
                " too short and unlabelled. Orange rows: the student changed the label."
            </p>
            <div class="thead">
                {header(Col::Id, "contig")}
                {header(Col::Length, "length")}
                {header(Col::Noisy, "noisy label")}
                {header(Col::Pred, "output lineage")}
                {header(Col::Source, "source")}
                {header(Col::Score, "scores per rank")}
            </div>
            <div
                class="tbody"
                data-testid="results-table"
                tabindex="0"
                role="region"
                aria-label="Contigs (scroll for more)"
                style=format!("height:{VIEW_H}px")
                on:scroll=move |ev| {
                    let el = event_target::<web_sys::HtmlElement>(&ev);
                    scroll.set(el.scroll_top() as f64);
                }
            >
                <div class="spacer" style=move || format!("height:{}px", order.get().len() as f64 * ROW_H)>
                    {body}
                </div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::TableBuilder;
    use taxdistill_core::model::Prediction;
    use taxdistill_core::taxonomy::Lineage;

    fn table() -> Table {
        let mut b = TableBuilder::with_capacity(3);
        let rows = [
            ("c1", 5, "Bacteria", 0.9),
            ("C2", 9, "Archaea", 0.5),
            ("x3", 1, "Bacteria;Zeta", 0.7),
        ];
        for (id, len, pred, score) in rows {
            let lineage = Lineage(pred.split(';').map(String::from).collect());
            let scores = vec![score; lineage.0.len()];
            b.push(
                id,
                len,
                &Lineage::unclassified(),
                Some(&Prediction { lineage, scores }),
                Source::Student,
            );
        }
        b.finish()
    }

    #[test]
    fn search_filters_and_sort_orders() {
        let t = table();
        let ix = TableIndex::new(&t);
        assert_eq!(visible_order(&t, &ix, "bact", None, None), vec![0, 2]);
        assert_eq!(
            visible_order(&t, &ix, "c2", None, None),
            vec![1],
            "ids match case-insensitively"
        );
        assert_eq!(
            visible_order(&t, &ix, "", Some((Col::Length, true)), None),
            vec![1, 0, 2]
        );
        assert_eq!(
            visible_order(&t, &ix, "", Some((Col::Score, false)), None),
            vec![1, 2, 0]
        );
        assert_eq!(
            visible_order(&t, &ix, "", Some((Col::Pred, false)), None),
            vec![1, 0, 2]
        );
        assert_eq!(
            visible_order(&t, &ix, "", Some((Col::Id, false)), None),
            vec![1, 0, 2]
        );
        // the charts' filters narrow the rows before the search
        let mask = [false, true, true];
        assert_eq!(visible_order(&t, &ix, "", None, Some(&mask)), vec![1, 2]);
        assert_eq!(visible_order(&t, &ix, "bact", None, Some(&mask)), vec![2]);
    }

    #[test]
    fn kept_input_labels_sort_as_unscored_and_by_source() {
        let mut b = TableBuilder::with_capacity(3);
        let l = |s: &str| Lineage(s.split(';').map(String::from).collect());
        let p = |s: &str, x: f32| Prediction {
            lineage: l(s),
            scores: vec![x; l(s).0.len()],
        };
        b.push(
            "c1",
            5000,
            &l("Archaea"),
            Some(&p("Bacteria", 0.4)),
            Source::Student,
        );
        // too short for the student: the label kept, its stored 1s no score
        b.push(
            "s2",
            900,
            &l("Archaea"),
            Some(&p("Archaea", 1.0)),
            Source::Input,
        );
        b.push(
            "c3",
            5000,
            &Lineage::unclassified(),
            Some(&p("Bacteria", 0.9)),
            Source::Student,
        );
        b.push("s4", 900, &Lineage::unclassified(), None, Source::None);
        let t = b.finish();
        let ix = TableIndex::new(&t);
        assert_eq!(
            visible_order(&t, &ix, "", Some((Col::Score, false)), None),
            vec![1, 3, 0, 2]
        );
        assert_eq!(
            visible_order(&t, &ix, "", Some((Col::Source, true)), None),
            vec![3, 1, 0, 2]
        );
        assert_eq!(visible_order(&t, &ix, "archaea", None, None), vec![0, 1]);
    }

    #[test]
    fn sorting_by_lineage_follows_the_alphabetical_order_of_the_names() {
        // the sort compares precomputed name ranks: they must agree with the names
        let mut b = TableBuilder::with_capacity(1000);
        for i in 0..1000u32 {
            let lineage = Lineage(vec!["B".into(), format!("P{}", (i * 7919) % 97)]);
            b.push(
                &format!("c{i}"),
                3000,
                &Lineage::unclassified(),
                Some(&Prediction {
                    lineage,
                    scores: vec![1.0, 0.5],
                }),
                Source::Student,
            );
        }
        let t = b.finish();
        let ix = TableIndex::new(&t);
        let order = visible_order(&t, &ix, "", Some((Col::Pred, false)), None);
        let texts: Vec<String> = order
            .iter()
            .map(|&i| t.lineage_text(t.pred(i as usize).unwrap()))
            .collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted);
    }
}

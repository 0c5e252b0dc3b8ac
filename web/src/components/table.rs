//! Searchable, sortable, virtualised table of all contigs: only the rows in
//! view (plus a margin) are in the DOM, so 100k rows scroll smoothly.

use crate::results::{Row, RunResult};
use leptos::prelude::*;
use std::sync::Arc;

const ROW_H: f64 = 26.0;
const VIEW_H: f64 = 440.0;
const OVERSCAN: usize = 8;

/// Sortable columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Id,
    Length,
    Noisy,
    Pred,
    Score,
}

fn deepest_score(r: &Row) -> f32 {
    r.scores.last().copied().unwrap_or(-1.0)
}

/// Indices of rows matching `query` (case-insensitive substring of id or
/// either lineage), sorted by `col`.
fn visible_order(rows: &[Row], query: &str, col: Col, desc: bool) -> Vec<u32> {
    let q = query.trim().to_lowercase();
    let mut idx: Vec<u32> = (0..rows.len() as u32)
        .filter(|&i| {
            let r = &rows[i as usize];
            q.is_empty()
                || r.id.to_lowercase().contains(&q)
                || r.noisy.iter().any(|n| n.to_lowercase().contains(&q))
                || r.pred
                    .as_ref()
                    .is_some_and(|p| p.iter().any(|n| n.to_lowercase().contains(&q)))
        })
        .collect();
    let key_cmp = |a: &u32, b: &u32| {
        let (x, y) = (&rows[*a as usize], &rows[*b as usize]);
        match col {
            Col::Id => x.id.cmp(&y.id),
            Col::Length => x.len.cmp(&y.len),
            Col::Noisy => x.noisy.cmp(&y.noisy),
            Col::Pred => x.pred.cmp(&y.pred),
            Col::Score => deepest_score(x).total_cmp(&deepest_score(y)),
        }
    };
    if col != Col::Id || desc {
        idx.sort_by(|a, b| if desc { key_cmp(b, a) } else { key_cmp(a, b) });
    }
    idx
}

/// The results table (`data-testid="results-table"`).
#[component]
pub fn ResultsTable(
    /// The run to list.
    result: Arc<RunResult>,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let sort = RwSignal::new((Col::Id, false));
    let scroll = RwSignal::new(0.0f64);
    let r2 = result.clone();
    let order = Memo::new(move |_| {
        let (c, d) = sort.get();
        Arc::new(visible_order(&r2.rows, &query.get(), c, d))
    });
    let r3 = result.clone();
    let body = move || {
        let order = order.get();
        let first = ((scroll.get() / ROW_H) as usize).saturating_sub(OVERSCAN);
        let last = (first + (VIEW_H / ROW_H) as usize + 2 * OVERSCAN).min(order.len());
        (first..last)
            .map(|k| {
                let row = &r3.rows[order[k] as usize];
                let pred = match &row.pred {
                    Some(p) if p.is_empty() => "unclassified".to_string(),
                    Some(p) => p.join(";"),
                    None => "(too short: not annotated)".to_string(),
                };
                let scores = row.scores.iter().map(|s| format!("{s:.2}")).collect::<Vec<_>>().join(";");
                let noisy = if row.noisy.is_empty() { "—".to_string() } else { row.noisy.join(";") };
                let changed = row.pred.as_ref().is_some_and(|p| !row.noisy.is_empty() && p.iter().zip(&row.noisy).any(|(a, b)| a != b));
                let (noisy_t, pred_t, scores_t) = (noisy.clone(), pred.clone(), scores.clone());
                view! {
                    <div class="tr" class:changed=changed style=format!("top:{}px", k as f64 * ROW_H)>
                        <span class="td id" title=row.id.clone()>{row.id.clone()}</span>
                        <span class="td num">{row.len}</span>
                        <span class="td lineage" title=noisy_t>{noisy}</span>
                        <span class="td lineage" title=pred_t>{pred}</span>
                        <span class="td scores" title=scores_t>{scores}</span>
                    </div>
                }
            })
            .collect_view()
    };
    let header = move |col: Col, label: &'static str| {
        let arrow = move || match sort.get() {
            (c, false) if c == col => " ▲",
            (c, true) if c == col => " ▼",
            _ => "",
        };
        view! {
            <span
                class="th"
                on:click=move |_| {
                    let (c, d) = sort.get_untracked();
                    sort.set((col, if c == col { !d } else { false }));
                }
            >
                {label}
                {arrow}
            </span>
        }
    };
    let n_total = result.rows.len();
    view! {
        <div class="table-card">
            <div class="table-tools">
                <h2>"Contigs"</h2>
                <input
                    type="search"
                    placeholder="search id or taxon…"
                    data-testid="table-search"
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
                <span class="count">{move || format!("{} of {} contigs", order.get().len(), n_total)}</span>
            </div>
            <div class="thead">
                {header(Col::Id, "contig")}
                {header(Col::Length, "length")}
                {header(Col::Noisy, "noisy label")}
                {header(Col::Pred, "student's lineage")}
                {header(Col::Score, "scores per rank")}
            </div>
            <div
                class="tbody"
                data-testid="results-table"
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

    fn row(id: &str, len: u64, pred: &str, score: f32) -> Row {
        Row {
            id: id.into(),
            len,
            noisy: vec![],
            pred: Some(pred.split(';').map(String::from).collect()),
            scores: vec![score],
        }
    }

    #[test]
    fn search_filters_and_sort_orders() {
        let rows = vec![
            row("c1", 5, "Bacteria", 0.9),
            row("c2", 9, "Archaea", 0.5),
            row("x3", 1, "Bacteria", 0.7),
        ];
        assert_eq!(visible_order(&rows, "bact", Col::Id, false), vec![0, 2]);
        assert_eq!(visible_order(&rows, "", Col::Length, true), vec![1, 0, 2]);
        assert_eq!(visible_order(&rows, "", Col::Score, false), vec![1, 2, 0]);
    }
}

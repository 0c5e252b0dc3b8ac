//! The demo's guided walkthrough: label noise, the teacher's soft labels,
//! and what the student changed (numbers from the run on screen).

use crate::client::Ui;
use crate::results::{rank_counts, RANKS};
use leptos::prelude::*;

/// Three short steps shown above the results when the demo is loaded.
#[component]
pub fn Walkthrough(
    /// The shared signals.
    ui: Ui,
) -> impl IntoView {
    let step = RwSignal::new(0usize);
    let numbers = move || {
        ui.result.get().map(|r| {
            let c = rank_counts(&r.rows);
            let g = RANKS.iter().position(|&x| x == "genus").unwrap_or(5);
            let labelled = r.rows.iter().filter(|x| !x.noisy.is_empty()).count();
            (
                r.rows.len(),
                labelled,
                c[g].confirmed,
                c[g].changed,
                c[g].deepened,
                c[g].unclassified,
            )
        })
    };
    let text = move || {
        let n = numbers();
        match step.get() {
            0 => {
                let extra = n
                    .map(|(total, labelled, ..)| format!(" In this demo {labelled} of {total} contigs came with a label from a simulated classifier."))
                    .unwrap_or_default();
                format!(
                    "1 · Label noise. Classifiers such as Kraken2 or MMseqs2 label contigs from database hits: some labels are wrong, some stop at a high rank, some contigs get none.{extra}"
                )
            }
            1 => "2 · The teacher. A genome-aware teacher links contigs that look alike (composition) and co-vary in abundance, and spreads the labels over that graph with each contig's own label held out. Its output is a soft label: a probability for every taxon, not one hard answer.".to_string(),
            _ => match n {
                Some((_, _, conf, changed, deep, uncl)) => format!(
                    "3 · The student. A small network trained on the noisy labels and the teacher's soft labels annotated every contig in this page. At genus rank it confirmed {conf} labels, changed {changed}, deepened {deep} unlabelled or shallow ones and left {uncl} unclassified where it was unsure. The Sankey shows where labels moved; the histogram how sure it is."
                ),
                None => "3 · The student. Once the run is done, the charts below show what the student confirmed, changed and deepened.".to_string(),
            },
        }
    };
    view! {
        <section class="walkthrough" data-testid="walkthrough">
            <h2>"Demo walkthrough"</h2>
            <p>{text}</p>
            <div class="steps">
                <button on:click=move |_| step.update(|s| *s = s.saturating_sub(1)) disabled=move || step.get() == 0>"Back"</button>
                <span>{move || format!("{} / 3", step.get() + 1)}</span>
                <button on:click=move |_| step.update(|s| *s = (*s + 1).min(2)) disabled=move || step.get() == 2>"Next"</button>
            </div>
        </section>
    }
}

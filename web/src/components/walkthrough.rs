//! The demo's guided walkthrough: label noise, the teacher's soft labels,
//! what the student changed, and — because the demo is simulated and its
//! truth is known — whether those changes were right (numbers from the run
//! on screen).

use crate::client::{Status, Ui};
use crate::results::{Summary, RANKS};
use leptos::prelude::*;

/// Steps of the walkthrough.
const STEPS: usize = 4;
/// The rank the walkthrough talks about.
const GENUS: usize = 5;

fn step_text(step: usize, s: Option<&Summary>) -> String {
    match step {
        0 => {
            let extra = s
                .map(|s| {
                    format!(
                        " In this demo {} of {} contigs came with a label from a simulated classifier; the simulator made some of them wrong on purpose.",
                        s.n_labelled, s.n_contigs
                    )
                })
                .unwrap_or_default();
            format!(
                "1 · Label noise. Classifiers such as Kraken2 or MMseqs2 label contigs from database hits: some labels are wrong, some stop at a high rank, some contigs get none.{extra}"
            )
        }
        1 => "2 · The teacher's soft labels. Before the student is trained, a genome-aware teacher links contigs that look alike (composition) and rise and fall together across samples (abundance), and spreads the labels over that graph, each contig's own label held out. What it gives each contig is a soft label: a probability for every taxon, not one hard answer — a wrong label on a contig whose neighbours all say otherwise gets little weight.".to_string(),
        2 => match s {
            Some(s) => {
                let c = s.rank_counts[GENUS];
                let which = match s.student.as_str() {
                    "" => "A small network, trained on the noisy labels and the teacher's soft labels,".to_string(),
                    kept => format!("A small network — here the {kept}, which `run` kept over the other students for its F1 on held-out labels —"),
                };
                format!(
                    "3 · What the student changed. {which} annotated the {} contigs long enough for it ({} were too short: {} of them keep their input label as given, marked \"input\" in the table and the exports). At genus rank it confirmed {} labels, changed {}, removed {} where it was unsure (it stops above genus), deepened {} shallow ones and labelled {} contigs the classifier left unclassified. The Sankey shows where labels moved; the histogram how sure it is.",
                    s.n_annotated,
                    s.n_contigs - s.n_annotated,
                    s.n_kept_input,
                    c.confirmed,
                    c.changed,
                    c.removed,
                    c.deepened,
                    c.newly_labelled
                )
            }
            None => "3 · What the student changed. Once the run is done, the charts below show what the student confirmed, changed and deepened.".to_string(),
        },
        _ => match s.and_then(|s| s.truth.as_ref()) {
            Some(t) => {
                let f = |v: &[f64], r: usize| v.get(r).copied().unwrap_or(0.0);
                // "1 was wrong and is now right", "2 were wrong and are now right"
                let was = |n: u64, a: &str, b: &str| {
                    let (w, i) = if n == 1 { ("was", "is") } else { ("were", "are") };
                    format!("{n} {w} {a} and {i} now {b}")
                };
                format!(
                    "4 · Was it right? The demo is simulated, so the truth is known. Over the {} annotated contigs, the F1 score at genus went from {:.2} (noisy labels) to {:.2} (student), at species from {:.2} to {:.2}. Of the labels it changed at genus, {}, {}. On your own data there is no truth to check: the scores and the Sankey are what you have.",
                    t.n,
                    f(&t.f1_labels, GENUS),
                    f(&t.f1_student, GENUS),
                    f(&t.f1_labels, 6),
                    f(&t.f1_student, 6),
                    was(t.fixed.get(GENUS).copied().unwrap_or(0), "wrong", "right"),
                    was(t.broken.get(GENUS).copied().unwrap_or(0), "right", "wrong"),
                )
            }
            None => "4 · Was it right? When the run is done, the demo compares the labels and the student with the simulator's truth.".to_string(),
        },
    }
}

/// The steps shown above the results when the demo is loaded.
#[component]
pub fn Walkthrough(
    /// The shared signals.
    ui: Ui,
) -> impl IntoView {
    let step = RwSignal::new(0usize);
    let text = move || step_text(step.get(), ui.result.get().as_deref().map(|r| &r.summary));
    let table = move || {
        let r = ui.result.get()?;
        let t = r.summary.truth.clone()?;
        (step.get() == STEPS - 1).then(|| {
            let rows = RANKS
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let (a, b) = (t.f1_labels.get(i).copied().unwrap_or(0.0), t.f1_student.get(i).copied().unwrap_or(0.0));
                    let (better, worse) = (b - a > 0.005, a - b > 0.005);
                    view! {
                        <tr class:better=better class:worse=worse>
                            <td>{*name}</td>
                            <td class="num">{format!("{a:.3}")}</td>
                            <td class="num">{format!("{b:.3}")}</td>
                            <td class="num">{t.fixed.get(i).copied().unwrap_or(0)}</td>
                            <td class="num">{t.broken.get(i).copied().unwrap_or(0)}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <table class="truth" data-testid="truth-table">
                    <tr><th>"rank"</th><th>"F1, labels"</th><th>"F1, student"</th><th>"labels fixed"</th><th>"labels broken"</th></tr>
                    {rows}
                </table>
            }
        })
    };
    view! {
        <section class="walkthrough" data-testid="walkthrough">
            <h2>"Demo walkthrough"</h2>
            <p class="hint" data-testid="demo-simulated">
                "The demo's community is simulated: its taxa are invented names, not real organisms, and its student was trained on them (it knows no other taxa)."
            </p>
            <p data-testid="walkthrough-text">{text}</p>
            {table}
            <div class="steps">
                <button on:click=move |_| step.update(|s| *s = s.saturating_sub(1)) disabled=move || step.get() == 0>"Back"</button>
                <span>{move || format!("{} / {STEPS}", step.get() + 1)}</span>
                <button data-testid="walkthrough-next" on:click=move |_| step.update(|s| *s = (*s + 1).min(STEPS - 1)) disabled=move || step.get() == STEPS - 1>"Next"</button>
            </div>
            <div class="steps">
                <button
                    data-testid="demo-train"
                    on:click=move |_| leptos::task::spawn_local(crate::client::train_demo(ui))
                    disabled=move || matches!(ui.status.get(), Status::Running | Status::Loading(_))
                >
                    "Train the student here"
                </button>
                <span class="hint">
                    "Forget the bundled model and correct the demo's Kraken2 output in this page: teacher, students and annotation, as taxdistill run does (about half a minute)."
                </span>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::RankCounts;

    #[test]
    fn the_third_step_counts_the_changes_at_genus_in_summary_tsv_categories() {
        let mut s = Summary {
            n_contigs: 10,
            n_annotated: 8,
            n_kept_input: 1,
            ..Summary::default()
        };
        s.rank_counts[GENUS] = RankCounts {
            confirmed: 3,
            changed: 1,
            removed: 2,
            deepened: 1,
            newly_labelled: 1,
            kept_input: 1,
            unassigned: 1,
            ..RankCounts::default()
        };
        let t = step_text(2, Some(&s));
        assert!(
            t.contains("At genus rank it confirmed 3 labels, changed 1, removed 2 where it was unsure (it stops above genus), deepened 1 shallow ones and labelled 1 contigs"),
            "{t}"
        );
        assert!(step_text(2, None).starts_with("3 · "));
    }
}

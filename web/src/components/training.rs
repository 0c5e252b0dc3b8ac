//! What the page trained, after a run without a model: the settings, the
//! candidate students and the one kept (by held-out F1 against the labels,
//! as `taxdistill run` chooses), the kept student's loss per epoch, and the
//! open-set gates.

use super::charts::ChartFrame;
use crate::correct::Training;
use crate::results::RANKS;
use leptos::prelude::*;

const W: f64 = 420.0;
const H: f64 = 220.0;

/// An SVG polyline of `ys` over epochs 1…n, scaled to `max`.
fn polyline(ys: &[Option<f32>], max: f64, box_: (f64, f64, f64, f64)) -> String {
    let (left, right, top, bottom) = box_;
    let n = ys.len().max(2) - 1;
    ys.iter()
        .enumerate()
        .filter_map(|(i, y)| {
            let y = (*y)? as f64;
            let x = left + (right - left) * i as f64 / n as f64;
            Some(format!(
                "{x:.1},{:.1}",
                bottom - (bottom - top) * (y / max).min(1.0)
            ))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The training panel (`data-testid="training"`).
#[component]
pub fn TrainingView(
    /// The run's training record.
    training: Training,
) -> impl IntoView {
    let t = training;
    let train: Vec<Option<f32>> = t.train_loss.iter().map(|&l| Some(l)).collect();
    let max = train
        .iter()
        .chain(&t.val_loss)
        .flatten()
        .fold(0f64, |m, &l| m.max(l as f64))
        .max(1e-6);
    let (left, right, top, bottom) = (44.0, W - 10.0, 10.0, H - 30.0);
    let line_train = polyline(&train, max, (left, right, top, bottom));
    let line_val = polyline(&t.val_loss, max, (left, right, top, bottom));
    let hier: Vec<Option<f32>> = t.hier_loss.iter().map(|&l| Some(l)).collect();
    let line_hier = polyline(&hier, max, (left, right, top, bottom));
    let line_kd = polyline(&t.kd_loss, max, (left, right, top, bottom));
    let epochs = t.train_loss.len();
    let settings = t
        .settings
        .as_ref()
        .map(|s| {
            format!(
                "--min-length {} --alpha {} --temperature {} --seed {} --hidden {} --teacher {}",
                s.min_length,
                s.alpha,
                s.temperature,
                s.seed,
                s.hidden
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                if s.teacher { "graph" } else { "none" }
            )
        })
        .unwrap_or_default();
    let candidates = t
        .candidates
        .iter()
        .map(|(name, f1)| {
            let kept = *name == t.kept;
            view! {
                <tr class:kept=kept>
                    <td>{name.clone()}</td>
                    <td>{f1.map_or("–".to_string(), |v| format!("{v:.4}"))}</td>
                    <td>{if kept { "kept" } else { "" }}</td>
                </tr>
            }
        })
        .collect_view();
    let gates = t.gates.as_ref().map(|g| {
        g.iter()
            .zip(RANKS)
            .map(|(g, r)| format!("{r} {}", g.map_or("never".into(), |v| format!("{v:.2}"))))
            .collect::<Vec<_>>()
            .join(" · ")
    });
    let heldout = t
        .holdout_f1
        .iter()
        .zip(RANKS)
        .filter_map(|(f, r)| f.map(|f| format!("{r} {f:.3}")))
        .collect::<Vec<_>>()
        .join(" · ");
    let last = |l: &str| l.rsplit(';').next().unwrap_or_default().to_string();
    let examples = t
        .examples
        .iter()
        .map(|e| {
            view! {
                <tr>
                    <td class="id">{e.id.clone()}</td>
                    <td title=e.noisy.clone()>{last(&e.noisy)}</td>
                    <td title=e.teacher.clone()>{format!("{} ({:.2})", last(&e.teacher), e.teacher_p)}</td>
                    <td title=e.output.clone()>{if e.output.is_empty() { "unassigned".to_string() } else { last(&e.output) }}</td>
                </tr>
            }
        })
        .collect_view();
    let has_examples = !t.examples.is_empty();
    view! {
        <div class="training" data-testid="training">
            <h3>"Trained in this page"</h3>
            <p class="hint">
                "The same steps as " <code>{format!("taxdistill run {settings}")}</code>
                ": the graph teacher's soft labels, students distilled from them and one on the labels alone, the best kept by its F1 on held-out labels."
            </p>
            <Show when={let empty = t.candidates.is_empty(); move || !empty}>
                <table class="candidates" data-testid="training-candidates">
                    <tr><th>"student"</th><th>"held-out F1 (mean over ranks)"</th><th></th></tr>
                    {candidates.clone()}
                </table>
            </Show>
            <p data-testid="training-kept">{format!("Kept: {}. Held-out F1 per rank: {heldout}.", t.kept)}</p>
            {gates.map(|g| view! { <p class="hint">{format!("Open-set gates (a rank is named in a novel-looking neighbourhood from this probability): {g}")}</p> })}
            <Show when=move || has_examples>
                <p class="hint">"Some contigs: the classifier's label, the teacher's soft label (its likeliest taxon and probability) and the run's output (deepest names; hover for the lineage)."</p>
            </Show>
            <table class="examples" data-testid="training-examples">
                {has_examples.then(|| view! { <tr><th>"contig"</th><th>"noisy label"</th><th>"teacher"</th><th>"output"</th></tr> })}
                {examples}
            </table>
            <ChartFrame title="Loss per epoch (kept student)" svg_id="loss-curve" caption="Per epoch: the training loss (blue) = the hierarchical loss on the noisy labels (green, ×α) + the distillation loss against the teacher's soft labels (purple, ×(1−α)·T²; none for the student on the labels alone); the held-out loss (orange) stops training.">
                <svg id="loss-curve" role="img" aria-label="Loss per epoch of the kept student" width=W height=H viewBox=format!("0 0 {W} {H}") font-family="sans-serif">
                    <line x1=left y1=bottom x2=right y2=bottom stroke="#333" />
                    <line x1=left y1=top x2=left y2=bottom stroke="#333" />
                    <text x=left - 4.0 y=top + 8.0 font-size="10" text-anchor="end">{format!("{max:.2}")}</text>
                    <text x=left - 4.0 y=bottom font-size="10" text-anchor="end">"0"</text>
                    <text x=(left + right) / 2.0 y=H - 4.0 font-size="11" text-anchor="middle">{format!("epoch (1–{epochs})")}</text>
                    <polyline points=line_train fill="none" stroke="#3a6ea5" stroke-width="2" data-testid="loss-train" />
                    <polyline points=line_val fill="none" stroke="#d9822b" stroke-width="2" data-testid="loss-val" />
                    <polyline points=line_hier fill="none" stroke="#3f9b5a" stroke-width="1.5" stroke-dasharray="4 3" data-testid="loss-hier" />
                    <polyline points=line_kd fill="none" stroke="#8a5ab8" stroke-width="1.5" stroke-dasharray="4 3" data-testid="loss-kd" />
                </svg>
            </ChartFrame>
        </div>
    }
}

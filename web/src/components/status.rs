//! Status line, backend, progress bar.

use crate::client::{Status, Ui};
use leptos::prelude::*;

fn human_bp(bp: f64) -> String {
    if bp >= 1e6 {
        format!("{:.1} Mbp", bp / 1e6)
    } else if bp >= 1e3 {
        format!("{:.1} kbp", bp / 1e3)
    } else {
        format!("{bp:.0} bp")
    }
}

/// Status (`data-testid="status"`), backend (`data-testid="backend"`) and progress.
#[component]
pub fn StatusBar(
    /// The shared signals.
    ui: Ui,
) -> impl IntoView {
    let backend = move || match ui.result.get() {
        Some(r) => r.summary.backend.clone(),
        None if crate::client::prefer_gpu() => "webgpu".to_string(),
        None => "cpu".to_string(),
        // before a run: what will be tried
    };
    let note = move || match ui.result.get() {
        Some(r) if r.summary.backend == "cpu" => Some(if r.summary.backend_note.is_empty() {
            "The student ran on the CPU (WebGPU was not requested or is not available).".to_string()
        } else {
            r.summary.backend_note.clone()
        }),
        _ => None,
    };
    let progress = move || {
        let p = ui.progress.get();
        let rate = if p.secs > 0.0 {
            p.contigs / p.secs
        } else {
            0.0
        };
        format!(
            "{}: {:.0} contigs, {}, {:.0} contigs/s, {:.1} s",
            p.stage,
            p.contigs,
            human_bp(p.bp),
            rate,
            p.secs
        )
    };
    view! {
        <section class="status-bar" aria-label="Run status">
            // a live region: screen readers announce the status as it changes
            <div role="status" aria-live="polite">
                "Status: "
                <strong data-testid="status" class:error=move || matches!(ui.status.get(), Status::Error(_))>
                    {move || ui.status.get().to_string()}
                </strong>
            </div>
            <div>"Backend: " <strong data-testid="backend">{backend}</strong></div>
            <Show when=move || matches!(ui.status.get(), Status::Running)>
                <div class="progress">
                    <div
                        class="bar"
                        role="progressbar"
                        aria-label="Progress of the current stage"
                        aria-valuemin="0"
                        aria-valuemax="100"
                        aria-valuenow=move || format!("{:.0}", 100.0 * ui.progress.get().fraction.clamp(0.0, 1.0))
                    >
                        <div
                            class="fill"
                            class:busy=move || !matches!(ui.progress.get().stage.as_str(), "parsing" | "inference")
                            style=move || format!("width:{:.1}%", 100.0 * ui.progress.get().fraction.clamp(0.0, 1.0))
                        ></div>
                    </div>
                    <span>{progress}</span>
                </div>
            </Show>
            {move || note().map(|n| view! { <div class="note">{n}</div> })}
            {move || {
                ui.result
                    .get()
                    .map(|r| {
                        let s = &r.summary;
                        view! {
                            <div class="summary">
                                <span data-testid="run-summary">
                                    {format!(
                                        "{} contigs, {} ({} annotated, {} shorter than the model's minimum length, {} of which keep their input label) — {}; memory: worker {:.0} MB, page {:.0} MB",
                                        s.n_contigs,
                                        human_bp(s.total_bp as f64),
                                        s.n_annotated,
                                        s.n_contigs - s.n_annotated,
                                        s.n_kept_input,
                                        match &s.training {
                                            // a run trained here: parsing, then teacher + students + annotation
                                            Some(_) => format!(
                                                "parsing + features {:.2} s, teacher + training + annotation {:.2} s",
                                                s.secs_features, s.secs_inference
                                            ),
                                            None => format!(
                                                "parsing + features {:.2} s, inference {:.2} s",
                                                s.secs_features, s.secs_inference
                                            ),
                                        },
                                        s.wasm_memory_bytes / 1e6,
                                        r.page_memory_bytes / 1e6,
                                    )}
                                </span>
                                {s.warnings.iter().map(|w| view! { <div class="warning">{w.clone()}</div> }).collect_view()}
                            </div>
                        }
                    })
            }}
        </section>
    }
}

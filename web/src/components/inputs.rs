//! File pickers (and a drop zone), the demo button, Run and Cancel.

use crate::client::{self, Slot, Status, Ui};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{File, HtmlInputElement};

/// Which slot a dropped or multi-picked file belongs to, by its name.
pub fn slot_of(name: &str) -> Slot {
    let n = name.to_ascii_lowercase();
    let n = n.strip_suffix(".gz").unwrap_or(&n);
    if n.ends_with("nodes.dmp") {
        Slot::TaxNodes
    } else if n.ends_with("names.dmp") {
        Slot::TaxNames
    } else if n.ends_with("merged.dmp") {
        Slot::TaxMerged
    } else if n.ends_with(".safetensors") && n.contains("soft") {
        Slot::SoftLabels
    } else if n.ends_with(".json") {
        Slot::ModelJson
    } else if n.ends_with(".safetensors") {
        Slot::ModelSafetensors
    } else if [".fa", ".fna", ".fasta", ".fas", ".contigs"]
        .iter()
        .any(|e| n.ends_with(e))
    {
        Slot::Fasta
    } else if n.contains("abundance") || n.contains("depth") || n.contains("aemb") {
        Slot::Abundance
    } else {
        Slot::Labels
    }
}

fn files_of(list: Option<web_sys::FileList>) -> Vec<File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

fn take(ui: Ui, files: Vec<File>, forced: Option<Slot>) {
    if ui.demo.get_untracked() {
        // the user's own files replace the demo's (its truth included)
        client::clear_files(ui);
        ui.demo.set(false);
    }
    for f in files {
        let slot = forced.unwrap_or_else(|| slot_of(&f.name()));
        let name = f.name();
        client::set_file(ui, slot, Some((f.unchecked_into(), name)));
    }
}

/// One labelled file input.
#[component]
fn FileInput(
    /// The shared signals.
    ui: Ui,
    /// Label shown to the user.
    label: &'static str,
    /// `data-testid` of the `<input>`.
    testid: &'static str,
    /// Where the file goes (`None`: by file name, for the model's and the taxonomy's files).
    target: Option<Slot>,
    /// Index into [`Ui::names`] shown beside the input.
    name_index: usize,
    /// `accept` attribute.
    accept: &'static str,
    /// Whether several files may be picked.
    #[prop(default = false)]
    multiple: bool,
    /// One line under the label (what the input is for).
    #[prop(default = "")]
    hint: &'static str,
) -> impl IntoView {
    view! {
        <label class="file">
            <span class="what">{label}</span>
            <span class="why">{hint}</span>
            <input
                type="file"
                aria-label=label
                disabled=move || matches!(ui.status.get(), Status::Running | Status::Loading(_))
                data-testid=testid
                accept=accept
                multiple=multiple
                on:change=move |ev| {
                    let input = event_target::<HtmlInputElement>(&ev);
                    take(ui, files_of(input.files()), target);
                }
            />
            <span class="chosen">
                {move || {
                    let n = ui.names.get()[name_index].clone();
                    if n.is_empty() { "none chosen".to_string() } else { n }
                }}
            </span>
        </label>
    }
}

/// The input panel.
#[component]
pub fn InputPanel(
    /// The shared signals.
    ui: Ui,
) -> impl IntoView {
    let running = move || matches!(ui.status.get(), Status::Running | Status::Loading(_));
    let dragging = RwSignal::new(false);
    view! {
        <section
            class="inputs"
            class:dragging=move || dragging.get()
            on:dragover=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                dragging.set(false);
                take(ui, files_of(ev.data_transfer().and_then(|d| d.files())), None);
            }
        >
            <div class="demo">
                <button data-testid="demo-button" on:click=move |_| leptos::task::spawn_local(client::load_demo(ui)) disabled=running>
                    "Try the demo"
                </button>
                <span class="hint">"or drop your files anywhere in this box"</span>
            </div>
            <div class="files">
                <FileInput ui=ui label="Contigs (FASTA)" hint=".fa, .fna, .fasta, optionally .gz" testid="fasta-input" target=Some(Slot::Fasta) name_index=0 accept=".fa,.fna,.fasta,.fas,.gz" />
                <FileInput ui=ui label="Abundance (optional)" hint="vamb abundance.tsv, strobealign --aemb, MetaBAT/CoverM depth" testid="abundance-input" target=Some(Slot::Abundance) name_index=1 accept=".tsv,.txt,.gz" />
                <FileInput ui=ui label="Noisy labels (optional)" hint="Taxometer, MMseqs2, Kraken2, Metabuli, Centrifuge or CAMI" testid="labels-input" target=Some(Slot::Labels) name_index=2 accept=".tsv,.txt,.out,.csv,.cami,.gz" />
                <FileInput ui=ui label="Model (optional)" hint="model.json + model.safetensors, both at once (from taxdistill distill or run); without one, a student is trained here on the labels" testid="model-input" target=None name_index=3 accept=".json,.safetensors" multiple=true />
                <FileInput ui=ui label="Soft labels (optional)" hint="soft_labels.safetensors from taxdistill teach (e.g. GenomeOcean on a GPU): the students' targets instead of the graph teacher's" testid="soft-labels-input" target=Some(Slot::SoftLabels) name_index=5 accept=".safetensors" />
                <FileInput ui=ui label="Taxonomy (for labels by taxid)" testid="taxonomy-input" target=None name_index=4 accept=".dmp,.gz" multiple=true hint="NCBI nodes.dmp + names.dmp, for Kraken2, Centrifuge, Metabuli labels" />
            </div>
            <RunOptions ui=ui />
            <div class="actions">
                <button data-testid="run-button" class="primary" on:click=move |_| client::run(ui) disabled=running>
                    {move || {
                        // re-read when the chosen files change
                        let _ = ui.names.get();
                        if client::has_model() { "Annotate with the model" } else { "Correct the labels" }
                    }}
                </button>
                <button data-testid="model-clear" on:click=move |_| client::clear_model(ui) disabled=move || running() || ui.names.get()[3].is_empty()>
                    "Forget the model"
                </button>
                <button data-testid="cancel-button" on:click=move |_| client::cancel(ui) disabled=move || !running()>
                    "Cancel"
                </button>
            </div>
        </section>
    }
}

/// One numeric or text option of `run`, by its URL query name.
#[component]
fn OptionInput(
    /// The shared signals.
    ui: Ui,
    /// The option's query name (`min_length`, `alpha`, …).
    key: &'static str,
    /// Label shown to the user (the CLI flag).
    label: &'static str,
    /// The current value as text.
    value: Signal<String>,
    /// A problem with the last value typed, shown beside the options.
    error: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label class="option">
            <span>{label}</span>
            <input
                type="text"
                size="9"
                aria-label=label
                disabled=move || matches!(ui.status.get(), Status::Running | Status::Loading(_))
                data-testid=format!("option-{}", key.replace('_', "-"))
                prop:value=move || value.get()
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    let mut s = ui.settings.get_untracked();
                    match s.set(key, &v).and_then(|()| s.check()) {
                        Ok(()) => {
                            ui.settings.set(s);
                            error.set(String::new());
                        }
                        Err(e) => error.set(e.to_string()),
                    }
                }
            />
        </label>
    }
}

/// `taxdistill run`'s options for a run trained in the page (no model
/// chosen); they start from the URL query (`?min_length=1000&seed=0&alpha=0.3&temperature=4`).
#[component]
fn RunOptions(
    /// The shared signals.
    ui: Ui,
) -> impl IntoView {
    let error = RwSignal::new(String::new());
    let st = ui.settings;
    view! {
        <details class="run-options" data-testid="run-options">
            <summary>"Options (as taxdistill run; used when no model is chosen)"</summary>
            <OptionInput ui=ui key="min_length" label="--min-length" value=Signal::derive(move || st.get().min_length.to_string()) error=error />
            <OptionInput ui=ui key="alpha" label="--alpha" value=Signal::derive(move || st.get().alpha.to_string()) error=error />
            <OptionInput ui=ui key="temperature" label="--temperature" value=Signal::derive(move || st.get().temperature.to_string()) error=error />
            <OptionInput ui=ui key="seed" label="--seed" value=Signal::derive(move || st.get().seed.to_string()) error=error />
            <OptionInput ui=ui key="hidden" label="--hidden" value=Signal::derive(move || st.get().hidden.iter().map(usize::to_string).collect::<Vec<_>>().join(",")) error=error />
            <label class="option">
                <input
                    type="checkbox"
                    data-testid="option-teacher"
                    prop:checked=move || st.get().teacher
                    on:change=move |ev| {
                        let on = event_target::<HtmlInputElement>(&ev).checked();
                        st.update(|s| s.teacher = on);
                    }
                />
                <span>"graph teacher (off: --teacher none)"</span>
            </label>
            <Show when=move || !error.get().is_empty()>
                <span class="error">{move || format!("error: {}", error.get())}</span>
            </Show>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_sorted_into_slots_by_name() {
        assert_eq!(slot_of("contigs.fna.gz"), Slot::Fasta);
        assert_eq!(slot_of("model.json"), Slot::ModelJson);
        assert_eq!(slot_of("model.safetensors"), Slot::ModelSafetensors);
        assert_eq!(slot_of("abundance.tsv"), Slot::Abundance);
        assert_eq!(slot_of("kraken2.out"), Slot::Labels);
        assert_eq!(slot_of("nodes.dmp"), Slot::TaxNodes);
        assert_eq!(slot_of("names.dmp.gz"), Slot::TaxNames);
        assert_eq!(slot_of("merged.dmp"), Slot::TaxMerged);
        assert_eq!(slot_of("soft_labels.safetensors"), Slot::SoftLabels);
    }
}

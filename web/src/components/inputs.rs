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
                <FileInput ui=ui label="Model" hint="model.json + model.safetensors, both at once (from taxdistill distill or run)" testid="model-input" target=None name_index=3 accept=".json,.safetensors" multiple=true />
                <FileInput ui=ui label="Taxonomy (for labels by taxid)" testid="taxonomy-input" target=None name_index=4 accept=".dmp,.gz" multiple=true hint="NCBI nodes.dmp + names.dmp, for Kraken2, Centrifuge, Metabuli labels" />
            </div>
            <div class="actions">
                <button data-testid="run-button" class="primary" on:click=move |_| client::run(ui) disabled=running>
                    "Annotate"
                </button>
                <button data-testid="cancel-button" on:click=move |_| client::cancel(ui) disabled=move || !running()>
                    "Cancel"
                </button>
            </div>
        </section>
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
    }
}

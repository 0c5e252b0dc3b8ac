//! TaxDistill web app (Leptos CSR). `main` only sets up the panic hook and
//! logging and mounts [`components::App`]; in the Web Worker (same module, no
//! `window`) it does nothing and `worker.js` calls [`worker::worker_run`].

mod blob_reader;
mod client;
mod components;
mod correct;
mod download;
mod errors;
mod infer;
mod log;
mod pipeline;
mod results;
mod transfer;
mod worker;

fn main() {
    console_error_panic_hook::set_once();
    if web_sys::window().is_none() {
        return; // in the worker
    }
    leptos::logging::log!("TaxDistill web {}", env!("CARGO_PKG_VERSION"));
    leptos::mount::mount_to_body(components::App);
}

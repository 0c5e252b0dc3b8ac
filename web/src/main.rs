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
mod memory;
mod pipeline;
mod results;
mod transfer;
mod worker;

fn main() {
    if web_sys::window().is_none() {
        // in the worker: the page hears of a panic before the trap that follows
        std::panic::set_hook(Box::new(|info| {
            console_error_panic_hook::hook(info);
            worker::post_panic(&info.to_string());
        }));
        return;
    }
    console_error_panic_hook::set_once();
    leptos::logging::log!("TaxDistill web {}", env!("CARGO_PKG_VERSION"));
    leptos::mount::mount_to_body(components::App);
}

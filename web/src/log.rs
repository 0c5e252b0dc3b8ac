//! A minimal `tracing` subscriber for the worker: warnings and errors from
//! the core and GPU crates (e.g. why WebGPU fell back to the CPU) go to the
//! browser console and are kept, so the page can show them.

use std::cell::RefCell;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

thread_local! {
    static KEPT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

struct Console;

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

impl Subscriber for Console {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        *m.level() <= Level::WARN
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, e: &Event<'_>) {
        let mut m = Message(String::new());
        e.record(&mut m);
        web_sys::console::warn_1(&format!("{}: {}", e.metadata().level(), m.0).into());
        KEPT.with(|k| k.borrow_mut().push(m.0));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Installs the subscriber once (later calls do nothing).
pub fn init() {
    let _ = tracing::subscriber::set_global_default(Console);
}

/// Takes the warnings kept since the last call.
pub fn take() -> Vec<String> {
    KEPT.with(|k| std::mem::take(&mut *k.borrow_mut()))
}

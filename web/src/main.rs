//! TaxDistill web app (Leptos CSR).
fn main() {}

//! Build tasks: cargo xtask web.
fn main() {}

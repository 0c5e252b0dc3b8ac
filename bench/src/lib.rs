//! TaxDistill's benchmark: scenarios × seeds × methods, on the pipeline's
//! typed results, with statistics, plots and a report.
//!
//! The library is what a benchmark *is*: plans ([`scenarios`]: TOML/JSON
//! files or the built-in presets in `presets/`), the records of a run
//! ([`record`], timed by [`measure`]), scoring against the truth
//! ([`evaluate`]), statistics over seeds ([`stats`], [`summary`]) and the
//! output files ([`report`], charts by plotters in [`plots`]). The binary
//! `taxdistill-bench` (`src/bin/taxdistill-bench/`) runs one: it simulates
//! or reads the data, drives the pipeline (teach, distill, choose,
//! annotate) in process and `vamb taxometer` as a subprocess, and hands the
//! records to this library. docs/bench.md describes it all.
//!
//! A plan's `[train]` and `[scenario.sim]` tables are the `taxdistill
//! distill` and `taxdistill simulate` flags: they are parsed by the CLI's
//! own argument types (the `taxdistill` library), so they cannot drift.

pub mod errors;
pub mod evaluate;
pub mod measure;
pub mod plots;
pub mod record;
pub mod report;
pub mod scenarios;
pub mod stats;
pub mod summary;

pub use errors::{Error, Result};

//! The page: inputs, status, walkthrough, charts, table, exports.

mod app;
mod charts;
mod exports;
mod histogram;
mod inputs;
mod rank_bars;
mod sankey;
mod status;
mod sunburst;
mod table;
mod training;
mod walkthrough;

pub use app::App;
pub use table::TableIndex;

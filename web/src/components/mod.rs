//! The page: inputs, status, walkthrough, charts, table, exports.

mod app;
mod charts;
mod composition;
mod exports;
mod filters;
mod histogram;
mod inputs;
mod rank_bars;
mod results_view;
mod sankey;
mod status;
mod sunburst;
mod sunburst_layout;
mod table;
mod training;
mod walkthrough;

pub use app::App;
pub use table::TableIndex;

//! Noisy labels in their tools' own formats.
//!
//! API contract:
//! - `pub enum LabelFormat { Taxometer, Mmseqs2, Kraken2, Metabuli, Centrifuge, Cami }` (+ FromStr, detection)
//! - `pub struct Labels { pub source: String, pub entries: Vec<(String, Lineage)> }` in file order
//! - `pub fn read_labels<R: std::io::BufRead>(reader: R, source_name: &str, format: Option<LabelFormat>,
//!    taxdump: Option<&crate::taxdump::TaxDump>) -> Result<Labels>`

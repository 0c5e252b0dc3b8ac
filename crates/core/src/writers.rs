//! Writers: Taxometer output TSV, CAMI taxonomic binning, Kraken-style report.

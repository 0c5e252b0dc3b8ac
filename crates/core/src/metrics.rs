//! Per-rank precision, recall and F1 as Taxometer and TaxDistill define them.

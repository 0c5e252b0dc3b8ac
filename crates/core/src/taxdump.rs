//! NCBI taxdump (`nodes.dmp`, `names.dmp`, `merged.dmp`) → lineages.

//! Times simulating and writing 100k contigs (FASTA through gzip level 1).
use std::io::Write;
use std::time::Instant;
fn main() {
    let cfg = taxdistill_sim::SimConfig {
        genomes: 500,
        contigs: 100_000,
        ..Default::default()
    };
    let t = Instant::now();
    let c = taxdistill_sim::simulate(&cfg).unwrap();
    println!(
        "simulate: {:.2} s, {} bp",
        t.elapsed().as_secs_f64(),
        c.total_length()
    );
    let t = Instant::now();
    let mut sink = std::io::sink();
    taxdistill_sim::write_fasta(&c, &mut sink).unwrap();
    println!("fasta (no gz): {:.2} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(1));
    taxdistill_sim::write_fasta(&c, &mut gz).unwrap();
    let v = gz.finish().unwrap();
    println!(
        "fasta gz1: {:.2} s, {} bytes",
        t.elapsed().as_secs_f64(),
        v.len()
    );
    let t = Instant::now();
    let mut v = Vec::new();
    taxdistill_sim::write_abundance(&c, &mut v).unwrap();
    taxdistill_sim::write_labels(&c, &mut v).unwrap();
    taxdistill_sim::write_truth(&c, &mut v).unwrap();
    taxdistill_sim::write_mmseqs2(&c, &mut v).unwrap();
    taxdistill_sim::write_kraken2(&c, &mut v).unwrap();
    std::io::sink().write_all(&v).unwrap();
    println!("tables: {:.2} s", t.elapsed().as_secs_f64());
}

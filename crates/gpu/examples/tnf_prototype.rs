//! Measures whether 4-mer counting (the TNF worker's hot loop) is worth moving
//! to the GPU: a WGSL prototype (`kmer_count.wgsl`, one workgroup per contig,
//! a histogram in workgroup memory) against the CPU's
//! `taxdistill_core::features::kmer_counts` on the same sequences, counts
//! checked equal. Not a timed test; the decision is in docs/gpu.md.
//!
//! `cargo run --release -p taxdistill-gpu --example tnf_prototype -- [Mbp]` (default 20)
//!
//! GPU time includes what a GPU TNF path would pay: uploading the sequence
//! bytes, the kernel, and reading the counts back.

use std::time::Instant;
use taxdistill_gpu::wgpu;
use taxdistill_gpu::wgpu::util::DeviceExt;

const WGSL: &str = include_str!("kmer_count.wgsl");
/// Sequences per dispatch (WebGPU's per-dimension workgroup limit is 65,535).
const PER_DISPATCH: usize = 16_384;

/// Synthetic contigs: lengths 1–20 kbp, random bases with rare N runs.
fn contigs(mbp: usize) -> Vec<Vec<u8>> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = Vec::new();
    let mut total = 0;
    while total < mbp * 1_000_000 {
        let len = 1000 + (next() % 19_000) as usize;
        let seq: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if r % 5000 == 0 {
                    b'N'
                } else {
                    b"ACGT"[(r >> 20) as usize & 3]
                }
            })
            .collect();
        total += len;
        out.push(seq);
    }
    out
}

fn main() {
    let mbp: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("Mbp must be a number"))
        .unwrap_or(20);
    let seqs = contigs(mbp);
    let bases: usize = seqs.iter().map(Vec::len).sum();
    println!("{} contigs, {:.1} Mbp", seqs.len(), bases as f64 / 1e6);

    // CPU: the worker's counting, one thread and all of rayon's
    let t = Instant::now();
    let cpu: Vec<[u32; 256]> = seqs
        .iter()
        .map(|s| taxdistill_core::features::kmer_counts(s))
        .collect();
    let cpu1 = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let cpu_par: Vec<[u32; 256]> = {
        use rayon::prelude::*;
        seqs.par_iter()
            .map(|s| taxdistill_core::features::kmer_counts(s))
            .collect()
    };
    let cpu_n = t.elapsed().as_secs_f64();
    assert_eq!(cpu, cpu_par);

    let Some(ctx) = taxdistill_gpu::init_device_blocking().expect("device") else {
        println!("no GPU adapter: nothing to compare");
        return;
    };
    let device = &ctx.device;
    let queue = &ctx.queue;
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("kmer_count"),
        source: wgpu::ShaderSource::Wgsl(WGSL.into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("kmer_count"),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });

    let run_gpu = || gpu_counts(device, queue, &pipeline, &seqs, bases);
    // warm-up (pipeline compilation), then timed
    let _ = run_gpu();
    let t = Instant::now();
    let gpu = run_gpu();
    let gpu_s = t.elapsed().as_secs_f64();
    assert_eq!(gpu, cpu, "GPU counts differ from the CPU's");

    let rate = |s: f64| bases as f64 / 1e6 / s;
    println!(
        "device: {} ({}), rayon threads {}",
        ctx.adapter_name,
        ctx.backend,
        rayon::current_num_threads()
    );
    println!();
    println!(
        "| 4-mer counting of {:.0} Mbp | seconds | Mbp/s |",
        bases as f64 / 1e6
    );
    println!("|---|---:|---:|");
    println!(
        "| CPU, 1 thread (`kmer_counts`) | {cpu1:.3} | {:.0} |",
        rate(cpu1)
    );
    println!(
        "| CPU, {} threads (rayon) | {cpu_n:.3} | {:.0} |",
        rayon::current_num_threads(),
        rate(cpu_n)
    );
    println!(
        "| GPU `kmer_count.wgsl` on {} (upload + kernel + readback) | {gpu_s:.3} | {:.0} |",
        ctx.adapter_name,
        rate(gpu_s)
    );
}

/// 4-mer counts of every sequence by `kmer_count.wgsl`, dispatch by
/// dispatch (upload, kernel, readback).
fn gpu_counts(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    pipeline: &wgpu::ComputePipeline,
    seqs: &[Vec<u8>],
    bases: usize,
) -> Vec<[u32; 256]> {
    // pack the bytes four per word; offsets in bytes
    let mut bytes = Vec::with_capacity(bases + 4);
    let mut offsets = vec![0u32];
    for s in seqs {
        bytes.extend_from_slice(s);
        offsets.push(bytes.len() as u32);
    }
    bytes.resize(bytes.len().div_ceil(4) * 4 + 4, 0);
    // STORAGE: read by the kernel; written once at creation (the upload)
    let seq_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("kmer.sequence bytes"),
        contents: &bytes,
        usage: wgpu::BufferUsages::STORAGE,
    });
    let off_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("kmer.offsets"),
        contents: bytemuck::cast_slice(&offsets),
        usage: wgpu::BufferUsages::STORAGE,
    });
    let per = PER_DISPATCH.min(seqs.len());
    // STORAGE + COPY_SRC: the kernel writes the counts, then they are copied to staging
    let counts_buf = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("kmer.counts"),
        size: (per * 256 * 4) as u64,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    // MAP_READ + COPY_DST: the CPU-visible copy of the counts
    let staging = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("kmer.staging"),
        size: (per * 256 * 4) as u64,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    // UNIFORM + COPY_DST: the first sequence of each dispatch
    let params = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("kmer.params"),
        size: 16,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let bg = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("kmer.bind group"),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry {
                binding: 0,
                resource: params.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 1,
                resource: seq_buf.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 2,
                resource: off_buf.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 3,
                resource: counts_buf.as_entire_binding(),
            },
        ],
    });
    let mut out = Vec::with_capacity(seqs.len());
    let mut first = 0;
    while first < seqs.len() {
        let n = per.min(seqs.len() - first);
        queue.write_buffer(&params, 0, bytemuck::cast_slice(&[first as u32, 0, 0, 0]));
        let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("kmer.batch"),
        });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("kmer.count"),
                timestamp_writes: None,
            });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(n as u32, 1, 1);
        }
        let size = (n * 256 * 4) as u64;
        enc.copy_buffer_to_buffer(&counts_buf, 0, &staging, 0, size);
        queue.submit([enc.finish()]);
        let slice = staging.slice(..size);
        slice.map_async(wgpu::MapMode::Read, |r| r.expect("map"));
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("poll");
        {
            let view = slice.get_mapped_range().expect("mapped");
            let words: &[u32] = bytemuck::cast_slice(&view);
            for c in words.chunks_exact(256) {
                out.push(c.try_into().expect("256 counts"));
            }
        }
        staging.unmap();
        first += n;
    }
    out
}

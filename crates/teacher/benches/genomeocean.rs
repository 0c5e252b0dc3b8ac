//! Tokens/s of the candle GenomeOcean backbone on a randomly initialised model
//! of GenomeOcean-500M's size (not a timed test; see docs/teacher.md).
//!
//! `cargo bench -p taxdistill-teacher --bench genomeocean`; environment:
//! `BENCH_BATCH` (2), `BENCH_TOKENS` (512), `BENCH_REPEATS` (3),
//! `BENCH_CONFIG` (a config.json; default: GenomeOcean-500M's shapes).
//! Prints one JSON line: the median over the repeats after one warm-up, the
//! achieved TFLOP/s of the matmuls (2 × non-embedding parameters + 4 × layers
//! × tokens × hidden per token, the usual forward count with full attention)
//! and, when a peak is known, the MFU.
//!
//! On a GPU: `BENCH_DEVICE=cuda cargo bench -p taxdistill-teacher --features cuda
//! --bench genomeocean` runs CUDA device 0 in bf16, as `embed` does; the MFU
//! is against `BENCH_PEAK_TFLOPS` (default 989.4, an H100/H200 SXM's dense
//! bf16 peak; on the CPU only when the variable is set).

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use std::collections::HashMap;
use std::time::Instant;
use taxdistill_teacher::genomeocean::model::Encoder;
use taxdistill_teacher::genomeocean::MistralConfig;

const GO500M: &str = r#"{"architectures":["MistralForCausalLM"],"model_type":"mistral","hidden_size":1536,
  "num_hidden_layers":14,"num_attention_heads":24,"num_key_value_heads":24,"intermediate_size":6144,
  "rms_norm_eps":1e-5,"rope_theta":10000.0,"max_position_embeddings":1024,"vocab_size":4096,
  "sliding_window":null,"torch_dtype":"bfloat16"}"#;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg_text = match std::env::var("BENCH_CONFIG") {
        Ok(p) => std::fs::read_to_string(p)?,
        Err(_) => GO500M.to_string(),
    };
    let cfg = MistralConfig::from_json(cfg_text.as_bytes(), "bench config")?;
    let (b, t, repeats) = (
        env("BENCH_BATCH", 2),
        env("BENCH_TOKENS", 512),
        env("BENCH_REPEATS", 3),
    );
    let (dev, dtype) = match std::env::var("BENCH_DEVICE").as_deref() {
        Ok("cuda") => cuda_device()?,
        Ok("cpu") | Err(_) => (Device::Cpu, DType::F32),
        Ok(other) => return Err(format!("BENCH_DEVICE={other}: expected cpu or cuda").into()),
    };
    let (h, hd, i) = (cfg.hidden_size, cfg.head_dim(), cfg.intermediate_size);
    let mut shapes: Vec<(String, Vec<usize>)> = vec![
        ("embed_tokens.weight".into(), vec![cfg.vocab_size, h]),
        ("norm.weight".into(), vec![h]),
    ];
    for l in 0..cfg.num_hidden_layers {
        let p = format!("layers.{l}");
        shapes.push((format!("{p}.input_layernorm.weight"), vec![h]));
        shapes.push((format!("{p}.post_attention_layernorm.weight"), vec![h]));
        shapes.push((
            format!("{p}.self_attn.q_proj.weight"),
            vec![cfg.num_attention_heads * hd, h],
        ));
        shapes.push((
            format!("{p}.self_attn.k_proj.weight"),
            vec![cfg.kv_heads() * hd, h],
        ));
        shapes.push((
            format!("{p}.self_attn.v_proj.weight"),
            vec![cfg.kv_heads() * hd, h],
        ));
        shapes.push((
            format!("{p}.self_attn.o_proj.weight"),
            vec![h, cfg.num_attention_heads * hd],
        ));
        shapes.push((format!("{p}.mlp.gate_proj.weight"), vec![i, h]));
        shapes.push((format!("{p}.mlp.up_proj.weight"), vec![i, h]));
        shapes.push((format!("{p}.mlp.down_proj.weight"), vec![h, i]));
    }
    let mut ts = HashMap::new();
    for (name, shape) in shapes {
        let t = if name.ends_with("norm.weight") {
            Tensor::ones(shape, DType::F32, &Device::Cpu)?
        } else {
            Tensor::randn(0f32, 0.02, shape, &Device::Cpu)?
        };
        ts.insert(name, t);
    }
    let enc = Encoder::new(&cfg, VarBuilder::from_tensors(ts, dtype, &dev))?;
    let ids: Vec<u32> = (0..b * t)
        .map(|k| 5 + (k as u32 * 2_654_435_761u32) % (cfg.vocab_size as u32 - 5))
        .collect();
    let ids = Tensor::from_vec(ids, (b, t), &dev)?;
    let lengths = vec![t; b];
    enc.masked_sums(&ids, &lengths)?; // warm-up
    let mut secs = Vec::new();
    for _ in 0..repeats {
        let t0 = Instant::now();
        let s = enc.masked_sums(&ids, &lengths)?;
        s.to_vec2::<f32>()?;
        secs.push(t0.elapsed().as_secs_f64());
    }
    secs.sort_by(f64::total_cmp);
    let med = secs[secs.len() / 2];
    // matmul FLOPs of one forward: embeddings (input and LM head) are no matmul here
    let non_embedding = cfg.n_params() as f64 - 2.0 * (cfg.vocab_size * h) as f64;
    let per_token = 2.0 * non_embedding + 4.0 * (cfg.num_hidden_layers * t * h) as f64;
    let tflops = per_token * (b * t) as f64 / med / 1e12;
    let peak: Option<f64> = match std::env::var("BENCH_PEAK_TFLOPS") {
        Ok(v) => Some(
            v.parse()
                .map_err(|_| format!("BENCH_PEAK_TFLOPS={v}: not a number"))?,
        ),
        Err(_) => dev.is_cuda().then_some(989.4),
    };
    let mfu = peak.map_or("null".to_string(), |p| format!("{:.4}", tflops / p));
    println!(
        "{{\"impl\":\"candle\",\"device\":\"{}\",\"dtype\":\"{dtype:?}\",\"params\":{},\"batch\":{b},\"tokens\":{t},\"threads\":{},\"median_s\":{med:.3},\"tokens_per_s\":{:.1},\"tflops\":{tflops:.3},\"mfu\":{mfu},\"runs_s\":{secs:?}}}",
        if dev.is_cuda() { "cuda:0" } else { "cpu" },
        cfg.n_params(),
        rayon::current_num_threads(),
        (b * t) as f64 / med
    );
    Ok(())
}

#[cfg(feature = "cuda")]
fn cuda_device() -> Result<(Device, DType), Box<dyn std::error::Error>> {
    Ok((Device::new_cuda(0)?, DType::BF16))
}

#[cfg(not(feature = "cuda"))]
fn cuda_device() -> Result<(Device, DType), Box<dyn std::error::Error>> {
    Err("BENCH_DEVICE=cuda needs a build with --features cuda".into())
}

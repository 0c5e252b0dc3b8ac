//! Tokens/s of the candle GenomeOcean backbone on a randomly initialised model
//! of GenomeOcean-500M's size (not a timed test; see docs/teacher.md).
//!
//! `cargo bench -p taxdistill-teacher --bench genomeocean`; environment:
//! `BENCH_BATCH` (2), `BENCH_TOKENS` (512), `BENCH_REPEATS` (3),
//! `BENCH_CONFIG` (a config.json; default: GenomeOcean-500M's shapes).
//! Prints one JSON line: the median over the repeats after one warm-up.

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
    let dev = Device::Cpu;
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
            Tensor::ones(shape, DType::F32, &dev)?
        } else {
            Tensor::randn(0f32, 0.02, shape, &dev)?
        };
        ts.insert(name, t);
    }
    let enc = Encoder::new(&cfg, VarBuilder::from_tensors(ts, DType::F32, &dev))?;
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
    println!(
        "{{\"impl\":\"candle\",\"params\":{},\"batch\":{b},\"tokens\":{t},\"threads\":{},\"median_s\":{med:.3},\"tokens_per_s\":{:.1},\"runs_s\":{secs:?}}}",
        cfg.n_params(),
        rayon::current_num_threads(),
        (b * t) as f64 / med
    );
    Ok(())
}

#!/usr/bin/env python3
"""Tokens/s of HF transformers' Mistral backbone on the same batch as the Rust
bench (crates/teacher/benches/genomeocean.rs): a randomly initialised model of
GenomeOcean-500M's shapes (14 layers, hidden 1536, 24 heads, intermediate 6144,
vocab 4096; 541,109,760 parameters with the LM head), f32 on the CPU, batch
BENCH_BATCH x BENCH_TOKENS (2 x 512), median of BENCH_REPEATS (3) after one
warm-up, torch threads = BENCH_THREADS (all cores).

Then, unless --no-rust, runs the Rust bench and prints a Markdown table row.

Usage: /work/venvs/hf/bin/python scripts/bench_genomeocean_vs_hf.py
       (venv from scripts/make_tiny_genomeocean.py)
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def hf_bench(b, t, repeats, threads):
    import torch
    import transformers
    from transformers import MistralConfig, MistralModel

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = MistralConfig(
        vocab_size=4096,
        hidden_size=1536,
        intermediate_size=6144,
        num_hidden_layers=14,
        num_attention_heads=24,
        num_key_value_heads=24,
        max_position_embeddings=1024,
        rms_norm_eps=1e-5,
        sliding_window=None,
    )
    model = MistralModel(cfg).eval()
    n_params = sum(p.numel() for p in model.parameters()) + cfg.vocab_size * cfg.hidden_size  # + LM head
    ids = torch.tensor([[5 + (k * 2654435761 % 2**32) % (cfg.vocab_size - 5) for k in range(r * t, (r + 1) * t)] for r in range(b)])
    mask = torch.ones_like(ids)
    runs = []
    with torch.inference_mode():
        model(input_ids=ids, attention_mask=mask)
        for _ in range(repeats):
            t0 = time.perf_counter()
            h = model(input_ids=ids, attention_mask=mask).last_hidden_state
            (h * mask.unsqueeze(-1)).sum(1)
            runs.append(time.perf_counter() - t0)
    runs.sort()
    med = runs[len(runs) // 2]
    return {
        "impl": f"transformers {transformers.__version__} (torch {torch.__version__}, {model.config._attn_implementation})",
        "params": n_params,
        "batch": b,
        "tokens": t,
        "threads": threads,
        "median_s": round(med, 3),
        "tokens_per_s": round(b * t / med, 1),
        "runs_s": [round(r, 3) for r in runs],
    }


def main():
    b = int(os.environ.get("BENCH_BATCH", 2))
    t = int(os.environ.get("BENCH_TOKENS", 512))
    repeats = int(os.environ.get("BENCH_REPEATS", 3))
    threads = int(os.environ.get("BENCH_THREADS", os.cpu_count()))
    hf = hf_bench(b, t, repeats, threads)
    print(json.dumps(hf), flush=True)
    if "--no-rust" in sys.argv:
        return
    env = dict(os.environ, BENCH_BATCH=str(b), BENCH_TOKENS=str(t), BENCH_REPEATS=str(repeats), RAYON_NUM_THREADS=str(threads))
    out = subprocess.run(
        ["cargo", "bench", "-q", "-p", "taxdistill-teacher", "--bench", "genomeocean"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout
    rs = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
    print(json.dumps(rs))
    print(f"| CPU ({threads} threads), f32, {b}x{t} | {rs['tokens_per_s']:.0f} | {hf['tokens_per_s']:.0f} | {rs['tokens_per_s'] / hf['tokens_per_s']:.2f}x |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Tokens/s of HF transformers' Mistral backbone vs ours (candle) on the same
machine, batch and sequence length: a randomly initialised model of
GenomeOcean-500M's shapes (config.json written by
`scripts/make_tiny_genomeocean.py --genomeocean-500m-config DIR`: 14 layers,
hidden 1536, 24 heads, intermediate 6144, vocab 4096; 541,109,760 parameters
with the LM head), f32 on the CPU, batch BENCH_BATCH x BENCH_TOKENS (2 x 512)
real tokens, median of BENCH_REPEATS (3) after one warm-up, BENCH_THREADS (2)
threads on both sides (torch.set_num_threads; RAYON_NUM_THREADS for candle).
Both sides time the same work: the backbone's last hidden state (after the
final RMSNorm) and its sum over the tokens; no LM head.

The HF side runs first (both attention implementations transformers offers on
the CPU: eager and sdpa; the faster is the reference), then, unless --no-rust,
`cargo bench -p taxdistill-teacher --bench genomeocean` (release profile) with
BENCH_CONFIG pointing at the same config.json. Prints JSON lines and a
Markdown table row.

Usage: /work/venvs/hf/bin/python scripts/bench_genomeocean_vs_hf.py
       (the venv: torch + transformers + tokenizers, see make_tiny_genomeocean.py)
"""
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def hf_bench(config_dir, b, t, repeats, threads, attn):
    import torch
    import transformers
    from transformers import MistralConfig, MistralModel

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = MistralConfig.from_pretrained(config_dir)
    cfg._attn_implementation = attn
    model = MistralModel(cfg).eval()
    n_params = sum(p.numel() for p in model.parameters()) + cfg.vocab_size * cfg.hidden_size  # + LM head
    # the same ids as the Rust bench
    ids = torch.tensor(
        [[5 + (k * 2654435761 % 2**32) % (cfg.vocab_size - 5) for k in range(r * t, (r + 1) * t)] for r in range(b)]
    )
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
        "impl": f"transformers {transformers.__version__} (torch {torch.__version__}, attn {attn})",
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
    threads = int(os.environ.get("BENCH_THREADS", 2))
    with tempfile.TemporaryDirectory() as tmp:
        cfg_dir = Path(tmp) / "go500m"
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "make_tiny_genomeocean.py"), "--genomeocean-500m-config", str(cfg_dir)],
            check=True,
        )
        hf = []
        for attn in ["eager", "sdpa"]:
            r = hf_bench(cfg_dir, b, t, repeats, threads, attn)
            print(json.dumps(r), flush=True)
            hf.append(r)
        best = max(hf, key=lambda r: r["tokens_per_s"])
        if "--no-rust" in sys.argv:
            return
        env = dict(
            os.environ,
            BENCH_BATCH=str(b),
            BENCH_TOKENS=str(t),
            BENCH_REPEATS=str(repeats),
            BENCH_CONFIG=str(cfg_dir / "config.json"),
            RAYON_NUM_THREADS=str(threads),
        )
        out = subprocess.run(
            ["cargo", "bench", "-q", "-p", "taxdistill-teacher", "--bench", "genomeocean"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout
    rs = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    print(json.dumps(rs))
    cpu = platform.processor() or platform.machine()
    print(
        f"| CPU {cpu}, {threads} threads, f32 | {b} x {t} | {rs['tokens_per_s']:.0f} | "
        f"{best['tokens_per_s']:.0f} ({best['impl']}) | {rs['tokens_per_s'] / best['tokens_per_s']:.2f}x |"
    )


if __name__ == "__main__":
    main()

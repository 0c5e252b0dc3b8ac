#!/usr/bin/env python3
"""Build the tiny GenomeOcean-like test fixture and its golden embeddings.

Writes tests/data/tiny-genomeocean/ in Hugging Face format:
  config.json, model.safetensors (bf16, like GenomeOcean), tokenizer.json,
  tokenizer_config.json, special_tokens_map.json, reference.json.

The model is a random MistralForCausalLM (2 layers, hidden 64, 4 heads, 2 KV
heads, intermediate 128, vocab 4096, max_position_embeddings 128) with a DNA BPE
tokenizer (vocab 4096; [UNK]=0 [CLS]=1 [SEP]=2 [PAD]=3 [MASK]=4 as in
GenomeOcean). reference.json holds, for each test sequence, the window token
ids and the contig embedding computed by transformers (torch, CPU, f32) with
the windowing of docs/teacher.md:

  upper-case; tokenize without specials; pieces of W-2 ids; [CLS] piece [SEP];
  embedding = mean of the last hidden state over every token of every window.
  A sequence without any A/C/G/T gets a zero row (tokens = 0).

All windows are run as ONE right-padded batch with an attention mask, and the
script asserts that this equals running every window alone.

With `--genomeocean-500m-config DIR` it instead writes only DIR/config.json:
transformers' MistralConfig with GenomeOcean-500M's shapes (14 layers, hidden
1536, 24 heads, intermediate 6144, vocab 4096, 1024 positions; 541,109,760
parameters with the LM head), the config the backbone benchmark
(scripts/bench_genomeocean_vs_hf.py) initialises randomly on both sides. No
weights are downloaded or written.

Usage: python3 scripts/make_tiny_genomeocean.py [--genomeocean-500m-config DIR]
(re-runs itself inside the throwaway venv /work/venvs/hf, creating it with pip
if needed; override with TAXDISTILL_HF_VENV).
"""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

VENV = Path(os.environ.get("TAXDISTILL_HF_VENV", "/work/venvs/hf"))
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "tiny-genomeocean"


def ensure_venv():
    try:
        import tokenizers  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
        return
    except ImportError:
        pass
    py = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        sys.exit("the venv exists but lacks torch/transformers/tokenizers")
    if not py.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", "torch", "transformers", "tokenizers", "safetensors"])
    os.execv(str(py), [str(py), *sys.argv])


def build_tokenizer():
    from tokenizers import Tokenizer, models, processors, trainers

    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    # No pre-tokenizer: a DNA sequence is one word, as in GenomeOcean.
    specials = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
    trainer = trainers.BpeTrainer(vocab_size=4096, special_tokens=specials, initial_alphabet=list("ACGT"), show_progress=False)
    rng = random.Random(1)
    corpus = ["".join(rng.choice("ACGT") for _ in range(1000)) for _ in range(3000)]
    tok.train_from_iterator(corpus, trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    return tok


def test_sequences():
    rng = random.Random(7)

    def dna(n):
        return "".join(rng.choice("ACGT") for _ in range(n))

    return [
        ("short50", dna(50)),
        ("mid300", dna(300)),
        ("lower400", dna(400).lower()),
        ("two_windows", dna(1100)),
        ("long2500", dna(2500)),
        ("long5000", dna(5000)),
        ("mixed_case", "".join(c.lower() if rng.random() < 0.5 else c for c in dna(900))),
        ("n_run", dna(300) + "N" * 40 + dna(300)),
        ("iupac", dna(200) + "RYKM" + dna(200)),
        ("tiny_acgt", "ACGT"),
        ("one_base", "G"),
        ("only_n", "N" * 120),
        ("exact_edge", dna(700)),
    ]


def genomeocean_500m_config(out):
    """config.json of GenomeOcean-500M's shapes (values of its published config)."""
    from transformers import MistralConfig

    cfg = MistralConfig(
        vocab_size=4096,
        hidden_size=1536,
        intermediate_size=6144,
        num_hidden_layers=14,
        num_attention_heads=24,
        num_key_value_heads=24,
        max_position_embeddings=1024,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        sliding_window=None,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=3,
        tie_word_embeddings=False,
        architectures=["MistralForCausalLM"],
    )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg.save_pretrained(out)
    print(f"wrote {out / 'config.json'}")


def main():
    ensure_venv()
    if "--genomeocean-500m-config" in sys.argv:
        genomeocean_500m_config(sys.argv[sys.argv.index("--genomeocean-500m-config") + 1])
        return
    import torch
    import transformers
    from transformers import MistralConfig, MistralForCausalLM, PreTrainedTokenizerFast

    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    raw = build_tokenizer()
    hf_tok = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        mask_token="[MASK]",
        model_max_length=1024,  # as GenomeOcean; capped by max_position_embeddings=128
        padding_side="right",
    )
    hf_tok.save_pretrained(OUT)
    # transformers >= 5 no longer writes it; GenomeOcean's directory has one.
    specials = {k: f"[{k.split('_')[0].upper()}]" for k in ["unk_token", "cls_token", "sep_token", "pad_token", "mask_token"]}
    (OUT / "special_tokens_map.json").write_text(json.dumps(specials, indent=2) + "\n")

    cfg = MistralConfig(
        vocab_size=4096,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        sliding_window=None,
        initializer_range=0.1,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=3,
        tie_word_embeddings=False,
    )
    model = MistralForCausalLM(cfg)
    with torch.no_grad():  # non-trivial norm weights so a missed norm shows up
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
    model = model.to(torch.bfloat16)
    model.save_pretrained(OUT, safe_serialization=True)
    for junk in ["generation_config.json"]:
        (OUT / junk).unlink(missing_ok=True)

    # Reload the bf16 file as f32, exactly what the Rust side computes with.
    try:  # transformers >= 5 calls it `dtype`
        model = MistralForCausalLM.from_pretrained(OUT, dtype=torch.float32, attn_implementation="eager").eval()
    except TypeError:
        model = MistralForCausalLM.from_pretrained(OUT, torch_dtype=torch.float32, attn_implementation="eager").eval()
    assert next(model.parameters()).dtype == torch.float32
    tok = PreTrainedTokenizerFast.from_pretrained(OUT)
    W = min(tok.model_max_length, model.config.max_position_embeddings)
    cls, sep, pad = tok.cls_token_id, tok.sep_token_id, tok.pad_token_id

    seqs = test_sequences()
    windows = []  # (seq index, ids)
    per_seq = []
    for i, (_, s) in enumerate(seqs):
        s = s.upper()
        if not any(c in "ACGT" for c in s):
            per_seq.append([])
            continue
        ids = tok(s, add_special_tokens=False)["input_ids"]
        ws = [[cls] + ids[k : k + W - 2] + [sep] for k in range(0, len(ids), W - 2)]
        per_seq.append(ws)
        windows += [(i, w) for w in ws]
    assert max(len(w) for _, w in windows) == W, "some sequence must fill a whole window"

    t = max(len(w) for _, w in windows)
    ids = torch.full((len(windows), t), pad, dtype=torch.long)
    mask = torch.zeros((len(windows), t), dtype=torch.long)
    for r, (_, w) in enumerate(windows):
        ids[r, : len(w)] = torch.tensor(w)
        mask[r, : len(w)] = 1
    with torch.no_grad():
        h = model.model(input_ids=ids, attention_mask=mask).last_hidden_state.double()
        sums = torch.stack([h[r, : len(w)].sum(0) for r, (_, w) in enumerate(windows)])
        alone = torch.stack(
            [model.model(input_ids=torch.tensor([w])).last_hidden_state[0].double().sum(0) for _, w in windows]
        )
    batch_vs_alone = float((sums - alone).abs().max())
    assert batch_vs_alone < 1e-4, batch_vs_alone

    hidden = cfg.hidden_size
    records = []
    for i, (name, s) in enumerate(seqs):
        rows = [r for r, (j, _) in enumerate(windows) if j == i]
        n_tok = sum(len(windows[r][1]) for r in rows)
        emb = (sums[rows].sum(0) / n_tok).tolist() if rows else [0.0] * hidden
        records.append({"id": name, "seq": s, "windows": per_seq[i], "tokens": n_tok, "embedding": emb})
    ref = {
        "generator": "scripts/make_tiny_genomeocean.py",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "window_tokens": W,
        "padded_batch_windows": len(windows),
        "batch_vs_alone_max_abs_diff": batch_vs_alone,
        "sequences": records,
    }
    (OUT / "reference.json").write_text(json.dumps(ref, indent=1) + "\n")
    size = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {OUT} ({size / 1e6:.2f} MB), W={W}, {len(windows)} windows, batch-vs-alone {batch_vs_alone:.2e}")


if __name__ == "__main__":
    main()

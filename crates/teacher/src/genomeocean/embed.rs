//! Loading a GenomeOcean directory and embedding whole contigs.
//!
//! A contig's embedding is the mean of the last hidden state over every token
//! of every window (`[CLS]`/`[SEP]` included): `(hidden_size,)` f32.
//! Windows of many contigs are batched, sorted by length and right padded; the
//! padding never changes a number beyond float rounding.

use super::config::MistralConfig;
use super::model::Encoder;
use super::tokenizer::DnaTokenizer;
use crate::{Error, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;

/// How to load a model directory.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Window length `W` in tokens (`--window-tokens`), overriding `model_max_length`.
    pub window_tokens: Option<usize>,
    /// Run on the CPU (f32) even in a CUDA build.
    pub force_cpu: bool,
    /// Compute dtype instead of the device's default (bf16 on CUDA, f32 on
    /// the CPU); the tests run the GPU's bf16 arithmetic on the CPU with it.
    pub dtype: Option<DType>,
}

/// The embedding of one contig.
#[derive(Debug, Clone, PartialEq)]
pub struct ContigEmbedding {
    /// Mean last hidden state, `(hidden_size,)`; all zeros when `tokens == 0`.
    pub row: Vec<f32>,
    /// Tokens the mean was taken over (specials included). 0 for contigs
    /// without a single A/C/G/T, which get a zero row instead of a guess.
    pub tokens: usize,
}

/// GenomeOcean (or any Mistral) backbone + tokenizer.
pub struct GenomeOcean {
    /// The model's `config.json`.
    pub config: MistralConfig,
    /// Tokenizer and window geometry.
    pub tokenizer: DnaTokenizer,
    encoder: Encoder,
    device: Device,
}

/// Device and compute dtype: CUDA 0 in bf16 when built with `--features cuda`
/// (and not forced to the CPU), else the CPU in f32.
///
/// # Errors
/// The CUDA device cannot be opened.
pub fn pick_device(force_cpu: bool) -> Result<(Device, DType)> {
    #[cfg(feature = "cuda")]
    {
        if !force_cpu {
            return Ok((Device::new_cuda(0)?, DType::BF16));
        }
    }
    let _ = force_cpu;
    Ok((Device::Cpu, DType::F32))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::BadModelFile {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Checks that every tensor is a float (bf16/f16/f32) and loads them on the CPU.
fn load_weights(bytes: &[u8], path: &str, into: &mut HashMap<String, Tensor>) -> Result<()> {
    let bad = |reason: String| Error::BadModelFile {
        path: path.to_string(),
        reason,
    };
    let st = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    for (name, view) in st.tensors() {
        use safetensors::Dtype;
        if !matches!(view.dtype(), Dtype::BF16 | Dtype::F16 | Dtype::F32) {
            return Err(bad(format!(
                "tensor {name} has dtype {:?}; expected BF16, F16 or F32",
                view.dtype()
            )));
        }
    }
    let ts = candle_core::safetensors::load_buffer(bytes, &Device::Cpu)
        .map_err(|e| bad(e.to_string()))?;
    into.extend(ts);
    Ok(())
}

fn is_oom(e: &candle_core::Error) -> bool {
    let s = e.to_string().to_ascii_lowercase();
    s.contains("out of memory")
        || s.contains("out_of_memory")
        || s.contains("cudaerrormemoryallocation")
}

impl GenomeOcean {
    /// Loads `config.json`, `tokenizer.json`, `tokenizer_config.json` (optional)
    /// and every `*.safetensors` of a Hugging Face model directory.
    ///
    /// # Errors
    /// [`Error::BadModelFile`] naming the missing or corrupt file, another
    /// architecture, non-float or missing tensors.
    pub fn load(dir: &Path, opts: &LoadOptions) -> Result<GenomeOcean> {
        let config = read(&dir.join("config.json"))?;
        let tokenizer = read(&dir.join("tokenizer.json"))?;
        let tcfg_path = dir.join("tokenizer_config.json");
        let tcfg = if tcfg_path.exists() {
            Some(read(&tcfg_path)?)
        } else {
            None
        };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| Error::BadModelFile {
                path: dir.display().to_string(),
                reason: e.to_string(),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(Error::BadModelFile {
                path: dir.join("model.safetensors").display().to_string(),
                reason: "no *.safetensors weights in the model directory".into(),
            });
        }
        let weights = files
            .iter()
            .map(|p| Ok((p.display().to_string(), read(p)?)))
            .collect::<Result<Vec<_>>>()?;
        Self::from_bytes(
            &config,
            &tokenizer,
            tcfg.as_deref(),
            &weights,
            &dir.display().to_string(),
            opts,
        )
    }

    /// Builds the model from file contents; `weights` are `(name, bytes)` of
    /// the safetensors files and `dir` names the directory in errors.
    ///
    /// # Errors
    /// As [`GenomeOcean::load`].
    pub fn from_bytes(
        config_json: &[u8],
        tokenizer_json: &[u8],
        tokenizer_config_json: Option<&[u8]>,
        weights: &[(String, Vec<u8>)],
        dir: &str,
        opts: &LoadOptions,
    ) -> Result<GenomeOcean> {
        let config = MistralConfig::from_json(config_json, &format!("{dir}/config.json"))?;
        let tokenizer = DnaTokenizer::from_bytes(
            tokenizer_json,
            tokenizer_config_json,
            config.max_position_embeddings,
            opts.window_tokens,
            dir,
        )?;
        if tokenizer.specials().0 as usize >= config.vocab_size
            || tokenizer.specials().1 as usize >= config.vocab_size
        {
            return Err(Error::BadModelFile {
                path: format!("{dir}/tokenizer.json"),
                reason: format!(
                    "special token ids {:?} exceed vocab_size {}",
                    tokenizer.specials(),
                    config.vocab_size
                ),
            });
        }
        let mut tensors = HashMap::new();
        for (name, bytes) in weights {
            load_weights(bytes, name, &mut tensors)?;
        }
        let (device, default_dtype) = pick_device(opts.force_cpu)?;
        let dtype = opts.dtype.unwrap_or(default_dtype);
        let prefixed = tensors.contains_key("model.embed_tokens.weight");
        let vb = VarBuilder::from_tensors(tensors, dtype, &device);
        let vb = if prefixed { vb.pp("model") } else { vb };
        let wpath = weights
            .first()
            .map_or_else(|| format!("{dir}/model.safetensors"), |w| w.0.clone());
        let encoder = Encoder::new(&config, vb).map_err(|e| Error::BadModelFile {
            path: wpath,
            reason: e.to_string(),
        })?;
        Ok(GenomeOcean {
            config,
            tokenizer,
            encoder,
            device,
        })
    }

    /// Builds a model from config and in-memory tensors (benchmarks, tests).
    ///
    /// # Errors
    /// As [`GenomeOcean::from_bytes`].
    pub fn from_tensors(
        config: MistralConfig,
        tokenizer: DnaTokenizer,
        tensors: HashMap<String, Tensor>,
        device: &Device,
        dtype: DType,
    ) -> Result<GenomeOcean> {
        let vb = VarBuilder::from_tensors(tensors, dtype, device);
        let encoder = Encoder::new(&config, vb)?;
        Ok(GenomeOcean {
            config,
            tokenizer,
            encoder,
            device: device.clone(),
        })
    }

    /// Width of an embedding row.
    pub fn hidden_size(&self) -> usize {
        self.config.hidden_size
    }

    /// Per-window sums `(hidden,)` of the last hidden state over each window's
    /// tokens, computed as one right-padded batch.
    ///
    /// # Errors
    /// Device errors (including out of memory).
    pub fn window_sums(&self, windows: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        Ok(self.window_sums_raw(windows)?)
    }

    fn window_sums_raw(&self, windows: &[&[u32]]) -> candle_core::Result<Vec<Vec<f32>>> {
        if windows.is_empty() {
            return Ok(Vec::new());
        }
        let t = windows.iter().map(|w| w.len()).max().unwrap_or(0);
        let pad = self.tokenizer.pad_id();
        let mut ids = Vec::with_capacity(windows.len() * t);
        for w in windows {
            ids.extend_from_slice(w);
            ids.extend(std::iter::repeat_n(pad, t - w.len()));
        }
        let lengths: Vec<usize> = windows.iter().map(|w| w.len()).collect();
        let ids = Tensor::from_vec(ids, (windows.len(), t), &self.device)?;
        self.encoder.masked_sums(&ids, &lengths)?.to_vec2::<f32>()
    }

    /// Sums of a batch, halving it on out-of-memory until single windows fail.
    fn sums_with_retry(&self, windows: &[&[u32]], batch: &mut usize) -> Result<Vec<Vec<f32>>> {
        match self.window_sums_raw(windows) {
            Ok(s) => Ok(s),
            Err(e) if is_oom(&e) && windows.len() > 1 => {
                let half = windows.len() / 2;
                *batch = half.max(1);
                tracing::warn!("out of memory with a batch of {} windows; retrying with {half}", windows.len());
                let mut a = self.sums_with_retry(&windows[..half], batch)?;
                a.extend(self.sums_with_retry(&windows[half..], batch)?);
                Ok(a)
            }
            Err(e) if is_oom(&e) => Err(Error::Invalid(format!(
                "out of memory even for a single window of {} tokens; use --window-tokens to shorten windows ({e})",
                windows[0].len()
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Embeds contigs (any case); windows of all of them are batched by up to
    /// `batch_size` windows, longest first.
    ///
    /// # Errors
    /// Tokenizer or device errors; out of memory even for one window.
    pub fn embed(&self, seqs: &[&[u8]], batch_size: usize) -> Result<Vec<ContigEmbedding>> {
        let windows: Vec<Vec<Vec<u32>>> = seqs
            .par_iter()
            .map(|s| {
                if s.iter()
                    .any(|b| matches!(b.to_ascii_uppercase(), b'A' | b'C' | b'G' | b'T'))
                {
                    self.tokenizer.windows(s)
                } else {
                    Ok(Vec::new())
                }
            })
            .collect::<Result<_>>()?;
        let mut order: Vec<(usize, usize)> = windows
            .iter()
            .enumerate()
            .flat_map(|(c, ws)| (0..ws.len()).map(move |w| (c, w)))
            .collect();
        order.sort_by_key(|&(c, w)| std::cmp::Reverse(windows[c][w].len()));
        let h = self.hidden_size();
        let mut sums = vec![vec![0f32; h]; seqs.len()];
        let mut tokens = vec![0usize; seqs.len()];
        let mut batch = batch_size.max(1);
        let mut start = 0;
        while start < order.len() {
            let end = (start + batch).min(order.len());
            let part = &order[start..end];
            let ws: Vec<&[u32]> = part
                .iter()
                .map(|&(c, w)| windows[c][w].as_slice())
                .collect();
            let s = self.sums_with_retry(&ws, &mut batch)?;
            for (&(c, w), row) in part.iter().zip(s) {
                for (acc, v) in sums[c].iter_mut().zip(row) {
                    *acc += v;
                }
                tokens[c] += windows[c][w].len();
            }
            start = end;
        }
        Ok(sums
            .into_iter()
            .zip(tokens)
            .map(|(mut row, n)| {
                if n > 0 {
                    row.iter_mut().for_each(|v| *v /= n as f32);
                }
                ContigEmbedding { row, tokens: n }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/tiny-genomeocean")
    }

    struct Case {
        seq: String,
        windows: Vec<Vec<u32>>,
        tokens: usize,
        embedding: Vec<f32>,
    }

    fn reference() -> (usize, Vec<Case>) {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixture().join("reference.json")).unwrap())
                .unwrap();
        let cases = v["sequences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| Case {
                seq: s["seq"].as_str().unwrap().to_string(),
                windows: serde_json::from_value(s["windows"].clone()).unwrap(),
                tokens: s["tokens"].as_u64().unwrap() as usize,
                embedding: serde_json::from_value(s["embedding"].clone()).unwrap(),
            })
            .collect();
        (v["window_tokens"].as_u64().unwrap() as usize, cases)
    }

    fn load() -> GenomeOcean {
        GenomeOcean::load(
            &fixture(),
            &LoadOptions {
                force_cpu: true,
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn embeddings_match_transformers_within_1e_4() {
        let (w, cases) = reference();
        assert!(cases.len() >= 10);
        let m = load();
        assert_eq!(
            m.tokenizer.window(),
            w,
            "model_max_length must be capped by max_position_embeddings"
        );
        for c in &cases {
            let ours = if c.tokens == 0 {
                Vec::new()
            } else {
                m.tokenizer.windows(c.seq.as_bytes()).unwrap()
            };
            assert_eq!(
                ours,
                c.windows,
                "windows of {}",
                &c.seq[..c.seq.len().min(20)]
            );
        }
        assert!(
            cases.iter().any(|c| c.windows.len() > 2),
            "a case must span several windows"
        );
        let seqs: Vec<&[u8]> = cases.iter().map(|c| c.seq.as_bytes()).collect();
        let got = m.embed(&seqs, 5).unwrap();
        let mut worst = 0f32;
        for (c, g) in cases.iter().zip(&got) {
            assert_eq!(g.tokens, c.tokens);
            for (a, b) in g.row.iter().zip(&c.embedding) {
                worst = worst.max((a - b).abs());
            }
        }
        eprintln!("max abs diff vs transformers: {worst:e}");
        assert!(worst <= 1e-4, "max abs diff {worst}");
    }

    /// The CUDA build computes in bf16: the same code in bf16 on the CPU
    /// (weights, activations, attention and norms in bf16, sums in f32) stays
    /// within bf16 rounding of transformers' f32 embeddings.
    #[test]
    fn the_bf16_arithmetic_of_the_gpu_path_stays_within_bf16_rounding() {
        let (_, cases) = reference();
        let m = GenomeOcean::load(
            &fixture(),
            &LoadOptions {
                force_cpu: true,
                dtype: Some(DType::BF16),
                ..Default::default()
            },
        )
        .unwrap();
        let seqs: Vec<&[u8]> = cases.iter().map(|c| c.seq.as_bytes()).collect();
        let got = m.embed(&seqs, 5).unwrap();
        let (mut worst, mut worst_cos) = (0f32, 1f64);
        for (c, g) in cases.iter().zip(&got) {
            assert_eq!(g.tokens, c.tokens);
            if c.tokens == 0 {
                continue;
            }
            let dot: f64 = g
                .row
                .iter()
                .zip(&c.embedding)
                .map(|(a, b)| f64::from(a * b))
                .sum();
            let na: f64 = g.row.iter().map(|a| f64::from(a * a)).sum::<f64>().sqrt();
            let nb: f64 = c
                .embedding
                .iter()
                .map(|b| f64::from(b * b))
                .sum::<f64>()
                .sqrt();
            worst_cos = worst_cos.min(dot / (na * nb));
            for (a, b) in g.row.iter().zip(&c.embedding) {
                worst = worst.max((a - b).abs());
            }
        }
        eprintln!("bf16 vs transformers f32: max abs diff {worst:e}, min cosine {worst_cos:.6}");
        assert!(
            worst > 1e-3,
            "bf16 must not be computed in f32 (max abs diff {worst})"
        );
        assert!(
            worst <= 0.05 && worst_cos >= 0.999,
            "max abs diff {worst}, cosine {worst_cos}"
        );
    }

    #[test]
    fn batching_with_padding_equals_one_window_at_a_time() {
        let (_, cases) = reference();
        let m = load();
        let seqs: Vec<&[u8]> = cases.iter().map(|c| c.seq.as_bytes()).collect();
        let batched = m.embed(&seqs, 64).unwrap();
        let single = m.embed(&seqs, 1).unwrap();
        for (a, b) in batched.iter().zip(&single) {
            for (x, y) in a.row.iter().zip(&b.row) {
                assert!((x - y).abs() <= 1e-5, "{x} vs {y}");
            }
        }
    }

    #[test]
    fn contig_of_only_n_is_a_zero_row() {
        let m = load();
        let got = m.embed(&[b"NNNNNNNN", b"", b"acgtacgtac"], 4).unwrap();
        assert_eq!(got[0].tokens, 0);
        assert!(got[0].row.iter().all(|&v| v == 0.0));
        assert_eq!(got[1].tokens, 0);
        assert!(got[2].tokens > 2 && got[2].row.iter().any(|&v| v != 0.0));
    }

    #[test]
    fn window_tokens_override_cuts_shorter_windows_and_is_bounded() {
        let opts = LoadOptions {
            window_tokens: Some(20),
            force_cpu: true,
            ..Default::default()
        };
        let m = GenomeOcean::load(&fixture(), &opts).unwrap();
        let ws = m.tokenizer.windows(&b"ACGTTGCA".repeat(100)).unwrap();
        assert!(ws.len() > 1 && ws.iter().all(|w| w.len() <= 20));
        let (cls, sep) = m.tokenizer.specials();
        assert!(ws.iter().all(|w| w[0] == cls && w[w.len() - 1] == sep));
        for bad in [2, 10_000] {
            let e = GenomeOcean::load(
                &fixture(),
                &LoadOptions {
                    window_tokens: Some(bad),
                    force_cpu: true,
                    ..Default::default()
                },
            );
            assert!(matches!(e, Err(Error::Invalid(_))), "W={bad}");
        }
    }

    /// Copies the fixture to a temporary directory, lets `f` break it, loads it.
    fn broken(f: impl FnOnce(&Path)) -> Error {
        let dir = tempfile::tempdir().unwrap();
        for e in std::fs::read_dir(fixture()).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
        }
        f(dir.path());
        match GenomeOcean::load(
            dir.path(),
            &LoadOptions {
                force_cpu: true,
                ..Default::default()
            },
        ) {
            Ok(_) => panic!("a broken model directory loaded"),
            Err(e) => e,
        }
    }

    fn assert_bad_file(e: Error, file: &str, reason_part: &str) {
        match e {
            Error::BadModelFile { path, reason } => {
                assert!(path.ends_with(file), "{path} should name {file}");
                assert!(
                    reason.to_lowercase().contains(reason_part),
                    "{reason:?} should mention {reason_part:?}"
                );
            }
            other => panic!("expected BadModelFile for {file}, got {other}"),
        }
    }

    #[test]
    fn missing_or_corrupt_files_are_bad_model_file_errors() {
        assert_bad_file(
            broken(|d| std::fs::remove_file(d.join("config.json")).unwrap()),
            "config.json",
            "",
        );
        assert_bad_file(
            broken(|d| std::fs::write(d.join("config.json"), b"{\"hidden").unwrap()),
            "config.json",
            "config",
        );
        assert_bad_file(
            broken(|d| {
                let s = std::fs::read_to_string(d.join("config.json")).unwrap();
                std::fs::write(
                    d.join("config.json"),
                    s.replace("MistralForCausalLM", "LlamaForCausalLM")
                        .replace("\"mistral\"", "\"llama\""),
                )
                .unwrap()
            }),
            "config.json",
            "llamaforcausallm",
        );
        assert_bad_file(
            broken(|d| std::fs::write(d.join("tokenizer.json"), b"[]").unwrap()),
            "tokenizer.json",
            "tokenizer",
        );
        assert_bad_file(
            broken(|d| std::fs::remove_file(d.join("tokenizer.json")).unwrap()),
            "tokenizer.json",
            "",
        );
        assert_bad_file(
            broken(|d| {
                let b = std::fs::read(d.join("model.safetensors")).unwrap();
                std::fs::write(d.join("model.safetensors"), &b[..b.len() / 2]).unwrap()
            }),
            "model.safetensors",
            "safetensors",
        );
        assert_bad_file(
            broken(|d| std::fs::remove_file(d.join("model.safetensors")).unwrap()),
            "model.safetensors",
            "no *.safetensors",
        );
    }

    /// Rewrites model.safetensors keeping tensors for which `keep` says so,
    /// with the dtype `retype` gives.
    fn rewrite(
        d: &Path,
        keep: impl Fn(&str) -> bool,
        retype: impl Fn(&str) -> Option<safetensors::Dtype>,
    ) {
        let b = std::fs::read(d.join("model.safetensors")).unwrap();
        let st = safetensors::SafeTensors::deserialize(&b).unwrap();
        let mut views = Vec::new();
        for (name, v) in st.tensors() {
            if keep(&name) {
                let dt = retype(&name).unwrap_or(v.dtype());
                views.push((
                    name,
                    safetensors::tensor::TensorView::new(dt, v.shape().to_vec(), v.data()).unwrap(),
                ));
            }
        }
        std::fs::write(
            d.join("model.safetensors"),
            safetensors::serialize(views, None).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn missing_tensor_or_integer_dtype_is_a_clear_error() {
        let e = broken(|d| rewrite(d, |n| !n.contains("layers.1.mlp.up_proj"), |_| None));
        assert_bad_file(e, "model.safetensors", "layers.1.mlp.up_proj");
        let e = broken(|d| {
            rewrite(
                d,
                |_| true,
                |n| n.contains("norm.weight").then_some(safetensors::Dtype::I16),
            )
        });
        assert_bad_file(e, "model.safetensors", "dtype");
    }
}

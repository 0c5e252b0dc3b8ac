//! `config.json` of a Hugging Face `MistralForCausalLM` (GenomeOcean).
//!
//! Every shape of the backbone comes from here; nothing is hard-coded.

use crate::{Error, Result};
use serde::Deserialize;

/// The fields of a Mistral `config.json` the encoder needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MistralConfig {
    /// Width of the residual stream (1536 for GenomeOcean-500M).
    pub hidden_size: usize,
    /// Number of decoder layers.
    pub num_hidden_layers: usize,
    /// Query heads per layer.
    pub num_attention_heads: usize,
    /// Key/value heads per layer (grouped-query attention); defaults to the query heads.
    #[serde(default)]
    pub num_key_value_heads: Option<usize>,
    /// Width of the SiLU-gated MLP.
    pub intermediate_size: usize,
    /// Epsilon of every RMSNorm.
    #[serde(default = "default_eps")]
    pub rms_norm_eps: f64,
    /// Base of the rotary position embedding (transformers 4 writes it at the
    /// top level, transformers 5 inside `rope_parameters`; see [`MistralConfig::from_json`]).
    #[serde(default = "default_theta")]
    pub rope_theta: f64,
    /// transformers ≥ 5: `{"rope_theta": …, "rope_type": "default"}`.
    #[serde(default)]
    pub rope_parameters: Option<serde_json::Value>,
    /// transformers 4: RoPE scaling (only `null` is supported).
    #[serde(default)]
    pub rope_scaling: Option<serde_json::Value>,
    /// Longest sequence the position embedding was trained for.
    pub max_position_embeddings: usize,
    /// Number of token embeddings.
    pub vocab_size: usize,
    /// Keys further back than this are invisible to a query (`null`: no limit).
    #[serde(default)]
    pub sliding_window: Option<usize>,
    /// Per-head width; `hidden_size / num_attention_heads` when absent.
    #[serde(default)]
    pub head_dim: Option<usize>,
    /// Activation of the MLP; only `silu` is supported.
    #[serde(default = "default_act")]
    pub hidden_act: String,
    /// Storage dtype of the weights (informational; `dtype` in transformers ≥ 5).
    #[serde(default, alias = "dtype")]
    pub torch_dtype: Option<String>,
    /// `["MistralForCausalLM"]` for GenomeOcean.
    #[serde(default)]
    pub architectures: Vec<String>,
    /// `"mistral"` for GenomeOcean.
    #[serde(default)]
    pub model_type: Option<String>,
}

fn default_eps() -> f64 {
    1e-6
}
fn default_theta() -> f64 {
    10_000.0
}
fn default_act() -> String {
    "silu".into()
}

impl MistralConfig {
    /// Parses and validates `config.json`; `path` names the file in errors.
    ///
    /// # Errors
    /// [`Error::BadModelFile`] for malformed JSON, another architecture, an
    /// unsupported activation or inconsistent head sizes.
    pub fn from_json(bytes: &[u8], path: &str) -> Result<MistralConfig> {
        let bad = |reason: String| Error::BadModelFile {
            path: path.to_string(),
            reason,
        };
        let mut cfg: MistralConfig = serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("not a Mistral config.json: {e}")))?;
        if let Some(rp) = &cfg.rope_parameters {
            if let Some(t) = rp.get("rope_theta").and_then(|t| t.as_f64()) {
                cfg.rope_theta = t;
            }
            let kind = rp
                .get("rope_type")
                .and_then(|t| t.as_str())
                .unwrap_or("default");
            if kind != "default" {
                return Err(bad(format!(
                    "rope_type {kind:?} is not supported; expected \"default\""
                )));
            }
        }
        if cfg.rope_scaling.as_ref().is_some_and(|v| !v.is_null()) {
            return Err(bad("rope_scaling is not supported".into()));
        }
        let is_mistral = cfg.model_type.as_deref() == Some("mistral")
            || cfg.architectures.iter().any(|a| a.starts_with("Mistral"));
        if !is_mistral {
            let arch = if cfg.architectures.is_empty() {
                cfg.model_type.clone().unwrap_or_else(|| "unknown".into())
            } else {
                cfg.architectures.join(",")
            };
            return Err(bad(format!("architecture {arch} is not supported; expected MistralForCausalLM (model_type \"mistral\")")));
        }
        if let Some(dt) = &cfg.torch_dtype {
            let plain = dt.trim_start_matches("torch.");
            if !matches!(plain, "float32" | "float16" | "bfloat16" | "float" | "half") {
                return Err(bad(format!(
                    "torch_dtype {dt:?} is not supported; expected bfloat16, float16 or float32 weights"
                )));
            }
        }
        if cfg.hidden_act != "silu" {
            return Err(bad(format!(
                "hidden_act {:?} is not supported; expected \"silu\"",
                cfg.hidden_act
            )));
        }
        let positive = [
            ("hidden_size", cfg.hidden_size),
            ("num_hidden_layers", cfg.num_hidden_layers),
            ("num_attention_heads", cfg.num_attention_heads),
            ("intermediate_size", cfg.intermediate_size),
            ("max_position_embeddings", cfg.max_position_embeddings),
            ("vocab_size", cfg.vocab_size),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(bad(format!("{name} must be positive")));
            }
        }
        let kv = cfg.kv_heads();
        if kv == 0 || !cfg.num_attention_heads.is_multiple_of(kv) {
            return Err(bad(format!(
                "num_attention_heads {} is not a multiple of num_key_value_heads {kv}",
                cfg.num_attention_heads
            )));
        }
        if cfg.head_dim.is_none() && !cfg.hidden_size.is_multiple_of(cfg.num_attention_heads) {
            return Err(bad(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                cfg.hidden_size, cfg.num_attention_heads
            )));
        }
        if !cfg.head_dim().is_multiple_of(2) {
            return Err(bad(format!(
                "head_dim {} must be even for rotary embeddings",
                cfg.head_dim()
            )));
        }
        Ok(cfg)
    }

    /// Key/value heads (GQA).
    pub fn kv_heads(&self) -> usize {
        self.num_key_value_heads.unwrap_or(self.num_attention_heads)
    }

    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.head_dim
            .unwrap_or(self.hidden_size / self.num_attention_heads.max(1))
    }

    /// Number of parameters of the backbone with an untied LM head (as transformers counts them).
    pub fn n_params(&self) -> usize {
        let h = self.hidden_size;
        let hd = self.head_dim();
        let attn = h * self.num_attention_heads * hd * 2 + h * self.kv_heads() * hd * 2;
        let mlp = 3 * h * self.intermediate_size;
        self.num_hidden_layers * (attn + mlp + 2 * h) + h + 2 * self.vocab_size * h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GO500M: &str = r#"{"architectures":["MistralForCausalLM"],"model_type":"mistral","hidden_size":1536,
        "num_hidden_layers":14,"num_attention_heads":24,"num_key_value_heads":24,"intermediate_size":6144,
        "rms_norm_eps":1e-5,"rope_theta":10000.0,"max_position_embeddings":1024,"vocab_size":4096,
        "sliding_window":null,"torch_dtype":"bfloat16"}"#;

    #[test]
    fn genomeocean_500m_sized_config_has_541m_parameters() {
        let c = MistralConfig::from_json(GO500M.as_bytes(), "config.json").unwrap();
        assert_eq!(c.head_dim(), 64);
        assert_eq!(c.n_params(), 541_109_760);
    }

    #[test]
    fn transformers5_rope_parameters_give_the_theta() {
        let s = GO500M.replace(
            "\"rope_theta\":10000.0",
            "\"rope_parameters\":{\"rope_theta\":5e5,\"rope_type\":\"default\"}",
        );
        let c = MistralConfig::from_json(s.as_bytes(), "c").unwrap();
        assert_eq!(c.rope_theta, 5e5);
        let s = s.replace("\"default\"", "\"yarn\"");
        assert!(MistralConfig::from_json(s.as_bytes(), "c").is_err());
    }

    #[test]
    fn another_architecture_is_a_bad_model_file_error() {
        let s = GO500M
            .replace("MistralForCausalLM", "BertForMaskedLM")
            .replace("\"mistral\"", "\"bert\"");
        let e = MistralConfig::from_json(s.as_bytes(), "m/config.json").unwrap_err();
        assert!(
            matches!(e, Error::BadModelFile { ref reason, .. } if reason.contains("BertForMaskedLM")),
            "{e}"
        );
    }

    #[test]
    fn a_quantised_or_integer_dtype_is_a_bad_model_file_error() {
        for dt in ["int8", "float8_e4m3fn", "uint4"] {
            let s = GO500M.replace("\"bfloat16\"", &format!("\"{dt}\""));
            let e = MistralConfig::from_json(s.as_bytes(), "m/config.json").unwrap_err();
            assert!(
                matches!(e, Error::BadModelFile { ref path, ref reason } if path == "m/config.json" && reason.contains(dt)),
                "{e}"
            );
        }
        // transformers >= 5 writes `dtype`; float kinds are fine
        let s = GO500M.replace("\"torch_dtype\":\"bfloat16\"", "\"dtype\":\"float32\"");
        assert!(MistralConfig::from_json(s.as_bytes(), "c").is_ok());
    }

    #[test]
    fn corrupt_or_incomplete_config_is_an_error() {
        assert!(MistralConfig::from_json(b"{not json", "c").is_err());
        assert!(MistralConfig::from_json(br#"{"model_type":"mistral"}"#, "c").is_err());
        let s = GO500M.replace("\"num_key_value_heads\":24", "\"num_key_value_heads\":5");
        assert!(MistralConfig::from_json(s.as_bytes(), "c").is_err());
    }
}

//! GenomeOcean's DNA BPE tokenizer and the windowing of whole contigs.
//!
//! A contig becomes windows of at most `W` token ids: the upper-cased sequence
//! is tokenized without special tokens, cut into consecutive pieces of `W − 2`
//! ids, and each piece is wrapped as `[CLS] piece [SEP]`. `W` is the
//! tokenizer's `model_max_length` capped by the model's
//! `max_position_embeddings` unless the caller overrides it.

use crate::{Error, Result};

/// Tokenizer plus the window geometry of one model.
pub struct DnaTokenizer {
    tok: tokenizers::Tokenizer,
    cls: u32,
    sep: u32,
    pad: u32,
    window: usize,
}

/// Reads a special token's content from `tokenizer_config.json` (either a
/// plain string or an `AddedToken` object).
fn special_name(cfg: &serde_json::Value, key: &str) -> Option<String> {
    match cfg.get(key)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o
            .get("content")
            .and_then(|c| c.as_str())
            .map(str::to_string),
        _ => None,
    }
}

impl DnaTokenizer {
    /// Builds the tokenizer from the bytes of `tokenizer.json` and (optionally)
    /// `tokenizer_config.json`.
    ///
    /// `max_positions` is the model's `max_position_embeddings`;
    /// `window_override` replaces `W` (`--window-tokens`).
    ///
    /// # Errors
    /// [`Error::BadModelFile`] for a corrupt file or missing `[CLS]`/`[SEP]`;
    /// [`Error::Invalid`] for a window shorter than 3 tokens or longer than the model allows.
    pub fn from_bytes(
        tokenizer_json: &[u8],
        tokenizer_config_json: Option<&[u8]>,
        max_positions: usize,
        window_override: Option<usize>,
        dir: &str,
    ) -> Result<DnaTokenizer> {
        let tpath = format!("{dir}/tokenizer.json");
        let cpath = format!("{dir}/tokenizer_config.json");
        let tok =
            tokenizers::Tokenizer::from_bytes(tokenizer_json).map_err(|e| Error::BadModelFile {
                path: tpath.clone(),
                reason: format!("not a tokenizers JSON file: {e}"),
            })?;
        let cfg: serde_json::Value = match tokenizer_config_json {
            Some(b) => serde_json::from_slice(b).map_err(|e| Error::BadModelFile {
                path: cpath.clone(),
                reason: format!("malformed JSON: {e}"),
            })?,
            None => serde_json::Value::Null,
        };
        let lookup = |key: &str, default: &str| -> Result<u32> {
            let name = special_name(&cfg, key).unwrap_or_else(|| default.to_string());
            tok.token_to_id(&name).ok_or_else(|| Error::BadModelFile {
                path: tpath.clone(),
                reason: format!("special token {name} ({key}) is not in the vocabulary"),
            })
        };
        let cls = lookup("cls_token", "[CLS]")?;
        let sep = lookup("sep_token", "[SEP]")?;
        // Padding positions are masked out, so any id works when there is no pad token.
        let pad = lookup("pad_token", "[PAD]").unwrap_or(sep);
        // transformers writes a huge sentinel (1e30) when the length is unknown.
        let model_max = cfg
            .get("model_max_length")
            .and_then(|v| v.as_f64())
            .filter(|v| *v >= 1.0 && *v < 1e15);
        let natural = model_max.map_or(max_positions, |m| (m as usize).min(max_positions));
        let window = match window_override {
            Some(w) if w > max_positions => {
                return Err(Error::Invalid(format!(
                "--window-tokens {w} exceeds the model's max_position_embeddings {max_positions}"
            )))
            }
            Some(w) => w,
            None => natural,
        };
        if window < 3 {
            return Err(Error::Invalid(format!(
                "window of {window} tokens leaves no room between [CLS] and [SEP]"
            )));
        }
        Ok(DnaTokenizer {
            tok,
            cls,
            sep,
            pad,
            window,
        })
    }

    /// Window length `W` in tokens, specials included.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Id used for right padding (masked out).
    pub fn pad_id(&self) -> u32 {
        self.pad
    }

    /// Ids of `[CLS]` and `[SEP]`.
    pub fn specials(&self) -> (u32, u32) {
        (self.cls, self.sep)
    }

    /// Token ids of the upper-cased sequence, no special tokens.
    ///
    /// # Errors
    /// [`Error::Invalid`] if the sequence is not valid UTF-8 or the tokenizer fails.
    pub fn encode(&self, seq: &[u8]) -> Result<Vec<u32>> {
        let upper = seq.to_ascii_uppercase();
        let s = std::str::from_utf8(&upper)
            .map_err(|e| Error::Invalid(format!("sequence is not text: {e}")))?;
        let enc = self
            .tok
            .encode_fast(s, false)
            .map_err(|e| Error::Invalid(format!("tokenizer failed: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    /// The windows `[CLS] piece [SEP]` covering the whole sequence (empty if
    /// the sequence tokenizes to nothing).
    ///
    /// # Errors
    /// As [`DnaTokenizer::encode`].
    pub fn windows(&self, seq: &[u8]) -> Result<Vec<Vec<u32>>> {
        let ids = self.encode(seq)?;
        Ok(ids
            .chunks(self.window - 2)
            .map(|piece| {
                let mut w = Vec::with_capacity(piece.len() + 2);
                w.push(self.cls);
                w.extend_from_slice(piece);
                w.push(self.sep);
                w
            })
            .collect())
    }
}

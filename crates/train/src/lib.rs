//! Student training and distillation (native).

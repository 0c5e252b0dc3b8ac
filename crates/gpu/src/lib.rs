//! wgpu/WGSL student inference with a CPU fallback.

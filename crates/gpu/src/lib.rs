//! Student inference on the GPU with wgpu/WGSL — WebGPU in the browser,
//! Vulkan/Metal/DX12 natively — and the candle CPU path behind the same API.
//!
//! Input: raw (unstandardised) features, row-major (n_contigs, n_features) f32.
//! Output: one [`Prediction`] per contig (lineage + per-rank scores), or the
//! leaf probabilities (n_contigs, n_leaves) f32.
//!
//! ```no_run
//! # fn main() -> taxdistill_gpu::Result<()> {
//! # let (st, json, features) = (Vec::<u8>::new(), Vec::<u8>::new(), Vec::<f32>::new());
//! let engine = taxdistill_gpu::Engine::new_blocking(&st, &json, true)?;
//! println!("running on {}", engine.backend());
//! let predictions = engine.predict_blocking(&features)?;
//! # Ok(()) }
//! ```
//!
//! [`init_device`] picks a device; [`GpuStudent`] uploads a model to any
//! `(Device, Queue)` and runs batches, so tests and the CLI can bring their
//! own device. [`Engine`] ties both to the CPU fallback: no adapter, a model
//! too large for the device, or a lost device all end up on the CPU with a
//! `tracing::warn!`, and [`Engine::backend`] says which path ran.

pub mod errors;
mod gpu;
mod oneshot;

pub use errors::{Error, Result};
pub use gpu::{GpuStudent, Readback, NO_NODE};
pub use taxdistill_core::model::{ModelMeta, Prediction};
pub use wgpu;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use taxdistill_core::model::Student;
use taxdistill_core::taxonomy::Lineage;

/// Rows per GPU batch unless the caller or the device limits say otherwise.
pub const DEFAULT_BATCH_ROWS: usize = 4096;

/// Which path ran the inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// WebGPU in the browser.
    WebGpu,
    /// Vulkan (Linux, Windows, Android; lavapipe in CI).
    Vulkan,
    /// Metal (Apple).
    Metal,
    /// Direct3D 12 (Windows).
    Dx12,
    /// OpenGL / WebGL.
    Gl,
    /// The candle CPU path.
    Cpu,
}

impl Backend {
    fn from_wgpu(b: wgpu::Backend) -> Backend {
        match b {
            wgpu::Backend::BrowserWebGpu => Backend::WebGpu,
            wgpu::Backend::Vulkan => Backend::Vulkan,
            wgpu::Backend::Metal => Backend::Metal,
            wgpu::Backend::Dx12 => Backend::Dx12,
            wgpu::Backend::Gl => Backend::Gl,
            wgpu::Backend::Noop => Backend::Cpu,
        }
    }

    /// Lower-case name: `webgpu`, `vulkan`, `metal`, `dx12`, `gl`, `cpu`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::WebGpu => "webgpu",
            Backend::Vulkan => "vulkan",
            Backend::Metal => "metal",
            Backend::Dx12 => "dx12",
            Backend::Gl => "gl",
            Backend::Cpu => "cpu",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Device-lost state shared with wgpu's callback.
#[derive(Default)]
struct LostState {
    lost: AtomicBool,
    reason: Mutex<String>,
}

/// A wgpu device and queue plus what we know about them.
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub backend: Backend,
    /// Adapter name as the driver reports it (e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`).
    pub adapter_name: String,
    lost: Arc<LostState>,
}

impl GpuContext {
    /// Wraps a device the caller created. Installs a device-lost callback
    /// and an uncaptured-error handler (so wgpu logs instead of panicking).
    pub fn from_device(
        device: wgpu::Device,
        queue: wgpu::Queue,
        backend: Backend,
        adapter_name: String,
    ) -> GpuContext {
        let lost = Arc::new(LostState::default());
        let l = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            l.lost.store(true, Ordering::SeqCst);
            if let Ok(mut r) = l.reason.lock() {
                *r = format!("{reason:?}: {message}");
            }
        });
        device.on_uncaptured_error(Arc::new(|e: wgpu::Error| {
            tracing::error!("uncaptured wgpu error: {e}");
        }));
        GpuContext {
            device,
            queue,
            backend,
            adapter_name,
            lost,
        }
    }

    /// Whether wgpu reported the device lost.
    pub fn is_lost(&self) -> bool {
        self.lost.lost.load(Ordering::SeqCst)
    }

    fn lost_error(&self) -> Error {
        let reason = self
            .lost
            .reason
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default();
        Error::DeviceLost(if reason.is_empty() {
            "device reported lost".into()
        } else {
            reason
        })
    }
}

/// Finds a GPU adapter and opens a device on it (high-performance adapter
/// preferred; software adapters such as lavapipe count as GPUs).
///
/// Returns `Ok(None)` when no adapter exists (an old browser, no Vulkan driver).
///
/// # Errors
/// An adapter exists but refuses to open a device.
pub async fn init_device() -> Result<Option<GpuContext>> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    let adapter = match instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            ..Default::default()
        })
        .await
    {
        Ok(a) => a,
        Err(e) => {
            tracing::info!("no GPU adapter: {e}");
            return Ok(None);
        }
    };
    let info = adapter.get_info();
    // Ask for what the adapter offers: bigger storage bindings mean bigger batches.
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("taxdistill"),
            required_limits: adapter.limits(),
            ..Default::default()
        })
        .await
        .map_err(|e| Error::RequestDevice {
            adapter: info.name.clone(),
            reason: e.to_string(),
        })?;
    Ok(Some(GpuContext::from_device(
        device,
        queue,
        Backend::from_wgpu(info.backend),
        info.name,
    )))
}

/// Blocking [`init_device`] for native callers.
///
/// # Errors
/// As [`init_device`].
#[cfg(not(target_arch = "wasm32"))]
pub fn init_device_blocking() -> Result<Option<GpuContext>> {
    pollster::block_on(init_device())
}

struct GpuPath {
    ctx: GpuContext,
    // The work buffers are shared by every batch: one batch at a time.
    model: Mutex<GpuStudent>,
}

/// The student, ready to annotate: on the GPU when one is usable, else on the CPU.
pub struct Engine {
    student: Student,
    gpu: Option<GpuPath>,
    gpu_failed: AtomicBool,
    batch_rows: usize,
}

fn is_gpu_failure(e: &Error) -> bool {
    matches!(
        e,
        Error::DeviceLost(_) | Error::Gpu { .. } | Error::TooLarge(_)
    )
}

impl Engine {
    /// Loads the model from the bytes of `model.safetensors` and `model.json`;
    /// with `prefer_gpu`, opens a device with [`init_device`] and uploads the
    /// weights once, falling back to the CPU (with a warning) when that fails.
    ///
    /// # Errors
    /// A corrupt model or tensor shapes that disagree with `model.json`.
    pub async fn new(
        safetensors_bytes: &[u8],
        json_bytes: &[u8],
        prefer_gpu: bool,
    ) -> Result<Engine> {
        let ctx = if prefer_gpu {
            match init_device().await {
                Ok(Some(ctx)) => Some(ctx),
                Ok(None) => {
                    tracing::warn!("no GPU adapter found; running the student on the CPU");
                    None
                }
                Err(e) => {
                    tracing::warn!("{e}; running the student on the CPU");
                    None
                }
            }
        } else {
            None
        };
        Self::with_context(ctx, safetensors_bytes, json_bytes, DEFAULT_BATCH_ROWS)
    }

    /// Blocking [`Engine::new`] for native callers.
    ///
    /// # Errors
    /// As [`Engine::new`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new_blocking(
        safetensors_bytes: &[u8],
        json_bytes: &[u8],
        prefer_gpu: bool,
    ) -> Result<Engine> {
        pollster::block_on(Self::new(safetensors_bytes, json_bytes, prefer_gpu))
    }

    /// Loads the model on a caller-provided device (`None`: CPU only), with
    /// batches of at most `batch_rows` rows (the device may lower it).
    ///
    /// # Errors
    /// A corrupt model or tensor shapes that disagree with `model.json`. A
    /// model that does not fit the device is not an error: it runs on the CPU.
    pub fn with_context(
        ctx: Option<GpuContext>,
        safetensors_bytes: &[u8],
        json_bytes: &[u8],
        batch_rows: usize,
    ) -> Result<Engine> {
        let student = Student::from_bytes(safetensors_bytes, json_bytes)?;
        let batch_rows = batch_rows.max(1);
        let gpu = match ctx {
            None => None,
            Some(ctx) => {
                match GpuStudent::upload(&ctx.device, &student.meta, safetensors_bytes, batch_rows)
                {
                    Ok(model) => Some(GpuPath {
                        ctx,
                        model: Mutex::new(model),
                    }),
                    Err(e) if is_gpu_failure(&e) => {
                        tracing::warn!("{e}; running the student on the CPU");
                        None
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let batch_rows = gpu.as_ref().map_or(batch_rows, |g| {
            g.model.lock().map_or(batch_rows, |m| m.batch_rows())
        });
        Ok(Engine {
            student,
            gpu,
            gpu_failed: AtomicBool::new(false),
            batch_rows,
        })
    }

    /// The path the next call will take.
    pub fn backend(&self) -> Backend {
        match self.active_gpu() {
            Some(g) => g.ctx.backend,
            None => Backend::Cpu,
        }
    }

    /// The GPU adapter's name, when the GPU path is active.
    pub fn adapter_name(&self) -> Option<&str> {
        self.active_gpu().map(|g| g.ctx.adapter_name.as_str())
    }

    /// Rows per batch (GPU and CPU alike).
    pub fn batch_rows(&self) -> usize {
        self.batch_rows
    }

    /// Device memory held by the model on the GPU (0 on the CPU path); it
    /// does not depend on how many contigs are annotated.
    pub fn gpu_bytes(&self) -> u64 {
        self.active_gpu()
            .and_then(|g| g.model.lock().ok().map(|m| m.bytes_allocated()))
            .unwrap_or(0)
    }

    /// The model description (`model.json`).
    pub fn meta(&self) -> &ModelMeta {
        &self.student.meta
    }

    fn active_gpu(&self) -> Option<&GpuPath> {
        if self.gpu_failed.load(Ordering::SeqCst) {
            return None;
        }
        self.gpu.as_ref()
    }

    /// Checks width and finiteness; returns the number of rows.
    fn check(&self, raw: &[f32]) -> Result<usize> {
        let f = self.student.meta.n_features();
        if f == 0 || !raw.len().is_multiple_of(f) {
            return Err(taxdistill_core::Error::Mismatch(format!(
                "feature matrix has {} values, not a multiple of the model's {} features",
                raw.len(),
                f
            ))
            .into());
        }
        if let Some(i) = raw.iter().position(|x| !x.is_finite()) {
            return Err(taxdistill_core::Error::Invalid(format!(
                "non-finite feature value in contig row {} column {}",
                i / f,
                i % f
            ))
            .into());
        }
        Ok(raw.len() / f)
    }

    /// Predictions for raw features (n_contigs × n_features, row-major), one per row.
    ///
    /// # Errors
    /// A feature matrix whose width disagrees with the model, or non-finite
    /// values. GPU failures fall back to the CPU with a warning instead.
    pub async fn predict(&self, raw: &[f32]) -> Result<Vec<Prediction>> {
        if self.check(raw)? == 0 {
            return Ok(Vec::new());
        }
        if let Some(g) = self.active_gpu() {
            match self.gpu_predict(g, raw).await {
                Ok(p) => return Ok(p),
                Err(e) if is_gpu_failure(&e) => self.give_up_gpu(&e),
                Err(e) => return Err(e),
            }
        }
        let f = self.student.meta.n_features();
        let mut out = Vec::with_capacity(raw.len() / f);
        for chunk in raw.chunks(self.batch_rows * f) {
            out.extend(self.student.predict(chunk)?);
        }
        Ok(out)
    }

    /// Leaf probabilities for raw features: (n_contigs, n_leaves) row-major,
    /// columns in `meta().tree.leaves` order.
    ///
    /// # Errors
    /// As [`Engine::predict`].
    pub async fn leaf_probs(&self, raw: &[f32]) -> Result<Vec<f32>> {
        if self.check(raw)? == 0 {
            return Ok(Vec::new());
        }
        if let Some(g) = self.active_gpu() {
            match self.gpu_leaf_probs(g, raw).await {
                Ok(p) => return Ok(p),
                Err(e) if is_gpu_failure(&e) => self.give_up_gpu(&e),
                Err(e) => return Err(e),
            }
        }
        let f = self.student.meta.n_features();
        let mut out = Vec::with_capacity(raw.len() / f * self.student.meta.tree.n_leaves());
        for chunk in raw.chunks(self.batch_rows * f) {
            out.extend(self.student.leaf_probs(chunk)?);
        }
        Ok(out)
    }

    /// Blocking [`Engine::predict`].
    ///
    /// # Errors
    /// As [`Engine::predict`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn predict_blocking(&self, raw: &[f32]) -> Result<Vec<Prediction>> {
        pollster::block_on(self.predict(raw))
    }

    /// Blocking [`Engine::leaf_probs`].
    ///
    /// # Errors
    /// As [`Engine::leaf_probs`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn leaf_probs_blocking(&self, raw: &[f32]) -> Result<Vec<f32>> {
        pollster::block_on(self.leaf_probs(raw))
    }

    fn give_up_gpu(&self, e: &Error) {
        tracing::warn!("{e}; falling back to the CPU for this and later batches");
        self.gpu_failed.store(true, Ordering::SeqCst);
    }

    async fn gpu_predict(&self, g: &GpuPath, raw: &[f32]) -> Result<Vec<Prediction>> {
        let tree = &self.student.meta.tree;
        let mut out = Vec::with_capacity(raw.len() / self.student.meta.n_features());
        self.gpu_batches(g, raw, Readback::Walk, |batch| {
            let words: Vec<u32> = bytemuck::pod_collect_to_vec(&batch);
            for row in words.chunks_exact(16) {
                let mut names = Vec::new();
                let mut scores = Vec::new();
                for d in 0..7 {
                    let node = row[d];
                    // the shader's walk may step into an unresolved leaf; the
                    // CPU walk stops at its parent, and so does the lineage
                    if node == NO_NODE || tree.is_unresolved(node as usize) {
                        break;
                    }
                    names.push(tree.nodes[node as usize].name.clone());
                    scores.push(f32::from_bits(row[8 + d]));
                }
                out.push(Prediction {
                    lineage: Lineage(names),
                    scores,
                });
            }
        })
        .await?;
        Ok(out)
    }

    async fn gpu_leaf_probs(&self, g: &GpuPath, raw: &[f32]) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(
            raw.len() / self.student.meta.n_features() * self.student.meta.tree.n_leaves(),
        );
        self.gpu_batches(g, raw, Readback::LeafProbs, |batch| {
            out.extend(bytemuck::pod_collect_to_vec::<u8, f32>(&batch));
        })
        .await?;
        Ok(out)
    }

    // The lock is held across the readback await on purpose: the batch's
    // buffers must not be touched by another call until it is read. Natively
    // the await completes synchronously (the device was polled to
    // completion); in the browser a concurrent call gets `Error::Busy`
    // instead of waiting on a lock the single thread already holds.
    #[allow(clippy::await_holding_lock)]
    async fn gpu_batches(
        &self,
        g: &GpuPath,
        raw: &[f32],
        what: Readback,
        mut sink: impl FnMut(Vec<u8>),
    ) -> Result<()> {
        #[cfg(not(target_arch = "wasm32"))]
        let model = g.model.lock().unwrap_or_else(|e| e.into_inner());
        #[cfg(target_arch = "wasm32")]
        let model = g.model.try_lock().map_err(|_| Error::Busy)?;
        let meta = &self.student.meta;
        let f = meta.n_features();
        for chunk in raw.chunks(model.batch_rows() * f) {
            if g.ctx.is_lost() {
                return Err(g.ctx.lost_error());
            }
            let x = meta.normalize(chunk);
            match model.run(&g.ctx.device, &g.ctx.queue, &x, what).await {
                Ok(b) => sink(b),
                Err(_) if g.ctx.is_lost() => return Err(g.ctx.lost_error()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

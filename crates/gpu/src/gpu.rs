//! The student's forward pass on a wgpu device.
//!
//! Shapes (all f32 unless said otherwise, row-major):
//! - input: (rows, n_features) features already standardised on the CPU
//! - hidden i: (rows, hidden[i]) = leaky_relu(x · W_iᵀ + b_i)
//! - probs: (rows, n_leaves) = softmax(h · W_outᵀ + b_out)
//! - result: (rows, 16) u32: the threshold walk's node per depth and its
//!   probability (see `walk.wgsl`), the only thing read back for predictions.
//!
//! Every buffer is allocated once for `batch_rows` rows in [`GpuStudent::upload`];
//! [`GpuStudent::run`] processes at most that many rows, so GPU memory does not
//! grow with the number of contigs.

use crate::oneshot;
use crate::{Error, Result};
use taxdistill_core::model::{expected_shapes, read_f32_tensor, ModelMeta};
use wgpu::util::DeviceExt;

const MATMUL_WGSL: &str = include_str!("matmul.wgsl");
const SOFTMAX_WGSL: &str = include_str!("softmax.wgsl");
const WALK_WGSL: &str = include_str!("walk.wgsl");

/// Output tile of `matmul.wgsl` (rows and columns per workgroup).
const MATMUL_TILE: u32 = 64;
/// Threads per workgroup of `walk.wgsl`.
const WALK_WG: u32 = 64;
/// Words per row of the walk result: 7 node indices, 1 pad, 7 scores, 1 pad.
const RESULT_WORDS: usize = 16;
/// Marks "walk stopped before this depth" in the result.
pub const NO_NODE: u32 = u32::MAX;
/// WebGPU's per-dimension workgroup limit; batches never exceed it.
const MAX_ROWS: usize = 65_535;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MatmulParams {
    m: u32,
    n: u32,
    k: u32,
    act: u32,
    slope: f32,
    _pad: [u32; 3],
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SoftmaxParams {
    m: u32,
    n: u32,
    _pad: [u32; 2],
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct WalkParams {
    m: u32,
    n_leaves: u32,
    n_nodes: u32,
    cap: u32,
    off_parent: u32,
    off_child_off: u32,
    off_child_idx: u32,
    off_threshold: u32,
}

/// What [`GpuStudent::run`] reads back: the walk result ((rows, 16) u32) or
/// the leaf probabilities ((rows, n_leaves) f32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readback {
    Walk,
    LeafProbs,
}

struct Layer {
    params: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    n: u32,
    k: u32,
    act: bool,
    /// Bytes of the weight and bias buffers.
    bytes: u64,
    // Kept alive for the bind group; never read on the CPU.
    _weight: wgpu::Buffer,
    _bias: wgpu::Buffer,
}

/// The student's weights and work buffers on one device.
pub struct GpuStudent {
    batch_rows: usize,
    n_features: usize,
    n_leaves: usize,
    n_nodes: usize,
    leaky_slope: f32,
    layers: Vec<Layer>,
    matmul: wgpu::ComputePipeline,
    softmax: wgpu::ComputePipeline,
    softmax_params: wgpu::Buffer,
    softmax_bg: wgpu::BindGroup,
    walk: wgpu::ComputePipeline,
    walk_params: wgpu::Buffer,
    walk_params_base: WalkParams,
    walk_bg: wgpu::BindGroup,
    input: wgpu::Buffer,
    probs: wgpu::Buffer,
    result: wgpu::Buffer,
    staging: wgpu::Buffer,
    bytes_allocated: u64,
}

fn f32_bytes(v: &[f32]) -> &[u8] {
    bytemuck::cast_slice(v)
}

impl GpuStudent {
    /// Uploads the model's weights and allocates work buffers for batches of
    /// up to `max_batch_rows` rows (fewer if the device's buffer limits
    /// require it; see [`GpuStudent::batch_rows`]).
    ///
    /// `safetensors_bytes` must already have been checked against `meta`
    /// (as [`taxdistill_core::model::Student::from_bytes`] does).
    ///
    /// # Errors
    /// A missing tensor, or a model whose buffers exceed the device limits.
    pub fn upload(
        device: &wgpu::Device,
        meta: &ModelMeta,
        safetensors_bytes: &[u8],
        max_batch_rows: usize,
    ) -> Result<GpuStudent> {
        let n_features = meta.n_features();
        let n_leaves = meta.tree.n_leaves();
        let n_nodes = meta.tree.nodes.len();
        let (cap, widest, max_binding) = batch_capacity(device, meta, max_batch_rows)?;

        let mut bytes_allocated = 0u64;
        let mut storage = |label: &str, words: usize, usage: wgpu::BufferUsages| {
            let size = (4 * words.max(1)) as u64;
            bytes_allocated += size;
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: wgpu::BufferUsages::STORAGE | usage,
                mapped_at_creation: false,
            })
        };
        // COPY_DST: rows are written with queue.write_buffer each batch.
        let input = storage(
            "taxdistill.input+even activations",
            cap * widest,
            wgpu::BufferUsages::COPY_DST,
        );
        // Ping-pong partner of `input` for odd layers (GPU-only).
        let act_odd = storage(
            "taxdistill.odd activations",
            cap * widest,
            wgpu::BufferUsages::empty(),
        );
        // COPY_SRC: leaf probabilities can be read back (parity tests, probability views).
        let probs = storage(
            "taxdistill.leaf probs",
            cap * n_leaves,
            wgpu::BufferUsages::COPY_SRC,
        );
        // GPU-only per-row node probabilities of the walk.
        let scratch = storage(
            "taxdistill.node probs scratch",
            cap * n_nodes,
            wgpu::BufferUsages::empty(),
        );
        // COPY_SRC: the small walk result is what predictions read back.
        let result = storage(
            "taxdistill.walk result",
            cap * RESULT_WORDS,
            wgpu::BufferUsages::COPY_SRC,
        );
        let staging_size = (4 * cap * n_leaves.max(RESULT_WORDS)) as u64;
        bytes_allocated += staging_size;
        // MAP_READ + COPY_DST: the only CPU-visible buffer, filled by copies.
        let staging = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("taxdistill.readback staging"),
            size: staging_size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });

        let pipeline = |label: &str, src: &str| compute_pipeline(device, label, src);
        let matmul = pipeline("taxdistill.matmul", MATMUL_WGSL);
        let softmax = pipeline("taxdistill.softmax", SOFTMAX_WGSL);
        let walk = pipeline("taxdistill.walk", WALK_WGSL);

        let n_linear = meta.hidden.len() + 1;
        let mut layers = Vec::with_capacity(n_linear);
        for i in 0..n_linear {
            let act = i + 1 < n_linear;
            let (src, dst) = match (i % 2, act) {
                (0, true) => (&input, &act_odd),
                (1, true) => (&act_odd, &input),
                (0, false) => (&input, &probs),
                _ => (&act_odd, &probs),
            };
            let layer = upload_layer(
                device,
                meta,
                safetensors_bytes,
                i,
                &matmul,
                [src, dst],
                max_binding,
            )?;
            bytes_allocated += layer.bytes;
            layers.push(layer);
        }

        let softmax_params = uniform(
            device,
            "taxdistill.softmax params",
            bytemuck::bytes_of(&SoftmaxParams {
                m: 0,
                n: n_leaves as u32,
                _pad: [0; 2],
            }),
        );
        let softmax_bg = bind_group(
            device,
            "taxdistill.softmax bind group",
            &softmax,
            &[&softmax_params, &probs],
        );

        let (tree_words, walk_params_base) = tree_tables(meta, cap);
        // STORAGE only: the tree tables are constant.
        let tree_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("taxdistill.tree tables"),
            contents: bytemuck::cast_slice(&tree_words),
            usage: wgpu::BufferUsages::STORAGE,
        });
        bytes_allocated += (tree_words.len() * 4) as u64;
        let walk_params = uniform(
            device,
            "taxdistill.walk params",
            bytemuck::bytes_of(&walk_params_base),
        );
        let walk_bg = bind_group(
            device,
            "taxdistill.walk bind group",
            &walk,
            &[&walk_params, &probs, &tree_buf, &scratch, &result],
        );

        Ok(GpuStudent {
            batch_rows: cap,
            n_features,
            n_leaves,
            n_nodes,
            leaky_slope: meta.leaky_slope,
            layers,
            matmul,
            softmax,
            softmax_params,
            softmax_bg,
            walk,
            walk_params,
            walk_params_base,
            walk_bg,
            input,
            probs,
            result,
            staging,
            bytes_allocated,
        })
    }

    /// Most rows one [`GpuStudent::run`] call takes.
    pub fn batch_rows(&self) -> usize {
        self.batch_rows
    }

    /// Bytes of device memory this model holds (weights + work buffers); fixed
    /// at upload, independent of how many contigs are annotated.
    pub fn bytes_allocated(&self) -> u64 {
        self.bytes_allocated
    }

    /// Runs one batch of standardised rows (rows × n_features, at most
    /// [`GpuStudent::batch_rows`] rows) and returns the walk result:
    /// (rows, 16) u32, words 0..7 the node index per depth ([`NO_NODE`] past
    /// the walk's end), words 8..15 the f32 bits of that node's probability.
    ///
    /// # Errors
    /// A wrong input size, a validation/out-of-memory error raised by wgpu, or
    /// a failed readback (lost device).
    pub async fn run_walk(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        normalized: &[f32],
    ) -> Result<Vec<u32>> {
        let raw = self.run(device, queue, normalized, Readback::Walk).await?;
        Ok(bytemuck::pod_collect_to_vec(&raw))
    }

    /// As [`GpuStudent::run_walk`], but returns the leaf probabilities
    /// (rows, n_leaves) f32.
    ///
    /// # Errors
    /// As [`GpuStudent::run_walk`].
    pub async fn run_leaf_probs(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        normalized: &[f32],
    ) -> Result<Vec<f32>> {
        let raw = self
            .run(device, queue, normalized, Readback::LeafProbs)
            .await?;
        Ok(bytemuck::pod_collect_to_vec(&raw))
    }

    /// Runs one batch and returns the raw bytes of `what`.
    ///
    /// # Errors
    /// As [`GpuStudent::run_walk`].
    pub async fn run(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        normalized: &[f32],
        what: Readback,
    ) -> Result<Vec<u8>> {
        let f = self.n_features;
        if !normalized.len().is_multiple_of(f) || normalized.len() / f > self.batch_rows {
            return Err(Error::Core(taxdistill_core::Error::Invalid(format!(
                "GPU batch of {} values is not at most {} rows of {} features",
                normalized.len(),
                self.batch_rows,
                f
            ))));
        }
        let m = normalized.len() / f;
        if m == 0 {
            return Ok(Vec::new());
        }
        let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);

        queue.write_buffer(&self.input, 0, f32_bytes(normalized));
        for l in &self.layers {
            let p = MatmulParams {
                m: m as u32,
                n: l.n,
                k: l.k,
                act: u32::from(l.act),
                slope: self.leaky_slope,
                _pad: [0; 3],
            };
            queue.write_buffer(&l.params, 0, bytemuck::bytes_of(&p));
        }
        let sp = SoftmaxParams {
            m: m as u32,
            n: self.n_leaves as u32,
            _pad: [0; 2],
        };
        queue.write_buffer(&self.softmax_params, 0, bytemuck::bytes_of(&sp));
        let wp = WalkParams {
            m: m as u32,
            ..self.walk_params_base
        };
        queue.write_buffer(&self.walk_params, 0, bytemuck::bytes_of(&wp));

        let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("taxdistill.batch"),
        });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("taxdistill.forward"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.matmul);
            let row_tiles = (m as u32).div_ceil(MATMUL_TILE);
            for l in &self.layers {
                pass.set_bind_group(0, &l.bind_group, &[]);
                pass.dispatch_workgroups(l.n.div_ceil(MATMUL_TILE), row_tiles, 1);
            }
            pass.set_pipeline(&self.softmax);
            pass.set_bind_group(0, &self.softmax_bg, &[]);
            pass.dispatch_workgroups(m as u32, 1, 1);
            if what == Readback::Walk {
                pass.set_pipeline(&self.walk);
                pass.set_bind_group(0, &self.walk_bg, &[]);
                pass.dispatch_workgroups((m as u32).div_ceil(WALK_WG), 1, 1);
            }
        }
        let bytes = match what {
            Readback::Walk => (4 * m * RESULT_WORDS) as u64,
            Readback::LeafProbs => (4 * m * self.n_leaves) as u64,
        };
        let src = if what == Readback::Walk {
            &self.result
        } else {
            &self.probs
        };
        enc.copy_buffer_to_buffer(src, 0, &self.staging, 0, bytes);
        queue.submit([enc.finish()]);

        if let Some(e) = validation.pop().await {
            drop(oom);
            return Err(Error::Gpu {
                stage: "running the student",
                reason: e.to_string(),
            });
        }
        if let Some(e) = oom.pop().await {
            return Err(Error::Gpu {
                stage: "running the student",
                reason: e.to_string(),
            });
        }

        read_back(device, &self.staging, bytes).await
    }

    /// Number of label-tree nodes (root included).
    pub fn n_nodes(&self) -> usize {
        self.n_nodes
    }
}

/// Packs the label tree into the u32 tables `walk.wgsl` reads.
/// Rows per batch (at most `max_batch_rows` and [`MAX_ROWS`], fewer where
/// the widest per-row buffer would pass the device's binding limit), the
/// widest activation (features or a hidden layer) and that limit.
fn batch_capacity(
    device: &wgpu::Device,
    meta: &ModelMeta,
    max_batch_rows: usize,
) -> Result<(usize, usize, u64)> {
    let limits = device.limits();
    let max_binding = limits
        .max_storage_buffer_binding_size
        .min(limits.max_buffer_size);
    let n_features = meta.n_features();
    let widest = meta
        .hidden
        .iter()
        .copied()
        .chain([n_features])
        .max()
        .unwrap_or(n_features);
    // The widest per-row buffer bounds the batch size.
    let per_row_words = widest
        .max(meta.tree.n_leaves())
        .max(meta.tree.nodes.len())
        .max(RESULT_WORDS) as u64;
    let cap = (max_binding / (4 * per_row_words))
        .min(max_batch_rows.max(1) as u64)
        .min(MAX_ROWS as u64) as usize;
    if cap == 0 {
        return Err(Error::TooLarge(format!(
            "one row needs {} bytes but the device binds at most {max_binding}",
            4 * per_row_words
        )));
    }
    Ok((cap, widest, max_binding))
}

/// The compute pipeline of a WGSL module's `main`.
fn compute_pipeline(device: &wgpu::Device, label: &str, src: &str) -> wgpu::ComputePipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(src.into()),
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// Uploads linear layer `i` (weights from the safetensors, checked against
/// `model.json`'s shapes) with its matmul parameters and bind group, reading
/// `io[0]` and writing `io[1]`; the last layer has no activation.
fn upload_layer(
    device: &wgpu::Device,
    meta: &ModelMeta,
    safetensors_bytes: &[u8],
    i: usize,
    matmul: &wgpu::ComputePipeline,
    io: [&wgpu::Buffer; 2],
    max_binding: u64,
) -> Result<Layer> {
    let shapes = expected_shapes(meta);
    let (wname, wshape) = &shapes[2 * i];
    let (bname, _) = &shapes[2 * i + 1];
    let (shape, w) = read_f32_tensor(safetensors_bytes, wname, "model.safetensors")?;
    if &shape != wshape {
        return Err(Error::Core(taxdistill_core::Error::BadModel {
            what: "model.safetensors".into(),
            reason: format!(
                "tensor '{wname}' has shape {shape:?} but model.json implies {wshape:?}"
            ),
        }));
    }
    let (_, b) = read_f32_tensor(safetensors_bytes, bname, "model.safetensors")?;
    if (w.len() * 4) as u64 > max_binding {
        return Err(Error::TooLarge(format!(
            "tensor '{wname}' has {} bytes; the device binds at most {max_binding}",
            w.len() * 4
        )));
    }
    let (n, k) = (wshape[0] as u32, wshape[1] as u32);
    // STORAGE only: weights are written once at creation and read by the matmul.
    let weight = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(wname),
        contents: f32_bytes(&w),
        usage: wgpu::BufferUsages::STORAGE,
    });
    let bias = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(bname),
        contents: f32_bytes(&b),
        usage: wgpu::BufferUsages::STORAGE,
    });
    let act = i + 1 < meta.hidden.len() + 1;
    let params = uniform(
        device,
        &format!("taxdistill.matmul params {i}"),
        bytemuck::bytes_of(&MatmulParams {
            m: 0,
            n,
            k,
            act: u32::from(act),
            slope: meta.leaky_slope,
            _pad: [0; 3],
        }),
    );
    let bind_group = bind_group(
        device,
        &format!("taxdistill.matmul bind group {i}"),
        matmul,
        &[&params, io[0], &weight, &bias, io[1]],
    );
    Ok(Layer {
        params,
        bind_group,
        n,
        k,
        act,
        bytes: ((w.len() + b.len()) * 4) as u64,
        _weight: weight,
        _bias: bias,
    })
}

/// A uniform buffer (+ COPY_DST: per-batch row counts are rewritten before each batch).
fn uniform(device: &wgpu::Device, label: &str, contents: &[u8]) -> wgpu::Buffer {
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
    })
}

/// A bind group of `pipeline`'s group 0 with `buffers` at bindings 0, 1, ….
fn bind_group(
    device: &wgpu::Device,
    label: &str,
    pipeline: &wgpu::ComputePipeline,
    buffers: &[&wgpu::Buffer],
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = buffers
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry {
            binding: i as u32,
            resource: b.as_entire_binding(),
        })
        .collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(label),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    })
}

fn tree_tables(meta: &ModelMeta, cap: usize) -> (Vec<u32>, WalkParams) {
    let tree = &meta.tree;
    let n_nodes = tree.nodes.len();
    let mut words: Vec<u32> = tree.leaves.iter().map(|&l| l as u32).collect();
    let off_parent = words.len() as u32;
    words.extend(tree.nodes.iter().map(|n| n.parent.unwrap_or(0) as u32));
    let off_child_off = words.len() as u32;
    let mut acc = 0u32;
    words.push(0);
    for v in 0..n_nodes {
        acc += tree.children(v).len() as u32;
        words.push(acc);
    }
    let off_child_idx = words.len() as u32;
    for v in 0..n_nodes {
        words.extend(tree.children(v).iter().map(|&c| c as u32));
    }
    let off_threshold = words.len() as u32;
    words.extend(tree.nodes.iter().map(|n| {
        // The root has no rank; it is never compared.
        let t = if n.depth == 0 {
            0.0
        } else {
            meta.thresholds[(n.depth - 1).min(6)]
        };
        t.to_bits()
    }));
    let params = WalkParams {
        m: 0,
        n_leaves: tree.n_leaves() as u32,
        n_nodes: n_nodes as u32,
        cap: cap as u32,
        off_parent,
        off_child_off,
        off_child_idx,
        off_threshold,
    };
    (words, params)
}

/// Maps `bytes` of the staging buffer, copies them out and unmaps.
async fn read_back(device: &wgpu::Device, staging: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>> {
    let slice = staging.slice(..bytes);
    let (tx, rx) = oneshot::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| tx.send(r));
    // Natively nothing completes until we poll; in the browser the device is
    // polled by the event loop and `poll` is a no-op.
    #[cfg(not(target_arch = "wasm32"))]
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| Error::DeviceLost(format!("waiting for the GPU: {e}")))?;
    #[cfg(target_arch = "wasm32")]
    let _ = device;
    match rx.await {
        Some(Ok(())) => {}
        Some(Err(e)) => return Err(Error::DeviceLost(format!("mapping the result buffer: {e}"))),
        None => {
            return Err(Error::DeviceLost(
                "the result buffer was never mapped".into(),
            ))
        }
    }
    let data = {
        let view = slice.get_mapped_range().map_err(|e| Error::Gpu {
            stage: "reading results",
            reason: e.to_string(),
        })?;
        view.to_vec()
    };
    staging.unmap();
    Ok(data)
}

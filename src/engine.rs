//! The engines that run the per-frame network, behind one interface.
//!
//! The model ([`DinModel`]) holds the config, the weights and the style encoder; it knows no
//! engine. An engine prepares a style's kernels once ([`Engine::prepare`]) and paints frames with
//! them ([`Engine::paint`]). Kernels are mixed (alpha, cross-fades, style mixes) as
//! [`StyleKernels`], above the engines, so every engine sees the same mix.
//!
//! * [`CpuNet`]: the CPU engine (row kernels per instruction set);
//! * [`GraphEngine`]: the Candle graph of [`DinModel::stylize`], for CUDA (and the reference).

use std::sync::Arc;

use candle_core::{DType, Device, Tensor};

use crate::cpu::{CpuKernels, CpuNet, FrameIn, FrameOut, Workspace};
use crate::{image_io, DinModel, Error, Result, StyleKernels};

/// A style's kernels in the form one engine paints with.
#[derive(Debug, Clone)]
pub enum Prepared {
    Cpu(CpuKernels),
    Graph(StyleKernels),
}

/// Runs the per-frame network of one model.
pub trait Engine: Send + Sync + std::fmt::Debug {
    /// What it runs on, for logs and benchmarks ("cpu avx512", "cuda:0", ...).
    fn name(&self) -> String;

    /// Whether it smooths the normalisation statistics across frames (`stability`).
    fn has_stability(&self) -> bool;

    /// A style's kernels in this engine's form (once per style, or per cross-fade frame).
    fn prepare(&self, kernels: &StyleKernels) -> Result<Prepared>;

    /// Paints one `size` frame from `input` into `output`, with buffers (and the stability
    /// state) kept in `ws` from frame to frame.
    fn paint(
        &self,
        input: FrameIn,
        output: FrameOut,
        size: (usize, usize),
        kernels: &Prepared,
        ws: &mut Workspace,
    ) -> Result<()>;
}

/// The engine for `model`'s device: the CPU engine on the CPU, the Candle graph elsewhere.
pub fn engine_for(model: &Arc<DinModel>) -> Result<Arc<dyn Engine>> {
    Ok(match model.device() {
        Device::Cpu => Arc::new(CpuNet::new(model)?),
        _ => Arc::new(GraphEngine {
            model: model.clone(),
        }),
    })
}

/// Stylizes frames `[N, 3, H, W]` with `engine` (the tensor form of [`Engine::paint`]).
pub fn stylize(engine: &dyn Engine, frames: &Tensor, kernels: &StyleKernels) -> Result<Tensor> {
    let (n, c, h, w) = frames.dims4()?;
    if c != 3 {
        return Err(Error::InvalidArgument(format!(
            "stylize takes RGB frames [N, 3, H, W], got {:?}",
            frames.dims()
        )));
    }
    let input = frames
        .to_dtype(DType::F32)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    let mut output = vec![0f32; input.len()];
    let prepared = engine.prepare(kernels)?;
    let mut ws = Workspace::new();
    for (src, dst) in input.chunks(3 * h * w).zip(output.chunks_mut(3 * h * w)) {
        let (src, dst) = (FrameIn::Planar(src), FrameOut::Planar(dst));
        engine.paint(src, dst, (w, h), &prepared, &mut ws)?;
    }
    Ok(Tensor::from_vec(output, (n, 3, h, w), frames.device())?)
}

impl Engine for CpuNet {
    fn name(&self) -> String {
        format!("cpu {}", self.level().name())
    }

    fn has_stability(&self) -> bool {
        true
    }

    fn prepare(&self, kernels: &StyleKernels) -> Result<Prepared> {
        Ok(Prepared::Cpu(CpuKernels::new(kernels)?))
    }

    fn paint(
        &self,
        input: FrameIn,
        output: FrameOut,
        size: (usize, usize),
        kernels: &Prepared,
        ws: &mut Workspace,
    ) -> Result<()> {
        match kernels {
            Prepared::Cpu(k) => Ok(self.stylize(input, output, size, k, ws)?),
            Prepared::Graph(_) => Err(wrong_form()),
        }
    }
}

/// The Candle graph of [`DinModel::stylize`] as an engine (no stability: the graph keeps no
/// statistics across frames).
#[derive(Debug)]
pub struct GraphEngine {
    pub model: Arc<DinModel>,
}

impl Engine for GraphEngine {
    fn name(&self) -> String {
        crate::device::device_name(self.model.device())
    }

    fn has_stability(&self) -> bool {
        false
    }

    fn prepare(&self, kernels: &StyleKernels) -> Result<Prepared> {
        // the one set this prepares (the painter prepares the upscaled set on its own)
        let set = StyleKernels {
            upscaled: None,
            ..kernels.clone()
        };
        Ok(Prepared::Graph(set.to_device(self.model.device())?))
    }

    fn paint(
        &self,
        input: FrameIn,
        output: FrameOut,
        (w, h): (usize, usize),
        kernels: &Prepared,
        _ws: &mut Workspace,
    ) -> Result<()> {
        let Prepared::Graph(kernels) = kernels else {
            return Err(wrong_form());
        };
        let fits = match (&input, &output) {
            (FrameIn::Packed(p), _) if !p.fits() || p.size() != (w, h) => false,
            (_, FrameOut::Packed(p)) if !p.fits() || p.size() != (w, h) => false,
            (FrameIn::Yuv(f), _) if f.check("input").is_err() || (f.width, f.height) != (w, h) => {
                false
            }
            (_, FrameOut::Yuv(f))
                if f.check("output").is_err() || (f.width, f.height) != (w, h) =>
            {
                false
            }
            (FrameIn::Planar(d), _) if d.len() != 3 * w * h => false,
            (_, FrameOut::Planar(d)) => d.len() == 3 * w * h,
            _ => w > 0 && h > 0,
        };
        if !fits {
            return Err(Error::InvalidArgument(format!(
                "frame buffers do not hold {w}x{h} pixels"
            )));
        }
        let device = self.model.device();
        let frame = match input {
            FrameIn::Packed(p) => image_io::to_tensor(&p.to_rgb(), device)?,
            FrameIn::Yuv(f) => {
                let mut rgb = Vec::new();
                f.to_rgb(&mut rgb)?;
                let img = image::RgbImage::from_raw(w as u32, h as u32, rgb)
                    .ok_or_else(|| Error::InvalidArgument("YUV frame size".into()))?;
                image_io::to_tensor(&img, device)?
            }
            FrameIn::Planar(d) => Tensor::from_slice(d, (1, 3, h, w), device)?,
        };
        let painted = self.model.stylize(&frame, kernels)?;
        match output {
            FrameOut::Packed(mut p) => p.write_rgb(&image_io::from_tensor(&painted)?),
            FrameOut::Yuv(mut f) => f.write_rgb(image_io::from_tensor(&painted)?.as_raw())?,
            FrameOut::Planar(d) => {
                let values = painted.flatten_all()?.to_vec1::<f32>()?;
                d.copy_from_slice(&values);
            }
        }
        Ok(())
    }
}

fn wrong_form() -> Error {
    Error::InvalidArgument("style kernels prepared for another engine".into())
}

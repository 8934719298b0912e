//! Building blocks of the content path, named as in `models/train/model.py`: reflect-padded
//! convolutions, MobileNetV1 depthwise-separable blocks, residual and up-sampling blocks.

use candle_core::{Module, Result, Tensor, D};
use candle_nn::{Conv2dConfig, VarBuilder};

use crate::ops;

/// `ReflectConv`: reflection padding then a dense convolution (`<prefix>.conv.{weight,bias}`).
#[derive(Debug, Clone)]
pub struct ReflectConv {
    conv: candle_nn::Conv2d,
}

impl ReflectConv {
    pub fn new(cin: usize, cout: usize, k: usize, vb: VarBuilder) -> Result<Self> {
        if k != 3 {
            candle_core::bail!("ReflectConv supports 3x3 kernels, got {k}x{k}");
        }
        let conv = candle_nn::conv2d(cin, cout, k, Conv2dConfig::default(), vb.pp("conv"))?;
        Ok(Self { conv })
    }
}

impl Module for ReflectConv {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.conv.forward(&ops::reflect_pad1(x)?)
    }
}

/// Walks the modulation vectors of a modulated decoder layer by layer: each conv takes the next
/// `out_channels` entries (the order of `model.Decoder.modulated_convs`).
pub struct ModulationCursor {
    gain: Tensor,
    shift: Tensor,
    at: usize,
}

impl ModulationCursor {
    /// `scale`, `shift`: `[M]`; the gain applied is `1 + scale`.
    pub fn new(scale: &Tensor, shift: &Tensor) -> Result<Self> {
        Ok(Self {
            gain: (scale + 1.0)?,
            shift: shift.clone(),
            at: 0,
        })
    }

    /// The gain and shift of the next `n` channels.
    fn next(&mut self, n: usize) -> Result<(Tensor, Tensor)> {
        let taken = (
            self.gain.narrow(0, self.at, n)?,
            self.shift.narrow(0, self.at, n)?,
        );
        self.at += n;
        Ok(taken)
    }

    /// Every entry was used: the vectors fit the decoder.
    pub fn finish(self) -> Result<()> {
        if self.at != self.gain.dim(0)? {
            candle_core::bail!(
                "modulation has {} channels, the decoder {}",
                self.gain.dim(0)?,
                self.at
            );
        }
        Ok(())
    }
}

/// Depthwise 3x3 `ReflectConv` (`groups = channels`), optionally strided.
#[derive(Debug, Clone)]
pub struct Depthwise {
    weight: Tensor,
    bias: Tensor,
    stride: usize,
}

impl Depthwise {
    pub fn new(c: usize, stride: usize, vb: VarBuilder) -> Result<Self> {
        let vb = vb.pp("conv");
        Ok(Self {
            weight: vb.get((c, 1, 3, 3), "weight")?,
            bias: vb.get(c, "bias")?,
            stride,
        })
    }
}

impl Depthwise {
    /// This conv with its output channels scaled and shifted (folded into the weights).
    pub fn modulated(&self, m: &mut ModulationCursor) -> Result<Self> {
        let c = self.bias.dim(0)?;
        let (gain, shift) = m.next(c)?;
        Ok(Self {
            weight: self.weight.broadcast_mul(&gain.reshape((c, 1, 1, 1))?)?,
            bias: ((&self.bias * &gain)? + shift)?,
            stride: self.stride,
        })
    }
}

impl Module for Depthwise {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        ops::depthwise3x3(x, &self.weight, &self.bias, self.stride)
    }
}

/// A 1x1 convolution run as one matrix product over all pixels.
#[derive(Debug, Clone)]
pub struct Pointwise {
    weight: Tensor,
    bias: Tensor,
}

impl Pointwise {
    pub fn new(cin: usize, cout: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            weight: vb.get((cout, cin, 1, 1), "weight")?.reshape((cout, cin))?,
            bias: vb.get(cout, "bias")?.reshape((cout, 1))?,
        })
    }
}

impl Pointwise {
    /// This conv with its output channels scaled and shifted (folded into the weights).
    pub fn modulated(&self, m: &mut ModulationCursor) -> Result<Self> {
        let c = self.bias.dim(0)?;
        let (gain, shift) = m.next(c)?;
        let (gain, shift) = (gain.reshape((c, 1))?, shift.reshape((c, 1))?);
        Ok(Self {
            weight: self.weight.broadcast_mul(&gain)?,
            bias: ((&self.bias * &gain)? + shift)?,
        })
    }
}

impl Module for Pointwise {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (n, c, h, w) = x.dims4()?;
        let y = self
            .weight
            .broadcast_matmul(&x.reshape((n, c, h * w))?)?
            .broadcast_add(&self.bias)?;
        y.reshape((n, (), h, w))
    }
}

/// MobileNetV1 block: depthwise 3x3, ReLU, pointwise 1x1 (`dw`, `pw`).
#[derive(Debug, Clone)]
pub struct DepthwiseSeparable {
    dw: Depthwise,
    pw: Pointwise,
}

impl DepthwiseSeparable {
    pub fn new(cin: usize, cout: usize, stride: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            dw: Depthwise::new(cin, stride, vb.pp("dw"))?,
            pw: Pointwise::new(cin, cout, vb.pp("pw"))?,
        })
    }
}

impl DepthwiseSeparable {
    pub fn modulated(&self, m: &mut ModulationCursor) -> Result<Self> {
        Ok(Self {
            dw: self.dw.modulated(m)?,
            pw: self.pw.modulated(m)?,
        })
    }
}

impl Module for DepthwiseSeparable {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.pw.forward(&self.dw.forward(x)?.relu()?)
    }
}

/// `x + conv2(relu(conv1(x)))` with depthwise-separable convolutions.
#[derive(Debug, Clone)]
pub struct ResidualBlock {
    conv1: DepthwiseSeparable,
    conv2: DepthwiseSeparable,
}

impl ResidualBlock {
    pub fn new(c: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            conv1: DepthwiseSeparable::new(c, c, 1, vb.pp("conv1"))?,
            conv2: DepthwiseSeparable::new(c, c, 1, vb.pp("conv2"))?,
        })
    }
}

impl ResidualBlock {
    pub fn modulated(&self, m: &mut ModulationCursor) -> Result<Self> {
        Ok(Self {
            conv1: self.conv1.modulated(m)?,
            conv2: self.conv2.modulated(m)?,
        })
    }
}

impl Module for ResidualBlock {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x + self.conv2.forward(&self.conv1.forward(x)?.relu()?)?
    }
}

/// Decoder level: 1x1 channel reduction at low resolution, bilinear x2, depthwise 3x3.
#[derive(Debug, Clone)]
pub struct UpBlock {
    pw: Pointwise,
    dw: Depthwise,
}

impl UpBlock {
    pub fn new(cin: usize, cout: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            pw: Pointwise::new(cin, cout, vb.pp("pw"))?,
            dw: Depthwise::new(cout, 1, vb.pp("dw"))?,
        })
    }
}

impl UpBlock {
    pub fn modulated(&self, m: &mut ModulationCursor) -> Result<Self> {
        Ok(Self {
            pw: self.pw.modulated(m)?,
            dw: self.dw.modulated(m)?,
        })
    }
}

impl Module for UpBlock {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let x = self.pw.forward(x)?.relu()?;
        let (_, _, h, w) = x.dims4()?;
        self.dw
            .forward(&x.upsample_bilinear2d(2 * h, 2 * w, false)?)
    }
}

/// Instance normalisation without affine parameters (biased variance, as PyTorch).
pub fn instance_norm(x: &Tensor, eps: f64) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let flat = x.reshape((n, c, h * w))?;
    let centred = flat.broadcast_sub(&flat.mean_keepdim(D::Minus1)?)?;
    let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
    centred
        .broadcast_mul(&(var + eps)?.sqrt()?.recip()?)?
        .reshape((n, c, h, w))
}

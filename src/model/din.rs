//! The DIN layer: `DIN(Fc, Fs) = f[Fs, IN(Fc)]`, instance normalisation of the content feature
//! followed by a 1x1 dynamic convolution whose weight and bias come from the style.

use candle_core::{DType, Module, Result, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, VarBuilder};

use super::layers::instance_norm;

/// Epsilon of the instance norm, as `model.IN_EPS`.
pub const IN_EPS: f64 = 1e-5;

/// Weight, bias or modulation network: 3x3 conv, ReLU (or PReLU), 1x1 conv, adaptive average
/// pooling to 1x1.
///
/// The pooling is moved before the 1x1 conv (both are linear, so the result is the same) so
/// that the large output of the weight network is never formed per pixel.
#[derive(Debug, Clone)]
pub(crate) struct ParamNet {
    conv1: Conv2d,
    /// PReLU's negative slopes `[1, hidden, 1, 1]` (`1.weight`); `None`: ReLU.
    slopes: Option<Tensor>,
    weight: Tensor, // [out, hidden]
    bias: Tensor,   // [out]
}

impl ParamNet {
    pub(crate) fn new(
        cin: usize,
        hidden: usize,
        cout: usize,
        prelu: bool,
        vb: VarBuilder,
    ) -> Result<Self> {
        let cfg = Conv2dConfig {
            padding: 1,
            ..Default::default()
        };
        let last = vb.pp("2");
        let slopes = match prelu {
            true => Some(
                vb.pp("1")
                    .get(hidden, "weight")?
                    .reshape((1, hidden, 1, 1))?,
            ),
            false => None,
        };
        Ok(Self {
            conv1: candle_nn::conv2d(cin, hidden, 3, cfg, vb.pp("0"))?,
            slopes,
            weight: last
                .get((cout, hidden, 1, 1), "weight")?
                .reshape((cout, hidden))?,
            bias: last.get(cout, "bias")?,
        })
    }

    /// Style features `[1, C, h, w]` -> parameters `[out]`.
    pub(crate) fn forward(&self, fs: &Tensor) -> Result<Tensor> {
        let pre = self.conv1.forward(fs)?;
        let act = match &self.slopes {
            Some(a) => (pre.relu()? + pre.minimum(0f32)?.broadcast_mul(a)?)?,
            None => pre.relu()?,
        };
        let pooled = act.mean((2, 3))?; // [1, hidden]
        let out = pooled.matmul(&self.weight.t()?)?.squeeze(0)?;
        out + &self.bias
    }
}

/// The dynamic 1x1 convolution of one DIN layer for one style: block-diagonal, `groups` blocks
/// of `group_size` channels (1: per-channel scale, `channels`: full channel mixing).
#[derive(Debug, Clone)]
pub struct DynamicKernel {
    /// `[groups, group_size, group_size]`
    pub weight: Tensor,
    /// `[channels]`
    pub bias: Tensor,
}

#[derive(Debug, Clone)]
pub struct Din {
    weight_net: ParamNet,
    bias_net: ParamNet,
    channels: usize,
    group_size: usize,
}

impl Din {
    pub fn new(
        channels: usize,
        group_size: usize,
        (style_channels, hidden, prelu): (usize, usize, bool),
        vb: VarBuilder,
    ) -> Result<Self> {
        Ok(Self {
            weight_net: ParamNet::new(
                style_channels,
                hidden,
                channels * group_size,
                prelu,
                vb.pp("weight_net"),
            )?,
            bias_net: ParamNet::new(style_channels, hidden, channels, prelu, vb.pp("bias_net"))?,
            channels,
            group_size,
        })
    }

    /// Style features `[1, Cs, h, w]` -> this layer's dynamic kernel (the network predicts a
    /// residual on the identity).
    pub fn kernel(&self, fs: &Tensor) -> Result<DynamicKernel> {
        let gs = self.group_size;
        let groups = self.channels / gs;
        let eye = Tensor::eye(gs, DType::F32, fs.device())?.to_dtype(fs.dtype())?;
        let weight = self
            .weight_net
            .forward(fs)?
            .reshape((groups, gs, gs))?
            .broadcast_add(&eye)?;
        let bias = self.bias_net.forward(fs)?;
        Ok(DynamicKernel { weight, bias })
    }

    /// `f[Fs, IN(Fc)]` for content features `[N, C, H, W]`.
    pub fn forward(&self, fc: &Tensor, kernel: &DynamicKernel) -> Result<Tensor> {
        let (n, c, h, w) = fc.dims4()?;
        let x = instance_norm(fc, IN_EPS)?;
        let y = if self.group_size == 1 {
            x.broadcast_mul(&kernel.weight.reshape((1, c, 1, 1))?)?
        } else {
            let groups = c / self.group_size;
            kernel
                .weight
                .broadcast_matmul(&x.reshape((n, groups, self.group_size, h * w))?)?
                .reshape((n, c, h, w))?
        };
        y.broadcast_add(&kernel.bias.reshape((1, c, 1, 1))?)
    }
}

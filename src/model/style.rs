//! The style path (runs once per style): the style encoder, plain 3x3 convolutions with ReLU
//! down to 1/16 resolution and no normalisation (it would erase the statistics that carry the
//! style), then the DIN layers' weight and bias networks and the decoder's modulation network.

use candle_core::{Module, Result, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, VarBuilder};

use super::din::{Din, ParamNet};
use super::{Config, Modulation, StyleKernels};

/// ImageNet RGB mean and standard deviation: the style encoder's input normalisation
/// (`model.RGB_MEAN`, `model.RGB_STD`).
const RGB_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const RGB_STD: [f32; 3] = [0.229, 0.224, 0.225];

#[derive(Debug, Clone)]
pub struct StyleEncoder {
    /// The convolutions of each level (scales 1, 1/2, ...).
    levels: Vec<Vec<Conv2d>>,
}

impl StyleEncoder {
    /// Mirrors `nn.Sequential` in `model.StyleEncoder`: the keys are `layers.<index>`, where
    /// the ReLUs take indices too. Level 0 is one stride-1 conv, the middle levels a stride-2
    /// conv plus a stride-1 conv, the last level one stride-2 conv.
    pub fn new(widths: &[usize], vb: VarBuilder) -> Result<Self> {
        let vb = vb.pp("layers");
        let (mut index, mut cin) = (0, 3);
        let mut conv = |cin: usize, cout: usize, stride: usize| -> Result<Conv2d> {
            let cfg = Conv2dConfig {
                padding: 1,
                stride,
                ..Default::default()
            };
            let c = candle_nn::conv2d(cin, cout, 3, cfg, vb.pp(index))?;
            index += 2; // conv, ReLU
            Ok(c)
        };
        let mut levels = Vec::with_capacity(widths.len());
        for (level, &c) in widths.iter().enumerate() {
            let mut convs = vec![conv(cin, c, if level == 0 { 1 } else { 2 })?];
            if level > 0 && level + 1 < widths.len() {
                convs.push(conv(c, c, 1)?);
            }
            levels.push(convs);
            cin = c;
        }
        Ok(Self { levels })
    }

    /// The feature map at the end of every level.
    pub fn forward(&self, x: &Tensor) -> Result<Vec<Tensor>> {
        let (dev, dtype) = (x.device(), x.dtype());
        let mean = Tensor::new(&RGB_MEAN, dev)?
            .to_dtype(dtype)?
            .reshape((1, 3, 1, 1))?;
        let std = Tensor::new(&RGB_STD, dev)?
            .to_dtype(dtype)?
            .reshape((1, 3, 1, 1))?;
        let mut x = x.broadcast_sub(&mean)?.broadcast_div(&std)?;
        let mut out = Vec::with_capacity(self.levels.len());
        for convs in &self.levels {
            for conv in convs {
                x = conv.forward(&x)?.relu()?;
            }
            out.push(x.clone());
        }
        Ok(out)
    }
}

/// Style image -> [`StyleKernels`] (without their upscaled set): the style encoder and the
/// networks that read it, under the checkpoint keys `style_encoder`, `din{1,2,3}` and
/// `modulation_net` of `vb`.
#[derive(Debug, Clone)]
pub(crate) struct StylePath {
    encoder: StyleEncoder,
    /// The DIN layers' weight and bias networks; also what applies a kernel to a frame.
    pub(crate) din: [Din; 3],
    /// Style features -> the decoder's [`Modulation`] (`Config::modulated_decoder`).
    modulation_net: Option<ParamNet>,
}

impl StylePath {
    pub(crate) fn new(config: &Config, vb: VarBuilder) -> Result<Self> {
        let din = |i: usize| {
            let c = config.widths[i];
            Din::new(
                c,
                config.group_size(c),
                (
                    config.style_widths[config.style_taps[i]],
                    config.hidden,
                    config.param_prelu,
                    config.param_pool,
                ),
                vb.pp(format!("din{}", i + 1)),
            )
        };
        let modulation_net = match config.modulated_decoder {
            true => Some(ParamNet::new(
                *config.style_widths.last().expect("validated: not empty"),
                config.modulation_hidden,
                2 * config.modulated_channels(),
                config.param_prelu,
                config.param_pool,
                vb.pp("modulation_net"),
            )?),
            false => None,
        };
        Ok(Self {
            encoder: StyleEncoder::new(&config.style_widths, vb.pp("style_encoder"))?,
            din: [din(0)?, din(1)?, din(2)?],
            modulation_net,
        })
    }

    /// Style image `[1, 3, H, W]` -> its kernels (`upscaled`: none).
    pub(crate) fn encode(&self, config: &Config, style: &Tensor) -> Result<StyleKernels> {
        let levels = self.encoder.forward(style)?;
        let kernel = |i: usize| self.din[i].kernel(&levels[config.style_taps[i]]);
        let modulation = match (&self.modulation_net, levels.last()) {
            (Some(net), Some(deepest)) => {
                let out = net.forward(deepest)?;
                let m = out.dim(0)? / 2;
                Some(Modulation {
                    scale: (out.narrow(0, 0, m)?.tanh()? * config.modulation_bound)?,
                    shift: out.narrow(0, m, m)?,
                })
            }
            _ => None,
        };
        Ok(StyleKernels {
            layers: [kernel(0)?, kernel(1)?, kernel(2)?],
            modulation,
            upscaled: None,
        })
    }
}

//! The style encoder (runs once per style): plain 3x3 convolutions with ReLU down to 1/16
//! resolution, no normalisation (it would erase the statistics that carry the style).

use candle_core::{Module, Result, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, VarBuilder};

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

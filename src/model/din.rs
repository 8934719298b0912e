//! The DIN layer: `DIN(Fc, Fs) = f[Fs, IN(Fc)]`, instance normalisation of the content feature
//! followed by a 1x1 dynamic convolution whose weight and bias come from the style.

use candle_core::{DType, Module, Result, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, VarBuilder};

use super::layers::instance_norm;
use super::ParamPool;

/// Epsilon of the instance norm, as `model.IN_EPS`.
pub const IN_EPS: f64 = 1e-5;

/// `sqrt(var + POOL_EPS)` in [`ParamPool::MeanStd`], as `model.POOL_EPS`.
const POOL_EPS: f64 = 1e-5;

/// Weight, bias or modulation network: 3x3 conv, ReLU (or PReLU), pooling to 1x1 (the mean of
/// every hidden unit, or its mean and standard deviation: [`ParamPool`]), 1x1 conv.
///
/// Python pools the mean after the 1x1 conv; both are linear, so pooling first gives the same
/// result without forming the weight network's large output per pixel.
#[derive(Debug, Clone)]
pub(crate) struct ParamNet {
    conv1: Conv2d,
    /// PReLU's negative slopes `[1, hidden, 1, 1]` (`1.weight`); `None`: ReLU.
    slopes: Option<Tensor>,
    pool: ParamPool,
    weight: Tensor, // [out, hidden] ([out, 2 * hidden] for MeanStd)
    bias: Tensor,   // [out]
}

impl ParamNet {
    pub(crate) fn new(
        cin: usize,
        hidden: usize,
        cout: usize,
        prelu: bool,
        pool: ParamPool,
        vb: VarBuilder,
    ) -> Result<Self> {
        let inputs = match pool {
            ParamPool::Mean => hidden,
            ParamPool::MeanStd => 2 * hidden,
        };
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
            pool,
            weight: last
                .get((cout, inputs, 1, 1), "weight")?
                .reshape((cout, inputs))?,
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
        let mean = act.mean_keepdim((2, 3))?; // [1, hidden, 1, 1]
        let pooled = match self.pool {
            ParamPool::Mean => mean.flatten_from(1)?,
            ParamPool::MeanStd => {
                let var = act.broadcast_sub(&mean)?.sqr()?.mean((2, 3))?;
                Tensor::cat(&[mean.flatten_from(1)?, (var + POOL_EPS)?.sqrt()?], 1)?
            }
        }; // [1, inputs]
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
        (style_channels, hidden, prelu, pool): (usize, usize, bool, ParamPool),
        vb: VarBuilder,
    ) -> Result<Self> {
        Ok(Self {
            weight_net: ParamNet::new(
                style_channels,
                hidden,
                channels * group_size,
                prelu,
                pool,
                vb.pp("weight_net"),
            )?,
            bias_net: ParamNet::new(
                style_channels,
                hidden,
                channels,
                prelu,
                pool,
                vb.pp("bias_net"),
            )?,
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use candle_core::Device;

    use super::*;

    /// A 2-in, 3-hidden, 2-out network on a 3x2 style map, against the same sums written out.
    #[test]
    fn mean_std_pooling_reads_every_hidden_units_mean_and_spread() {
        let dev = Device::Cpu;
        let (cin, hidden, cout) = (2, 3, 2);
        let values = |n: usize, k: f32| (0..n).map(|i| (i as f32 * k).sin()).collect::<Vec<_>>();
        let conv_w = values(hidden * cin * 9, 1.3);
        let conv_b = values(hidden, 0.7);
        let slopes = values(hidden, 2.1);
        let head_w = values(cout * 2 * hidden, 0.9);
        let head_b = values(cout, 1.7);
        let style = values(cin * 3 * 2, 0.4);
        let t = |v: &[f32], shape: &[usize]| Tensor::from_slice(v, shape, &dev).unwrap();
        let tensors = HashMap::from([
            ("0.weight".to_string(), t(&conv_w, &[hidden, cin, 3, 3])),
            ("0.bias".to_string(), t(&conv_b, &[hidden])),
            ("1.weight".to_string(), t(&slopes, &[hidden])),
            (
                "2.weight".to_string(),
                t(&head_w, &[cout, 2 * hidden, 1, 1]),
            ),
            ("2.bias".to_string(), t(&head_b, &[cout])),
        ]);
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &dev);
        let net = ParamNet::new(cin, hidden, cout, true, ParamPool::MeanStd, vb).unwrap();
        let got = net.forward(&t(&style, &[1, cin, 3, 2])).unwrap();

        // zero-padded 3x3 conv, PReLU, then each unit's mean and sqrt(var + eps) over 6 positions
        let (h, w) = (3i64, 2i64);
        let mut stats = vec![0f32; 2 * hidden];
        for o in 0..hidden {
            let acts: Vec<f32> = (0..h * w)
                .map(|p| {
                    let (y, x) = (p / w, p % w);
                    let mut s = conv_b[o];
                    for c in 0..cin {
                        for (ky, kx) in (0..3).flat_map(|ky| (0..3).map(move |kx| (ky, kx))) {
                            let (sy, sx) = (y + ky - 1, x + kx - 1);
                            if (0..h).contains(&sy) && (0..w).contains(&sx) {
                                let wi = ((o * cin + c) * 3 + ky as usize) * 3 + kx as usize;
                                s += conv_w[wi] * style[(c as i64 * h * w + sy * w + sx) as usize];
                            }
                        }
                    }
                    if s < 0.0 {
                        s * slopes[o]
                    } else {
                        s
                    }
                })
                .collect();
            let mean = acts.iter().sum::<f32>() / acts.len() as f32;
            let var = acts.iter().map(|a| (a - mean).powi(2)).sum::<f32>() / acts.len() as f32;
            stats[o] = mean;
            stats[hidden + o] = (var + POOL_EPS as f32).sqrt();
        }
        let want: Vec<f32> = (0..cout)
            .map(|o| {
                head_b[o]
                    + (0..2 * hidden)
                        .map(|i| head_w[o * 2 * hidden + i] * stats[i])
                        .sum::<f32>()
            })
            .collect();
        let got = got.to_vec1::<f32>().unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{got:?} against {want:?}");
        }
    }
}

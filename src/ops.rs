//! CPU kernels for the operations stock Candle does slowly: a grouped `conv2d` with
//! `groups = C` runs one convolution per channel, so the depthwise 3x3 convolution of the
//! MobileNet blocks gets its own kernel here, with the reflection padding folded in.

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use crate::cpu::rows::reflect;

/// Depthwise 3x3 convolution with reflection padding of 1 and stride 1 or 2, on any device.
pub fn depthwise3x3(x: &Tensor, weight: &Tensor, bias: &Tensor, stride: usize) -> Result<Tensor> {
    if x.device().is_cpu() {
        return x.apply_op3_no_bwd(weight, bias, &Depthwise3x3 { stride });
    }
    let c = x.dim(1)?;
    let padded = reflect_pad1(x)?;
    padded
        .conv2d(weight, 0, stride, 1, c)?
        .broadcast_add(&bias.reshape((1, c, 1, 1))?)
}

/// Reflection padding of one pixel on both spatial sides (as `torch.nn.functional.pad(mode="reflect")`).
pub fn reflect_pad1(x: &Tensor) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    if h < 2 || w < 2 {
        candle_core::bail!("reflection padding needs at least 2x2 pixels, got {w}x{h}");
    }
    let x = Tensor::cat(&[x.narrow(2, 1, 1)?, x.clone(), x.narrow(2, h - 2, 1)?], 2)?;
    Tensor::cat(&[x.narrow(3, 1, 1)?, x.clone(), x.narrow(3, w - 2, 1)?], 3)
}

/// Output length of a 3x3 convolution with padding 1.
pub fn conv3x3_out_len(n: usize, stride: usize) -> usize {
    (n - 1) / stride + 1
}

struct Depthwise3x3 {
    stride: usize,
}

fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout, what: &str) -> Result<&'a [f32]> {
    let data = s.as_slice::<f32>()?;
    match l.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => candle_core::bail!("depthwise3x3: {what} must be contiguous"),
    }
}

impl CustomOp3 for Depthwise3x3 {
    fn name(&self) -> &'static str {
        "depthwise3x3"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, c, h, w) = l1.shape().dims4()?;
        if l2.shape().elem_count() != c * 9 || l3.shape().elem_count() != c {
            candle_core::bail!(
                "depthwise3x3: weight {:?} / bias {:?} do not match {c} channels",
                l2.shape(),
                l3.shape()
            );
        }
        if h < 2 || w < 2 {
            candle_core::bail!("depthwise3x3: reflection padding needs at least 2x2, got {w}x{h}");
        }
        let (x, wt, b) = (
            f32_slice(s1, l1, "input")?,
            f32_slice(s2, l2, "weight")?,
            f32_slice(s3, l3, "bias")?,
        );
        let s = self.stride;
        let (ho, wo) = (conv3x3_out_len(h, s), conv3x3_out_len(w, s));
        let mut out = vec![0f32; n * c * ho * wo];
        out.par_chunks_mut(ho * wo)
            .enumerate()
            .for_each(|(plane, dst)| {
                let ch = plane % c;
                let src = &x[plane * h * w..(plane + 1) * h * w];
                let k = &wt[ch * 9..ch * 9 + 9];
                depthwise_plane(src, h, w, k, b[ch], s, dst, wo);
            });
        Ok((CpuStorage::F32(out), Shape::from((n, c, ho, wo))))
    }
}

/// One channel: `dst` (ho x wo) = bias + 3x3 taps over the reflect-padded `src` (h x w).
#[allow(clippy::too_many_arguments)]
fn depthwise_plane(
    src: &[f32],
    h: usize,
    w: usize,
    k: &[f32],
    bias: f32,
    s: usize,
    dst: &mut [f32],
    wo: usize,
) {
    let cols: Vec<[usize; 3]> = (0..wo)
        .map(|ox| {
            let x = (ox * s) as isize;
            [reflect(x - 1, w), x as usize, reflect(x + 1, w)]
        })
        .collect();
    for (oy, row) in dst.chunks_mut(wo).enumerate() {
        let y = (oy * s) as isize;
        let rows = [reflect(y - 1, h), y as usize, reflect(y + 1, h)];
        row.fill(bias);
        for (dy, &iy) in rows.iter().enumerate() {
            let r = &src[iy * w..(iy + 1) * w];
            let (k0, k1, k2) = (k[dy * 3], k[dy * 3 + 1], k[dy * 3 + 2]);
            if s == 1 && w >= 3 {
                // Interior columns as three shifted slices, which the compiler vectorises.
                let inner = &mut row[1..w - 1];
                for (i, o) in inner.iter_mut().enumerate() {
                    *o += k0 * r[i] + k1 * r[i + 1] + k2 * r[i + 2];
                }
                for ox in [0, w - 1] {
                    let [a, bb, cc] = cols[ox];
                    row[ox] += k0 * r[a] + k1 * r[bb] + k2 * r[cc];
                }
            } else {
                for (o, [a, bb, cc]) in row.iter_mut().zip(&cols) {
                    *o += k0 * r[*a] + k1 * r[*bb] + k2 * r[*cc];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    /// Reference: reflection padding + Candle's own grouped convolution.
    fn reference(x: &Tensor, w: &Tensor, b: &Tensor, stride: usize) -> Result<Tensor> {
        let c = x.dim(1)?;
        reflect_pad1(x)?
            .conv2d(w, 0, stride, 1, c)?
            .broadcast_add(&b.reshape((1, c, 1, 1))?)
    }

    #[test]
    fn matches_grouped_conv2d() -> Result<()> {
        let dev = Device::Cpu;
        for &(n, c, h, w) in &[(1, 3, 2, 2), (2, 4, 7, 5), (1, 5, 8, 13), (1, 2, 3, 9)] {
            let x = Tensor::randn(0f32, 1., (n, c, h, w), &dev)?;
            let wt = Tensor::randn(0f32, 1., (c, 1, 3, 3), &dev)?;
            let b = Tensor::randn(0f32, 1., c, &dev)?;
            for stride in [1, 2] {
                let ours = depthwise3x3(&x, &wt, &b, stride)?;
                let want = reference(&x, &wt, &b, stride)?;
                assert_eq!(ours.dims(), want.dims(), "{n}x{c}x{h}x{w} stride {stride}");
                let err = (ours - want)?.abs()?.max_all()?.to_scalar::<f32>()?;
                assert!(
                    err < 1e-5,
                    "{n}x{c}x{h}x{w} stride {stride}: max error {err}"
                );
            }
        }
        Ok(())
    }

    #[test]
    fn refuses_planes_too_small_to_reflect() -> Result<()> {
        let x = Tensor::zeros((1, 1, 1, 4), DType::F32, &Device::Cpu)?;
        let w = Tensor::zeros((1, 1, 3, 3), DType::F32, &Device::Cpu)?;
        let b = Tensor::zeros(1, DType::F32, &Device::Cpu)?;
        assert!(depthwise3x3(&x, &w, &b, 1).is_err());
        Ok(())
    }
}

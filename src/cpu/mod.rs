//! The per-frame DIN network on the CPU, without Candle's op-by-op tensors.
//!
//! Candle runs one op at a time and allocates every result; at video sizes the content path then
//! spends its time in memory traffic and per-channel loops. This engine runs the same network
//! (`models/train/model.py`, weights read under the same keys) with:
//!
//! * SIMD row operations (`rows`) compiled for AVX-512, AVX2+FMA or baseline and picked at run time
//!   ([`simd::Level`]); feature maps stored row-interleaved so every op is parallel over rows;
//! * each DIN layer fused into one 1x1 convolution: `K (x - mean) / std + b` is
//!   `(K diag(1/std)) x + (b - K mean / std)`, folded per frame from the channel statistics, and
//!   accumulated straight into the decoder's buffer of the same scale;
//! * the decoder's bilinear up-sampling computed row by row inside the depthwise convolution
//!   that follows it, and ReLUs applied as values are loaded or stored;
//! * frames converted from packed 8-bit pixels (and back) in the pass that pads (or crops) them;
//! * every buffer kept in a [`Workspace`] that is reused from frame to frame.
//!
//! `tests/parity.rs` checks it against the Candle graph and the PyTorch reference.

mod frame;
pub mod rows;
pub mod simd;
mod stability;
#[cfg(target_arch = "x86_64")]
mod x86;

use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;
use rayon::prelude::*;

pub use frame::{FrameIn, FrameOut};
use rows::{reflect, Dense3x3Weights, PointwiseWeights};
use simd::Level;
pub use stability::{LayerStats, Stability, CUT_THRESHOLD};

use crate::model::{padded_size, StyleKernels, IN_EPS};
use crate::DinModel;

fn vec_of(t: Tensor) -> Result<Vec<f32>> {
    t.flatten_all()?.to_vec1::<f32>()
}

/// Dense 3x3 convolution with reflection padding (`<prefix>.conv.{weight,bias}`).
#[derive(Debug, Clone)]
struct Dense3x3 {
    weight: Dense3x3Weights,
    bias: Vec<f32>,
}

impl Dense3x3 {
    fn load(cin: usize, cout: usize, vb: VarBuilder) -> Result<Self> {
        let vb = vb.pp("conv");
        Ok(Self {
            weight: Dense3x3Weights::new(vec_of(vb.get((cout, cin, 3, 3), "weight")?)?, cin),
            bias: vec_of(vb.get(cout, "bias")?)?,
        })
    }
}

/// Depthwise 3x3 convolution (`<prefix>.conv.{weight,bias}`).
#[derive(Debug, Clone, Default)]
struct Depthwise {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Depthwise {
    fn load(c: usize, vb: VarBuilder) -> Result<Self> {
        let vb = vb.pp("conv");
        Ok(Self {
            weight: vec_of(vb.get((c, 1, 3, 3), "weight")?)?,
            bias: vec_of(vb.get(c, "bias")?)?,
        })
    }
}

impl Depthwise {
    /// Scales and shifts the output channels by the next entries of `m` (`model.Decoder`).
    fn modulate(&mut self, m: &mut ModulationCursor) {
        let (gain, shift) = m.next(self.bias.len());
        for (c, (w, b)) in self
            .weight
            .chunks_exact_mut(9)
            .zip(self.bias.iter_mut())
            .enumerate()
        {
            w.iter_mut().for_each(|v| *v *= gain[c]);
            *b = *b * gain[c] + shift[c];
        }
    }
}

/// 1x1 convolution (`<prefix>.{weight,bias}`).
#[derive(Debug, Clone, Default)]
struct Pointwise {
    weight: PointwiseWeights,
    bias: Vec<f32>,
}

impl Pointwise {
    fn load(cin: usize, cout: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            weight: PointwiseWeights::new(vec_of(vb.get((cout, cin, 1, 1), "weight")?)?, cin),
            bias: vec_of(vb.get(cout, "bias")?)?,
        })
    }
}

impl Pointwise {
    /// Scales and shifts the output channels by the next entries of `m` (`model.Decoder`).
    fn modulate(&mut self, m: &mut ModulationCursor) {
        let (gain, shift) = m.next(self.bias.len());
        let cin = self.weight.cin();
        self.weight.edit(|weight| {
            for (w, g) in weight.chunks_exact_mut(cin).zip(gain) {
                w.iter_mut().for_each(|v| *v *= g);
            }
        });
        for (c, b) in self.bias.iter_mut().enumerate() {
            *b = *b * gain[c] + shift[c];
        }
    }
}

/// The modulation vectors of a style, handed out conv by conv in the decoder's order.
struct ModulationCursor<'a> {
    gain: &'a [f32],
    shift: &'a [f32],
}

impl<'a> ModulationCursor<'a> {
    fn next(&mut self, n: usize) -> (&'a [f32], &'a [f32]) {
        let (g, rest_g) = self.gain.split_at(n);
        let (s, rest_s) = self.shift.split_at(n);
        (self.gain, self.shift) = (rest_g, rest_s);
        (g, s)
    }
}

/// MobileNetV1 block (`dw`, `pw`).
#[derive(Debug, Clone, Default)]
struct Separable {
    dw: Depthwise,
    pw: Pointwise,
}

impl Separable {
    fn load(cin: usize, cout: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            dw: Depthwise::load(cin, vb.pp("dw"))?,
            pw: Pointwise::load(cin, cout, vb.pp("pw"))?,
        })
    }
}

/// `x + conv2(relu(conv1(x)))` (`conv1`, `conv2`).
#[derive(Debug, Clone, Default)]
struct Residual([Separable; 2]);

impl Residual {
    fn load(c: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self([
            Separable::load(c, c, vb.pp("conv1"))?,
            Separable::load(c, c, vb.pp("conv2"))?,
        ]))
    }
}

/// Decoder level (`pw`, `dw`).
#[derive(Debug, Clone, Default)]
struct Up {
    pw: Pointwise,
    dw: Depthwise,
}

impl Up {
    fn load(cin: usize, cout: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            pw: Pointwise::load(cin, cout, vb.pp("pw"))?,
            dw: Depthwise::load(cout, vb.pp("dw"))?,
        })
    }
}

/// The decoder's weights up to its head: the model's, or a style's modulated copy.
#[derive(Debug, Clone, Default)]
struct DecoderWeights {
    res: [Residual; 2],
    up: [Up; 2],
}

impl DecoderWeights {
    /// `self` set to `base` with every conv's output channels scaled by `1 + scale` and shifted
    /// by `shift` (buffers reused from frame to frame).
    fn modulate_from(&mut self, base: &DecoderWeights, (scale, shift): &(Vec<f32>, Vec<f32>)) {
        self.clone_from(base);
        let gain: Vec<f32> = scale.iter().map(|s| 1.0 + s).collect();
        let mut m = ModulationCursor { gain: &gain, shift };
        for block in &mut self.res {
            for conv in &mut block.0 {
                conv.dw.modulate(&mut m);
                conv.pw.modulate(&mut m);
            }
        }
        for up in &mut self.up {
            up.pw.modulate(&mut m);
            up.dw.modulate(&mut m);
        }
    }
}

/// A style's three dynamic kernels as dense `[c][c]` matrices (block-diagonal ones expanded),
/// and the decoder's modulation `(scale, shift)` when the model has one.
#[derive(Debug, Clone)]
pub struct CpuKernels {
    layers: [(Vec<f32>, Vec<f32>); 3],
    modulation: Option<(Vec<f32>, Vec<f32>)>,
}

impl CpuKernels {
    pub fn new(kernels: &StyleKernels) -> Result<Self> {
        let dense = |i: usize| -> Result<(Vec<f32>, Vec<f32>)> {
            let k = &kernels.layers[i];
            let (groups, gs, _) = k.weight.dims3()?;
            let blocks = vec_of(k.weight.to_dtype(candle_core::DType::F32)?)?;
            let c = groups * gs;
            let mut w = vec![0f32; c * c];
            for g in 0..groups {
                for r in 0..gs {
                    let dst = (g * gs + r) * c + g * gs;
                    w[dst..dst + gs].copy_from_slice(&blocks[(g * gs + r) * gs..][..gs]);
                }
            }
            Ok((w, vec_of(k.bias.to_dtype(candle_core::DType::F32)?)?))
        };
        let modulation = match &kernels.modulation {
            Some(m) => Some((
                vec_of(m.scale.to_dtype(candle_core::DType::F32)?)?,
                vec_of(m.shift.to_dtype(candle_core::DType::F32)?)?,
            )),
            None => None,
        };
        Ok(Self {
            layers: [dense(0)?, dense(1)?, dense(2)?],
            modulation,
        })
    }
}

/// Buffers for one frame size, reused across frames (`[rows][channels][columns]` each).
#[derive(Debug, Default)]
pub struct Workspace {
    /// What the buffers are sized for: channel widths and padded frame size.
    shape: ([usize; 3], usize, usize),
    input: Vec<f32>,
    e: [Vec<f32>; 3],
    d: [Vec<f32>; 3],
    t2: Vec<f32>,
    t3: Vec<f32>,
    r: [Vec<f32>; 2],
    u2: Vec<f32>,
    u3: Vec<f32>,
    sums: Vec<[f64; 2]>,
    /// Per frame: each DIN layer's instance-norm statistics (smoothed by `stability`).
    stats: LayerStats,
    /// The stream's moving average of `stats` (off by default).
    pub stability: Stability,
    /// Per frame: DIN kernels with the norm folded in, and the biases they add.
    folded: [(PointwiseWeights, Vec<f32>); 3],
    /// Per frame: the style's modulated decoder (a modulated model only).
    decoder: DecoderWeights,
}

impl Workspace {
    pub fn new() -> Self {
        Self::default()
    }

    fn prepare(&mut self, widths: [usize; 3], hp: usize, wp: usize) {
        if self.shape == (widths, hp, wp) {
            return;
        }
        let [c1, c2, c3] = widths;
        let px = |s: usize| (hp / s) * (wp / s);
        let size = |v: &mut Vec<f32>, n: usize| {
            v.clear();
            v.resize(n, 0.0);
        };
        size(&mut self.input, (hp + 2) * 3 * (wp + 2));
        size(&mut self.e[0], c1 * px(1));
        size(&mut self.d[0], c1 * px(1));
        size(&mut self.t2, c1 * px(2));
        size(&mut self.e[1], c2 * px(2));
        size(&mut self.d[1], c2 * px(2));
        size(&mut self.u2, c1 * px(2));
        size(&mut self.t3, c2 * px(4));
        size(&mut self.e[2], c3 * px(4));
        size(&mut self.d[2], c3 * px(4));
        size(&mut self.u3, c2 * px(4));
        size(&mut self.r[0], c3 * px(4));
        size(&mut self.r[1], c3 * px(4));
        self.shape = (widths, hp, wp);
        // Another frame size is another stream.
        self.stability.reset();
    }
}

/// The content path (encoder, DIN application, decoder) with its weights in plain vectors.
#[derive(Debug, Clone)]
pub struct CpuNet {
    widths: [usize; 3],
    stem: Dense3x3,
    down: [Separable; 2],
    enc_res: [Residual; 2],
    decoder: DecoderWeights,
    /// Styles scale and shift the decoder's convs (`Config::modulated_decoder`).
    modulated: bool,
    head: Dense3x3,
    level: Level,
}

impl CpuNet {
    /// The content path of `model`, read from its weights (`content_encoder.*`, `decoder.*`),
    /// shaped by its `Config`.
    pub fn new(model: &DinModel) -> Result<Self> {
        let (config, vb) = (model.config(), model.weights().clone());
        let widths = config.widths;
        let [c1, c2, c3] = widths;
        let enc = vb.pp("content_encoder");
        let dec = vb.pp("decoder");
        Ok(Self {
            widths,
            stem: Dense3x3::load(3, c1, enc.pp("stem"))?,
            down: [
                Separable::load(c1, c2, enc.pp("down1"))?,
                Separable::load(c2, c3, enc.pp("down2"))?,
            ],
            enc_res: [
                Residual::load(c3, enc.pp("res1"))?,
                Residual::load(c3, enc.pp("res2"))?,
            ],
            decoder: DecoderWeights {
                res: [
                    Residual::load(c3, dec.pp("res1"))?,
                    Residual::load(c3, dec.pp("res2"))?,
                ],
                up: [
                    Up::load(c3, c2, dec.pp("up1"))?,
                    Up::load(c2, c1, dec.pp("up2"))?,
                ],
            },
            modulated: config.modulated_decoder,
            head: Dense3x3::load(c1, 3, dec.pp("head"))?,
            level: Level::get(),
        })
    }

    /// The instruction set the row operations run with.
    pub fn level(&self) -> Level {
        self.level
    }

    /// Runs the row operations with another instruction set (one of [`Level::supported`]).
    pub fn with_level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// Stylizes one `width` x `height` frame (any size from 1x1) into `out` (same size).
    pub fn stylize(
        &self,
        input: FrameIn,
        out: FrameOut,
        (width, height): (usize, usize),
        kernels: &CpuKernels,
        ws: &mut Workspace,
    ) -> Result<()> {
        let (w, h) = (width, height);
        if w == 0 || h == 0 {
            candle_core::bail!("cannot stylize an empty {w}x{h} frame");
        }
        let input_fits = match input {
            FrameIn::Packed(f) => f.fits() && f.size() == (w, h),
            FrameIn::Yuv(f) => f.check("input").is_ok() && (f.width, f.height) == (w, h),
            FrameIn::Planar(d) => d.len() == 3 * w * h,
        };
        let output_fits = match &out {
            FrameOut::Packed(f) => f.fits() && f.size() == (w, h),
            FrameOut::Yuv(f) => f.check("output").is_ok() && (f.width, f.height) == (w, h),
            FrameOut::Planar(d) => d.len() == 3 * w * h,
        };
        let fits = input_fits && output_fits;
        if !fits {
            candle_core::bail!("frame buffers do not hold {w}x{h} pixels");
        }
        for (i, (k, b)) in kernels.layers.iter().enumerate() {
            let c = self.widths[i];
            if k.len() != c * c || b.len() != c {
                candle_core::bail!("style kernels do not match this model's {c} channels");
            }
        }
        let modulation_len = kernels.modulation.as_ref().map(|(s, h)| (s.len(), h.len()));
        let channels = self.modulated_channels();
        if modulation_len != self.modulated.then_some((channels, channels)) {
            candle_core::bail!("style kernels do not match this model's decoder modulation");
        }
        let (hp, wp) = (padded_size(h), padded_size(w));
        ws.prepare(self.widths, hp, wp);
        frame::load(input, w, h, hp, wp, &mut ws.input);
        self.encode(ws, hp, wp);
        for i in 0..3 {
            self.layer_stats(i, ws, hp >> i, wp >> i);
        }
        let Workspace {
            stats, stability, ..
        } = ws;
        stability.smooth(stats);
        for i in 0..3 {
            self.fold(i, kernels, ws);
        }
        let mut decoder = std::mem::take(&mut ws.decoder);
        let decoder = match &kernels.modulation {
            Some(m) => {
                decoder.modulate_from(&self.decoder, m);
                Some(decoder)
            }
            None => None,
        };
        self.decode(decoder.as_ref().unwrap_or(&self.decoder), ws, hp, wp);
        if let Some(d) = decoder {
            ws.decoder = d;
        }
        self.head(ws, out, (w, h), (hp, wp))?;
        Ok(())
    }

    fn encode(&self, ws: &mut Workspace, hp: usize, wp: usize) {
        let Workspace {
            input,
            e,
            t2,
            t3,
            r,
            ..
        } = ws;
        let [e1, e2, e3] = e;
        let (l1, l2, l3) = ((hp, wp), (hp / 2, wp / 2), (hp / 4, wp / 4));
        self.stem_conv(input, l1, e1);
        let [d1, d2] = &self.down;
        self.depthwise(&d1.dw, e1, l1, 2, None, true, t2);
        self.pointwise(&d1.pw.weight, Some(&d1.pw.bias), t2, l2, Mode::RELU, e2);
        self.depthwise(&d2.dw, e2, l2, 2, None, true, t3);
        self.pointwise(&d2.pw.weight, Some(&d2.pw.bias), t3, l3, Mode::RELU, e3);
        for block in &self.enc_res {
            self.residual(block, e3, r, l3);
        }
    }

    /// Layer `i`'s instance-norm statistics (per channel mean and variance of `e[i]`).
    fn layer_stats(&self, i: usize, ws: &mut Workspace, h: usize, w: usize) {
        let c = self.widths[i];
        let sums = &mut ws.sums;
        sums.clear();
        sums.resize(h * c, [0.0; 2]);
        let level = self.level;
        ws.e[i]
            .par_chunks(c * w)
            .zip(sums.par_chunks_mut(c))
            .for_each(|(row, s)| rows::row_sums(level, row, w, s));
        let n = (h * w) as f64;
        let (means, vars) = &mut ws.stats[i];
        means.clear();
        vars.clear();
        for ci in 0..c {
            let (s, sq) = (0..h).fold((0.0, 0.0), |(a, q), y| {
                let v = sums[y * c + ci];
                (a + v[0], q + v[1])
            });
            let mean = s / n;
            means.push(mean);
            vars.push((sq / n - mean * mean).max(0.0));
        }
    }

    /// Folds layer `i`'s instance norm (its statistics in `ws.stats`) into its dynamic kernel.
    fn fold(&self, i: usize, kernels: &CpuKernels, ws: &mut Workspace) {
        let c = self.widths[i];
        let (k, b) = &kernels.layers[i];
        let (fk, fb) = &mut ws.folded[i];
        fb.clear();
        fb.extend_from_slice(b);
        let (means, vars) = &ws.stats[i];
        fk.set(k, c);
        fk.edit(|fk| {
            for ci in 0..c {
                let (mean, rstd) = (means[ci], 1.0 / (vars[ci] + IN_EPS).sqrt());
                for co in 0..c {
                    let kk = fk[co * c + ci] as f64 * rstd;
                    fk[co * c + ci] = kk as f32;
                    fb[co] -= (kk * mean) as f32;
                }
            }
        });
    }

    /// Output channels of the decoder's convs up to its head (the modulation's length).
    fn modulated_channels(&self) -> usize {
        let res: usize = self
            .decoder
            .res
            .iter()
            .map(|r| 2 * r.0.len() * r.0[0].pw.bias.len())
            .sum();
        let up: usize = self.decoder.up.iter().map(|u| 2 * u.pw.bias.len()).sum();
        res + up
    }

    fn decode(&self, decoder: &DecoderWeights, ws: &mut Workspace, hp: usize, wp: usize) {
        let Workspace {
            e,
            d,
            r,
            u2,
            u3,
            folded,
            ..
        } = ws;
        let (l1, l2, l3) = ((hp, wp), (hp / 2, wp / 2), (hp / 4, wp / 4));
        let [e1, e2, e3] = e;
        let [d1, d2, x3] = d;
        let [(k1, b1), (k2, b2), (k3, b3)] = folded;
        self.pointwise(k3, Some(b3), e3, l3, Mode::LINEAR, x3);
        for block in &decoder.res {
            self.residual(block, x3, r, l3);
        }
        let [up1, up2] = &decoder.up;
        self.pointwise(&up1.pw.weight, Some(&up1.pw.bias), x3, l3, Mode::RELU, u3);
        add_into(b2, &up1.dw.bias);
        self.upsample_depthwise(&up1.dw, b2, u3, l3, d2);
        self.pointwise(k2, None, e2, l2, Mode::ADD, d2);
        self.pointwise(
            &up2.pw.weight,
            Some(&up2.pw.bias),
            d2,
            l2,
            Mode::RELU_IN_OUT,
            u2,
        );
        add_into(b1, &up2.dw.bias);
        self.upsample_depthwise(&up2.dw, b1, u2, l2, d1);
        self.pointwise(k1, None, e1, l1, Mode::ADD, d1);
    }

    /// `x += pw2(relu(dw2(relu(pw1(relu(dw1(x)))))))` in place.
    fn residual(
        &self,
        block: &Residual,
        x: &mut [f32],
        tmp: &mut [Vec<f32>; 2],
        l: (usize, usize),
    ) {
        let [a, b] = tmp;
        let [c1, c2] = &block.0;
        self.depthwise(&c1.dw, x, l, 1, None, true, a);
        self.pointwise(&c1.pw.weight, Some(&c1.pw.bias), a, l, Mode::RELU, b);
        self.depthwise(&c2.dw, b, l, 1, None, true, a);
        self.pointwise(&c2.pw.weight, Some(&c2.pw.bias), a, l, Mode::ADD, x);
    }

    fn stem_conv(&self, input: &[f32], (_, w): (usize, usize), out: &mut [f32]) {
        let (level, cout) = (self.level, self.stem.bias.len());
        let row_in = 3 * (w + 2);
        out.par_chunks_mut(cout * w).enumerate().for_each(|(y, o)| {
            let rows = [0, 1, 2].map(|dy| &input[(y + dy) * row_in..][..row_in]);
            rows::dense3x3_row(level, rows, w, &self.stem.weight, &self.stem.bias, true, o);
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn depthwise(
        &self,
        layer: &Depthwise,
        src: &[f32],
        (h, w): (usize, usize),
        stride: usize,
        bias: Option<&[f32]>,
        relu: bool,
        out: &mut [f32],
    ) {
        let c = layer.bias.len();
        let wo = (w - 1) / stride + 1;
        let bias = bias.unwrap_or(&layer.bias);
        let level = self.level;
        out.par_chunks_mut(c * wo).enumerate().for_each(|(oy, o)| {
            let y = (oy * stride) as isize;
            let rows = [reflect(y - 1, h), y as usize, reflect(y + 1, h)]
                .map(|r| &src[r * c * w..][..c * w]);
            SCRATCH.with_borrow_mut(|scratch| {
                rows::depthwise_row(
                    level,
                    rows,
                    w,
                    stride,
                    &layer.weight,
                    bias,
                    relu,
                    scratch,
                    o,
                )
            });
        });
    }

    /// Bilinear x2 up-sampling of `src` (`h` x `w`) followed by the depthwise conv `layer` with
    /// biases `bias`, in bands of output rows so that each up-sampled row is made about once.
    fn upsample_depthwise(
        &self,
        layer: &Depthwise,
        bias: &[f32],
        src: &[f32],
        (h, w): (usize, usize),
        out: &mut [f32],
    ) {
        const BAND: usize = 8;
        thread_local!(static ROWS: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) });
        let c = bias.len();
        let (ho, wo) = (2 * h, 2 * w);
        let row_len = c * wo;
        let level = self.level;
        out.par_chunks_mut(BAND * row_len)
            .enumerate()
            .for_each(|(band, o)| {
                ROWS.with_borrow_mut(|buf| {
                    let y0 = band * BAND;
                    let rows = o.len() / row_len;
                    // Up-sampled rows y0 - 1 ..= y0 + rows (reflected at the edges).
                    buf.resize((rows + 2) * row_len + w, 0.0);
                    let (ups, tmp) = buf.split_at_mut((rows + 2) * row_len);
                    for (i, dst) in ups.chunks_exact_mut(row_len).enumerate() {
                        let uy = reflect((y0 + i) as isize - 1, ho);
                        let (near, far) = rows::upsample_rows(uy, h);
                        let row = |r: usize| &src[r * c * w..][..c * w];
                        rows::upsample2x_row(level, row(near), row(far), w, tmp, dst);
                    }
                    for (i, orow) in o.chunks_exact_mut(row_len).enumerate() {
                        let rows = [i, i + 1, i + 2].map(|j| &ups[j * row_len..][..row_len]);
                        rows::depthwise_row(
                            level,
                            rows,
                            wo,
                            1,
                            &layer.weight,
                            bias,
                            false,
                            &mut Vec::new(),
                            orow,
                        );
                    }
                })
            });
    }

    /// `dst (+)= weight * act(src) + bias` over rows of `w` pixels, `cin` channels in.
    #[allow(clippy::too_many_arguments)]
    fn pointwise(
        &self,
        weights: &PointwiseWeights,
        bias: Option<&[f32]>,
        src: &[f32],
        (_, w): (usize, usize),
        mode: Mode,
        dst: &mut [f32],
    ) {
        let (cin, cout) = (weights.cin(), weights.cout());
        let level = self.level;
        let Mode {
            relu_in,
            relu_out,
            add,
        } = mode;
        dst.par_chunks_mut(cout * w)
            .zip(src.par_chunks(cin * w))
            .for_each(|(d, s)| {
                rows::pointwise_row(level, s, w, weights, bias, relu_in, relu_out, add, d)
            });
    }

    fn head(
        &self,
        ws: &Workspace,
        out: FrameOut,
        (w, h): (usize, usize),
        (hp, wp): (usize, usize),
    ) -> Result<()> {
        thread_local!(static ROWS: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) });
        let c = self.head.weight.cin();
        let d1 = &ws.d[0];
        let level = self.level;
        let stored = frame::store(out, w, h, wp, |y, o| {
            ROWS.with_borrow_mut(|buf| {
                let row_len = c * (wp + 2);
                buf.resize(3 * row_len, 0.0);
                let yi = y as isize;
                for (dst, sy) in
                    buf.chunks_exact_mut(row_len)
                        .zip([reflect(yi - 1, hp), y, reflect(yi + 1, hp)])
                {
                    let src = &d1[sy * c * wp..][..c * wp];
                    for (pd, ps) in dst.chunks_exact_mut(wp + 2).zip(src.chunks_exact(wp)) {
                        for (v, s) in pd[1..=wp].iter_mut().zip(ps) {
                            *v = s.max(0.0);
                        }
                        pd[0] = pd[2];
                        pd[wp + 1] = pd[wp - 1];
                    }
                }
                let rows = [0, 1, 2].map(|i| &buf[i * row_len..][..row_len]);
                rows::dense3x3_row(
                    level,
                    rows,
                    wp,
                    &self.head.weight,
                    &self.head.bias,
                    false,
                    o,
                );
            })
        });
        stored.map_err(|e| candle_core::Error::Msg(e.to_string()))
    }
}

thread_local! {
    /// Per-thread working memory of the row operations.
    static SCRATCH: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What a 1x1 convolution does around its matrix product.
#[derive(Debug, Clone, Copy)]
struct Mode {
    relu_in: bool,
    relu_out: bool,
    /// Add to what `dst` holds (residual connections, DIN outputs) instead of overwriting it.
    add: bool,
}

impl Mode {
    const LINEAR: Mode = Mode {
        relu_in: false,
        relu_out: false,
        add: false,
    };
    const RELU: Mode = Mode {
        relu_out: true,
        ..Mode::LINEAR
    };
    const RELU_IN_OUT: Mode = Mode {
        relu_in: true,
        relu_out: true,
        add: false,
    };
    const ADD: Mode = Mode {
        add: true,
        ..Mode::LINEAR
    };
}

/// `dst[i] += src[i]`.
fn add_into(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

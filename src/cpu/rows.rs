//! The CPU engine's SIMD row operations (convolutions, up-sampling, statistics of one output
//! row). Feature maps are stored row-interleaved ("HCW": row `y` holds all channels of that row,
//! one after the other), so that every operation is parallel over output rows and each row's
//! working set stays in cache. ("Kernels" elsewhere means a style's weights.)
//!
//! Each operation is written once over `LANES`-wide register blocks and compiled per
//! instruction set by `simd::dispatch!`.

use super::simd::{dispatch, madd, Isa, Level, FMA_NATIVE};

/// Output channels computed together: each loaded input vector feeds this many FMAs.
const BLOCK: usize = 8;

/// Index of `i` in `[-1, n]` after reflection padding of 1 (`n >= 2`).
#[inline(always)]
pub fn reflect(i: isize, n: usize) -> usize {
    if i < 0 {
        (-i) as usize
    } else if i as usize >= n {
        2 * n - 2 - i as usize
    } else {
        i as usize
    }
}

#[inline(always)]
fn load<const L: usize>(src: &[f32], at: usize, n: usize) -> [f32; L] {
    let mut v = [0f32; L];
    if n == L {
        // A constant length: one vector load, not a `memcpy` call.
        v.copy_from_slice(&src[at..at + L]);
    } else {
        for (d, s) in v.iter_mut().zip(&src[at..at + n]) {
            *d = *s;
        }
    }
    v
}

/// `CB` output channels of a dense 3x3 convolution over `n <= L` pixels starting at `x`.
/// `rows[dy]` is an input row reflect-padded to `wp + 2` columns per channel.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn dense3x3_block<const L: usize, const F: bool, const CB: usize>(
    rows: [&[f32]; 3],
    cin: usize,
    wp: usize,
    x: usize,
    n: usize,
    weight: &[f32],
    co0: usize,
    bias: &[f32],
    cout: usize,
    acc: &mut [[f32; L]; CB],
) {
    for (j, a) in acc.iter_mut().enumerate() {
        *a = [if co0 + j < cout { bias[co0 + j] } else { 0.0 }; L];
    }
    for ci in 0..cin {
        for (dy, row) in rows.iter().enumerate() {
            let plane = &row[ci * (wp + 2)..(ci + 1) * (wp + 2)];
            for dx in 0..3 {
                let v = load::<L>(plane, x + dx, n);
                for (j, a) in acc.iter_mut().enumerate() {
                    let co = (co0 + j).min(cout - 1);
                    let k = weight[((co * cin + ci) * 3 + dy) * 3 + dx];
                    for l in 0..L {
                        a[l] = madd::<F>(k, v[l], a[l]);
                    }
                }
            }
        }
    }
}

/// [`dense3x3_row`] from the portable kernel (`weight` is `[cout][cin][3][3]`), for CPUs
/// without AVX2 (those with it use `x86`).
#[allow(clippy::too_many_arguments)]
fn dense3x3_row_body<const L: usize, const F: bool>(
    rows: [&[f32]; 3],
    cin: usize,
    wp: usize,
    weight: &[f32],
    bias: &[f32],
    relu: bool,
    out: &mut [f32],
) {
    let cout = bias.len();
    let mut x = 0;
    while x < wp {
        let n = L.min(wp - x);
        let mut co0 = 0;
        while co0 < cout {
            let mut acc = [[0f32; L]; BLOCK];
            dense3x3_block::<L, F, BLOCK>(rows, cin, wp, x, n, weight, co0, bias, cout, &mut acc);
            for (j, a) in acc.iter().enumerate().take(cout - co0) {
                let dst = &mut out[(co0 + j) * wp + x..][..n];
                for (d, v) in dst.iter_mut().zip(a) {
                    *d = if relu { v.max(0.0) } else { *v };
                }
            }
            co0 += BLOCK;
        }
        x += L;
    }
}

/// A dense 3x3 convolution's weights `[cout][cin][3][3]`, and the same in the blocks of 4
/// output channels the AVX2 kernel reads (`[cout / 4][cin][9][4]`, zero past `cout`), packed
/// once when the weights are loaded.
#[derive(Debug, Clone, Default)]
pub struct Dense3x3Weights {
    weight: Vec<f32>,
    cin: usize,
    blocks4: Vec<f32>,
}

impl Dense3x3Weights {
    /// Output channels per block of [`Self::blocks4`].
    pub(crate) const BLOCK: usize = 4;

    pub fn new(weight: Vec<f32>, cin: usize) -> Self {
        let mut blocks4 = Vec::new();
        pack_blocks(&weight, cin * 9, Self::BLOCK, &mut blocks4);
        Self {
            weight,
            cin,
            blocks4,
        }
    }

    /// `[cout][cin][3][3]`.
    pub fn weight(&self) -> &[f32] {
        &self.weight
    }

    pub fn cin(&self) -> usize {
        self.cin
    }

    pub fn cout(&self) -> usize {
        self.weight.len() / (9 * self.cin.max(1))
    }

    pub(crate) fn blocks4(&self) -> &[f32] {
        &self.blocks4
    }
}

/// One output row `[cout][wp]` of a dense 3x3 convolution; `rows` are the three input rows
/// (`[cin][wp + 2]`, reflect-padded).
pub fn dense3x3_row(
    level: Level,
    rows: [&[f32]; 3],
    wp: usize,
    weights: &Dense3x3Weights,
    bias: &[f32],
    relu: bool,
    out: &mut [f32],
) {
    // AVX-512 CPUs take the AVX2 tiles too: with the portable kernel compiled for AVX-512 a
    // 640x360 frame took 1.3x as long on a Xeon (benches/RESULTS.md).
    // SAFETY: a `Level` is only made by detection, and AVX-512 only beside AVX2 and FMA; the
    // sizes are checked inside.
    #[cfg(target_arch = "x86_64")]
    if matches!(level.0, Isa::Avx2 | Isa::Avx512) {
        return unsafe { super::x86::dense3x3_row_avx2(rows, wp, weights, bias, relu, out) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = level;
    let (cin, weight) = (weights.cin, &weights.weight[..]);
    dense3x3_row_body::<8, FMA_NATIVE>(rows, cin, wp, weight, bias, relu, out)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn depthwise_row_body<const L: usize, const F: bool>(
    isa: Isa,
    rows: [&[f32]; 3],
    w: usize,
    stride: usize,
    weight: &[f32],
    bias: &[f32],
    relu: bool,
    scratch: &mut Vec<f32>,
    out: &mut [f32],
) {
    #[cfg(not(target_arch = "x86_64"))]
    let _ = isa;
    let wo = (w - 1) / stride + 1;
    let act = |v: f32| if relu { v.max(0.0) } else { v };
    for (c, o) in out.chunks_exact_mut(wo).enumerate() {
        let k = &weight[c * 9..c * 9 + 9];
        let r = rows.map(|row| &row[c * w..(c + 1) * w]);
        let tap = |ox: usize| {
            let xc = (ox * stride) as isize;
            let cols = [reflect(xc - 1, w), xc as usize, reflect(xc + 1, w)];
            let mut a = bias[c];
            for dy in 0..3 {
                for dx in 0..3 {
                    a = madd::<F>(k[dy * 3 + dx], r[dy][cols[dx]], a);
                }
            }
            act(a)
        };
        // Columns whose taps need no reflection: `[1, end)`.
        let end = if stride == 1 { w - 1 } else { (w - 2) / 2 + 1 };
        o[0] = tap(0);
        // Stride 2: even and odd columns apart, so every tap is a contiguous load
        // (input columns 2x - 1, 2x, 2x + 1 are odd[x - 1], even[x], odd[x]).
        let taps: [[&[f32]; 3]; 3] = if stride == 1 {
            r.map(|row| [&row[..w - 1], &row[1..], &row[2..]])
        } else {
            let half = w / 2;
            scratch.resize(6 * half, 0.0);
            for (dy, row) in r.iter().enumerate() {
                let (even, odd) = scratch[dy * 2 * half..(dy + 1) * 2 * half].split_at_mut(half);
                for ((e, o), pair) in even.iter_mut().zip(odd.iter_mut()).zip(row.chunks_exact(2)) {
                    *e = pair[0];
                    *o = pair[1];
                }
            }
            let part = |dy: usize, odd: bool| &scratch[(dy * 2 + odd as usize) * half..][..half];
            [0, 1, 2].map(|dy| [part(dy, true), &part(dy, false)[1..], &part(dy, true)[1..]])
        };
        // `taps[dy][dx][x - 1]` is the input under tap (dy, dx) of output column x.
        #[cfg(target_arch = "x86_64")]
        if isa == Isa::Avx512 {
            // SAFETY: `dispatch!` runs this instantiation only on CPUs with AVX-512; sizes are
            // checked inside.
            unsafe {
                super::x86::depthwise_taps_avx512(&taps, k, bias[c], relu, end, o);
            }
            for (ox, d) in o.iter_mut().enumerate().skip(end.max(1)) {
                *d = tap(ox);
            }
            continue;
        }
        #[cfg(target_arch = "x86_64")]
        if isa == Isa::Avx2 {
            // SAFETY: `dispatch!` runs this instantiation only on CPUs with AVX2 and FMA; sizes
            // are checked inside.
            unsafe {
                super::x86::depthwise_taps_avx2(&taps, k, bias[c], relu, end, o);
            }
            for (ox, d) in o.iter_mut().enumerate().skip(end.max(1)) {
                *d = tap(ox);
            }
            continue;
        }
        let mut x = 1;
        while x < end {
            let n = L.min(end - x);
            let mut acc = [bias[c]; L];
            for (dy, row_taps) in taps.iter().enumerate() {
                for (dx, t) in row_taps.iter().enumerate() {
                    let kk = k[dy * 3 + dx];
                    let v = load::<L>(t, x - 1, n);
                    for l in 0..L {
                        acc[l] = madd::<F>(kk, v[l], acc[l]);
                    }
                }
            }
            if n == L {
                let dst: &mut [f32; L] = (&mut o[x..x + L]).try_into().unwrap();
                for l in 0..L {
                    dst[l] = act(acc[l]);
                }
            } else {
                for (d, a) in o[x..x + n].iter_mut().zip(acc) {
                    *d = act(a);
                }
            }
            x += L;
        }
        for (ox, d) in o.iter_mut().enumerate().skip(end.max(1)) {
            *d = tap(ox);
        }
    }
}

/// One output row `[c][wo]` of a depthwise 3x3 convolution with reflection padding;
/// `rows` are the input rows `[c][w]` at `y*stride - 1, y*stride, y*stride + 1` (reflected).
/// Stride 2 needs an even `w`; `scratch` is reused working memory.
#[allow(clippy::too_many_arguments)]
pub fn depthwise_row(
    level: Level,
    rows: [&[f32]; 3],
    w: usize,
    stride: usize,
    weight: &[f32],
    bias: &[f32],
    relu: bool,
    scratch: &mut Vec<f32>,
    out: &mut [f32],
) {
    // The body hands the row's interior to the x86 kernel of its instruction set.
    depthwise_row_at(
        level, level.0, rows, w, stride, weight, bias, relu, scratch, out,
    )
}

dispatch!(
    /// [`depthwise_row`], told the instruction set it is compiled for.
    depthwise_row_at => depthwise_row_body(
        isa: Isa, rows: [&[f32]; 3], w: usize, stride: usize, weight: &[f32], bias: &[f32],
        relu: bool, scratch: &mut Vec<f32>, out: &mut [f32],
    )
);

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn pointwise_row_body<const L: usize, const F: bool>(
    src: &[f32],
    cin: usize,
    w: usize,
    weight: &[f32],
    bias: Option<&[f32]>,
    relu_in: bool,
    relu_out: bool,
    accumulate: bool,
    dst: &mut [f32],
) {
    let cout = weight.len() / cin;
    let mut x = 0;
    while x < w {
        let n = L.min(w - x);
        let mut co0 = 0;
        while co0 < cout {
            let mut acc = [[0f32; L]; BLOCK];
            for (j, a) in acc.iter_mut().enumerate() {
                let co = co0 + j;
                if co < cout {
                    if accumulate {
                        *a = load::<L>(dst, co * w + x, n);
                    }
                    if let Some(b) = bias {
                        for v in a.iter_mut() {
                            *v += b[co];
                        }
                    }
                }
            }
            for ci in 0..cin {
                let mut v = load::<L>(src, ci * w + x, n);
                if relu_in {
                    for e in v.iter_mut() {
                        *e = e.max(0.0);
                    }
                }
                for (j, a) in acc.iter_mut().enumerate() {
                    let k = weight[(co0 + j).min(cout - 1) * cin + ci];
                    for l in 0..L {
                        a[l] = madd::<F>(k, v[l], a[l]);
                    }
                }
            }
            for (j, a) in acc.iter().enumerate().take(cout - co0) {
                let d = &mut dst[(co0 + j) * w + x..][..n];
                for (d, v) in d.iter_mut().zip(a) {
                    *d = if relu_out { v.max(0.0) } else { *v };
                }
            }
            co0 += BLOCK;
        }
        x += L;
    }
}

/// A 1x1 convolution's weights `[cout][cin]`, and the same in the blocks of output channels the
/// x86 kernels read (`[cout / B][cin][B]` for B = 16 and 8, zero past `cout`), packed once when
/// the weights are set rather than on every row.
#[derive(Debug, Clone, Default)]
pub struct PointwiseWeights {
    weight: Vec<f32>,
    cin: usize,
    blocks16: Vec<f32>,
    blocks8: Vec<f32>,
}

impl PointwiseWeights {
    pub fn new(weight: Vec<f32>, cin: usize) -> Self {
        let mut w = Self {
            weight,
            cin,
            ..Self::default()
        };
        w.pack();
        w
    }

    /// `[cout][cin]`.
    pub fn weight(&self) -> &[f32] {
        &self.weight
    }

    pub fn cin(&self) -> usize {
        self.cin
    }

    pub fn cout(&self) -> usize {
        self.weight.len() / self.cin.max(1)
    }

    /// Sets the weights to `weight` (`[cout][cin]`, buffers reused) and packs them.
    pub fn set(&mut self, weight: &[f32], cin: usize) {
        self.weight.clear();
        self.weight.extend_from_slice(weight);
        self.cin = cin;
        self.pack();
    }

    /// Changes the weights in place (`edit` gets `[cout][cin]`), then packs them again.
    pub fn edit(&mut self, edit: impl FnOnce(&mut [f32])) {
        edit(&mut self.weight);
        self.pack();
    }

    /// The blocks of `b` output channels (16 or 8).
    pub(crate) fn blocks(&self, b: usize) -> &[f32] {
        if b == 16 {
            &self.blocks16
        } else {
            &self.blocks8
        }
    }

    fn pack(&mut self) {
        pack_blocks(&self.weight, self.cin, 16, &mut self.blocks16);
        pack_blocks(&self.weight, self.cin, 8, &mut self.blocks8);
    }
}

/// `weight` (`[cout][inner]`) in blocks of `b` output channels, `[cout / b][inner][b]`, zero
/// past `cout`: the layout the x86 kernels read, one broadcast per output channel.
fn pack_blocks(weight: &[f32], inner: usize, b: usize, out: &mut Vec<f32>) {
    let cout = weight.len() / inner.max(1);
    out.clear();
    out.resize(cout.div_ceil(b) * b * inner, 0.0);
    for (co, row) in weight.chunks_exact(inner.max(1)).enumerate() {
        let block = &mut out[(co / b) * b * inner..][..b * inner];
        for (i, v) in row.iter().enumerate() {
            block[i * b + co % b] = *v;
        }
    }
}

/// One row of a 1x1 convolution: `dst[co] (+)= bias[co] + sum_ci weight[co][ci] * src[ci]`,
/// with optional ReLU on the input and on the output. `dst` is `[cout][w]`.
#[allow(clippy::too_many_arguments)]
pub fn pointwise_row(
    level: Level,
    src: &[f32],
    w: usize,
    weights: &PointwiseWeights,
    bias: Option<&[f32]>,
    relu_in: bool,
    relu_out: bool,
    accumulate: bool,
    dst: &mut [f32],
) {
    let (cin, weight) = (weights.cin, &weights.weight[..]);
    // SAFETY: a `Level` is only made by detection; the sizes are checked inside.
    #[cfg(target_arch = "x86_64")]
    match level.0 {
        Isa::Avx512 => {
            return unsafe {
                super::x86::pointwise_row_avx512(
                    src, w, weights, bias, relu_in, relu_out, accumulate, dst,
                )
            }
        }
        Isa::Avx2 => {
            return unsafe {
                super::x86::pointwise_row_avx2(
                    src, w, weights, bias, relu_in, relu_out, accumulate, dst,
                )
            }
        }
        Isa::Generic => {}
    }
    pointwise_row_portable(
        level, src, cin, w, weight, bias, relu_in, relu_out, accumulate, dst,
    )
}

dispatch!(
    /// [`pointwise_row`] from the portable kernel (x86 CPUs with AVX2 use `x86`).
    pub pointwise_row_portable => pointwise_row_body(
        src: &[f32], cin: usize, w: usize, weight: &[f32], bias: Option<&[f32]>, relu_in: bool,
        relu_out: bool, accumulate: bool, dst: &mut [f32],
    )
);

#[inline(always)]
fn row_sums_body<const L: usize, const F: bool>(row: &[f32], w: usize, sums: &mut [[f64; 2]]) {
    for (c, s) in sums.iter_mut().enumerate() {
        let plane = &row[c * w..(c + 1) * w];
        let (mut a, mut b) = ([0f32; L], [0f32; L]);
        let mut chunks = plane.chunks_exact(L);
        for ch in &mut chunks {
            for l in 0..L {
                a[l] += ch[l];
                b[l] = madd::<F>(ch[l], ch[l], b[l]);
            }
        }
        let tail = chunks.remainder();
        let sum = a.iter().sum::<f32>() + tail.iter().sum::<f32>();
        let sq = b.iter().sum::<f32>() + tail.iter().map(|v| v * v).sum::<f32>();
        s[0] += sum as f64;
        s[1] += sq as f64;
    }
}

dispatch!(
    /// Adds each channel's sum and sum of squares over one row `[c][w]` to `sums[c]`.
    pub row_sums => row_sums_body(row: &[f32], w: usize, sums: &mut [[f64; 2]])
);

#[inline(always)]
fn upsample2x_row_body<const L: usize, const F: bool>(
    near: &[f32],
    far: &[f32],
    w: usize,
    tmp: &mut [f32],
    out: &mut [f32],
) {
    let wf = 2 * w;
    for ((o, a), b) in out
        .chunks_exact_mut(wf)
        .zip(near.chunks_exact(w))
        .zip(far.chunks_exact(w))
    {
        let v = &mut tmp[..w];
        for ((v, a), b) in v.iter_mut().zip(a).zip(b) {
            *v = madd::<F>(0.75, *a, 0.25 * b);
        }
        o[0] = v[0];
        o[wf - 1] = v[w - 1];
        for (pair, q) in o[1..wf - 1].chunks_exact_mut(2).zip(v.windows(2)) {
            pair[0] = madd::<F>(0.75, q[0], 0.25 * q[1]);
            pair[1] = madd::<F>(0.25, q[0], 0.75 * q[1]);
        }
    }
}

dispatch!(
    /// One row of bilinear x2 up-sampling (`align_corners = false`, as PyTorch) for every
    /// channel: `out` is `[c][2w]`; `near` and `far` are the source rows `[c][w]` weighted 3/4
    /// and 1/4; `tmp` holds `w` values.
    pub upsample2x_row => upsample2x_row_body(
        near: &[f32], far: &[f32], w: usize, tmp: &mut [f32], out: &mut [f32],
    )
);

/// Source rows of up-sampled row `y` (of `2h`): the nearer and the farther half-resolution row.
pub fn upsample_rows(y: usize, h: usize) -> (usize, usize) {
    let i = y / 2;
    if y.is_multiple_of(2) {
        (i, i.saturating_sub(1))
    } else {
        (i, (i + 1).min(h - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in [-1, 1).
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn assert_close(got: &[f32], want: &[f32], what: &str) {
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() < 1e-4, "{what}: [{i}] {g} against {w}");
        }
    }

    // Every kernel against a scalar reference, at every width up to three register tiles and
    // a tail (so every tile size and every partial vector is hit), at every level this CPU has.
    const WIDTHS: std::ops::RangeInclusive<usize> = 1..=53;

    #[test]
    fn dense3x3_rows_match_the_reference_at_every_level() {
        for (cin, cout) in [(3, 16), (16, 3), (5, 7)] {
            let weights = Dense3x3Weights::new(values(cout * cin * 9, 1), cin);
            let bias = values(cout, 2);
            for wp in WIDTHS {
                let rows = [3, 4, 5].map(|seed| values(cin * (wp + 2), seed));
                for relu in [false, true] {
                    let mut want = vec![0f32; cout * wp];
                    for co in 0..cout {
                        for x in 0..wp {
                            let mut a = bias[co];
                            for ci in 0..cin {
                                for (dy, row) in rows.iter().enumerate() {
                                    for dx in 0..3 {
                                        let k =
                                            weights.weight()[((co * cin + ci) * 3 + dy) * 3 + dx];
                                        a += k * row[ci * (wp + 2) + x + dx];
                                    }
                                }
                            }
                            want[co * wp + x] = if relu { a.max(0.0) } else { a };
                        }
                    }
                    for level in Level::supported() {
                        let mut got = vec![f32::NAN; cout * wp];
                        let rows = [0, 1, 2].map(|i| &rows[i][..]);
                        dense3x3_row(level, rows, wp, &weights, &bias, relu, &mut got);
                        let what = format!("{} {cin}->{cout} w {wp}", level.name());
                        assert_close(&got, &want, &what);
                    }
                }
            }
        }
    }

    #[test]
    fn pointwise_rows_match_the_reference_at_every_level() {
        for (cin, cout) in [(16, 16), (64, 32), (7, 5), (3, 9)] {
            let weights = PointwiseWeights::new(values(cout * cin, 6), cin);
            let bias = values(cout, 7);
            for w in WIDTHS {
                let src = values(cin * w, 8);
                let before = values(cout * w, 9);
                for mode in 0..16 {
                    let [relu_in, relu_out, accumulate, with_bias] =
                        [1, 2, 4, 8].map(|b| mode & b != 0);
                    let bias = with_bias.then_some(&bias[..]);
                    let mut want = vec![0f32; cout * w];
                    for co in 0..cout {
                        for x in 0..w {
                            let mut a = if accumulate { before[co * w + x] } else { 0.0 };
                            a += bias.map_or(0.0, |b| b[co]);
                            for ci in 0..cin {
                                let v = src[ci * w + x];
                                a += weights.weight()[co * cin + ci]
                                    * if relu_in { v.max(0.0) } else { v };
                            }
                            want[co * w + x] = if relu_out { a.max(0.0) } else { a };
                        }
                    }
                    for level in Level::supported() {
                        let mut got = before.clone();
                        pointwise_row(
                            level, &src, w, &weights, bias, relu_in, relu_out, accumulate, &mut got,
                        );
                        let what = format!("{} {cin}->{cout} w {w} mode {mode}", level.name());
                        assert_close(&got, &want, &what);
                    }
                }
            }
        }
    }

    #[test]
    fn depthwise_rows_match_the_reference_at_every_level() {
        let c = 5;
        let weight = values(c * 9, 10);
        let bias = values(c, 11);
        for w in WIDTHS.filter(|w| *w >= 2) {
            let rows = [12, 13, 14].map(|seed| values(c * w, seed));
            for stride in [1, 2] {
                if stride == 2 && w % 2 == 1 {
                    continue;
                }
                let wo = (w - 1) / stride + 1;
                for relu in [false, true] {
                    let mut want = vec![0f32; c * wo];
                    for ch in 0..c {
                        for ox in 0..wo {
                            let mut a = bias[ch];
                            for (dy, row) in rows.iter().enumerate() {
                                for dx in 0..3 {
                                    let ix = reflect((ox * stride + dx) as isize - 1, w);
                                    a += weight[ch * 9 + dy * 3 + dx] * row[ch * w + ix];
                                }
                            }
                            want[ch * wo + ox] = if relu { a.max(0.0) } else { a };
                        }
                    }
                    for level in Level::supported() {
                        let mut got = vec![f32::NAN; c * wo];
                        let rows = [0, 1, 2].map(|i| &rows[i][..]);
                        let mut scratch = Vec::new();
                        depthwise_row(
                            level,
                            rows,
                            w,
                            stride,
                            &weight,
                            &bias,
                            relu,
                            &mut scratch,
                            &mut got,
                        );
                        let what = format!("{} w {w} stride {stride}", level.name());
                        assert_close(&got, &want, &what);
                    }
                }
            }
        }
    }

    #[test]
    fn upsampling_matches_pytorch_weights() {
        // torch.nn.functional.interpolate([[0, 4, 8]], scale_factor=2, mode="linear")
        let mut out = vec![0f32; 6];
        let row = [0.0, 4.0, 8.0];
        upsample2x_row(
            super::super::simd::Level::get(),
            &row,
            &row,
            3,
            &mut [0.0; 3],
            &mut out,
        );
        assert_eq!(out, [0.0, 1.0, 3.0, 5.0, 7.0, 8.0]);
        assert_eq!(upsample_rows(0, 3), (0, 0));
        assert_eq!(upsample_rows(5, 3), (2, 2));
        assert_eq!(upsample_rows(2, 3), (1, 0));
    }
}

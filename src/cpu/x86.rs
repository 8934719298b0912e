//! Hand-written x86 micro-kernels for the engine's convolutions: a tile of output channels x
//! pixels is accumulated in vector registers over all input channels and taps (the portable
//! versions in `rows.rs` leave their accumulators in memory once unrolled that far, and pad
//! small channel counts to a block of 8).
//!
//! The AVX2 tiles are 4 output channels x 2 vectors of 8 pixels: 8 accumulators, and each input
//! step is 2 vector loads and 4 broadcasts for 8 FMAs. The old block of 8 channels x 1 vector
//! needed 9 loads for 8 FMAs; a tile of 4 x 3 needs all 16 registers, and the compiler then
//! keeps one accumulator on the stack, so that every step waits on a store (measured on Zen 3:
//! no faster than the old block, where 4 x 2 is twice as fast).

use std::arch::x86_64::*;

use super::rows::{Dense3x3Weights, PointwiseWeights};

/// Output channels per AVX-512 block: the accumulators take 16 of the 32 registers.
const CB: usize = 16;
/// Output channels and vectors of 8 pixels per AVX2 tile.
const TILE_CO: usize = 4;
const TILE_XV: usize = 2;
/// The packing of the 1x1 weights the AVX2 kernel reads (blocks of 8, read 4 at a time).
const PACK_AVX2: usize = 8;

/// As `rows::pointwise_row` (same arguments and result), reading the weights packed in blocks
/// of 16 output channels.
///
/// # Safety
/// The CPU must have AVX-512F; `src` must hold `cin * w` values, `dst` `cout * w`.
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn pointwise_row_avx512(
    src: &[f32],
    w: usize,
    weights: &PointwiseWeights,
    bias: Option<&[f32]>,
    relu_in: bool,
    relu_out: bool,
    accumulate: bool,
    dst: &mut [f32],
) {
    let (cin, cout) = (weights.cin(), weights.cout());
    let blocks = weights.blocks(CB);
    assert!(src.len() >= cin * w && dst.len() >= cout * w);
    let zero = _mm512_setzero_ps();
    for co0 in (0..cout).step_by(CB) {
        let cb = CB.min(cout - co0);
        let packed = &blocks[co0 * cin..][..CB * cin];
        let mut x = 0;
        while x < w {
            let n = (w - x).min(16);
            let mask: __mmask16 = if n == 16 {
                0xffff
            } else {
                ((1u32 << n) - 1) as u16
            };
            let mut acc = [zero; CB];
            for (j, a) in acc.iter_mut().enumerate().take(cb) {
                let at = dst.as_ptr().add((co0 + j) * w + x);
                let mut v = if accumulate {
                    _mm512_maskz_loadu_ps(mask, at)
                } else {
                    zero
                };
                if let Some(b) = bias {
                    v = _mm512_add_ps(v, _mm512_set1_ps(b[co0 + j]));
                }
                *a = v;
            }
            let mut s = src.as_ptr().add(x);
            let mut k = packed.as_ptr();
            for _ in 0..cin {
                let mut v = _mm512_maskz_loadu_ps(mask, s);
                if relu_in {
                    v = _mm512_max_ps(v, zero);
                }
                for (j, a) in acc.iter_mut().enumerate() {
                    *a = _mm512_fmadd_ps(_mm512_set1_ps(*k.add(j)), v, *a);
                }
                s = s.add(w);
                k = k.add(CB);
            }
            for (j, a) in acc.iter().enumerate().take(cb) {
                let v = if relu_out {
                    _mm512_max_ps(*a, zero)
                } else {
                    *a
                };
                _mm512_mask_storeu_ps(dst.as_mut_ptr().add((co0 + j) * w + x), mask, v);
            }
            x += 16;
        }
    }
}

/// Lanes `0..n` of an AVX2 vector: masked loads read nothing past them, masked stores write
/// nothing there.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn lane_mask(n: usize) -> __m256i {
    let idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), idx)
}

/// `XV` vectors of the `n` values at `p`, zero past them (nothing past them is read). `FULL`
/// says `n` is `8 * XV`, so that the tile's inner loop has no branch.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn load_tile<const XV: usize, const FULL: bool>(p: *const f32, n: usize) -> [__m256; XV] {
    let mut v = [_mm256_setzero_ps(); XV];
    for (i, v) in v.iter_mut().enumerate() {
        if FULL || n >= 8 * (i + 1) {
            *v = _mm256_loadu_ps(p.add(8 * i));
        } else if n > 8 * i {
            *v = _mm256_maskload_ps(p.add(8 * i), lane_mask(n - 8 * i));
        }
    }
    v
}

/// Stores the first `n` values of `v` at `p`.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn store_tile<const XV: usize, const FULL: bool>(p: *mut f32, n: usize, v: &[__m256; XV]) {
    for (i, v) in v.iter().enumerate() {
        if FULL || n >= 8 * (i + 1) {
            _mm256_storeu_ps(p.add(8 * i), *v);
        } else if n > 8 * i {
            _mm256_maskstore_ps(p.add(8 * i), lane_mask(n - 8 * i), *v);
        }
    }
}

/// A row of `w` pixels in tiles: `(x, n, full)` for pixels `x..x + n`, `full` when `n` is a
/// whole tile of `TILE_XV` vectors (the rest go 8 at a time).
fn tiles(w: usize) -> impl Iterator<Item = (usize, usize, bool)> {
    let full = w / (8 * TILE_XV) * (8 * TILE_XV);
    let whole = (0..full)
        .step_by(8 * TILE_XV)
        .map(|x| (x, 8 * TILE_XV, true));
    whole.chain(
        (full..w)
            .step_by(8)
            .map(move |x| (x, (w - x).min(8), false)),
    )
}

/// `acc[j] += k[j] * v` for the tile's `TILE_CO` output channels (`k`: their weights, one each).
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn fma_tile<const XV: usize>(
    acc: &mut [[__m256; XV]; TILE_CO],
    k: *const f32,
    v: &[__m256; XV],
) {
    for (j, a) in acc.iter_mut().enumerate() {
        let kj = _mm256_set1_ps(*k.add(j));
        for (a, v) in a.iter_mut().zip(v) {
            *a = _mm256_fmadd_ps(kj, *v, *a);
        }
    }
}

/// Stores the tile's first `cb` output channels, channel `j` at `out + j * stride` (after a
/// ReLU if `relu`).
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn store_channels<const XV: usize, const FULL: bool>(
    acc: &mut [[__m256; XV]; TILE_CO],
    cb: usize,
    relu: bool,
    out: *mut f32,
    stride: usize,
    n: usize,
) {
    let zero = _mm256_setzero_ps();
    for (j, a) in acc.iter_mut().enumerate().take(cb) {
        if relu {
            a.iter_mut().for_each(|v| *v = _mm256_max_ps(*v, zero));
        }
        store_tile::<XV, FULL>(out.add(j * stride), n, a);
    }
}

/// One tile of the 1x1 convolution: `TILE_CO` output channels x `XV` vectors at `x`. Whether
/// the tile is whole and whether the input gets a ReLU are parameters of the type, so that the
/// loop over input channels has no branch.
#[target_feature(enable = "avx2,fma")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn pointwise_tile_avx2<const XV: usize, const FULL: bool, const RELU_IN: bool>(
    src: &[f32],
    w: usize,
    cin: usize,
    packed: *const f32,
    (co0, cb): (usize, usize),
    bias: Option<&[f32]>,
    (relu_out, accumulate): (bool, bool),
    (x, n): (usize, usize),
    dst: &mut [f32],
) {
    let zero = _mm256_setzero_ps();
    let mut acc = [[zero; XV]; TILE_CO];
    for (j, a) in acc.iter_mut().enumerate().take(cb) {
        if accumulate {
            *a = load_tile::<XV, FULL>(dst.as_ptr().add((co0 + j) * w + x), n);
        }
        if let Some(b) = bias {
            let b = _mm256_set1_ps(b[co0 + j]);
            a.iter_mut().for_each(|v| *v = _mm256_add_ps(*v, b));
        }
    }
    let mut s = src.as_ptr().add(x);
    let mut k = packed;
    for _ in 0..cin {
        let mut v = load_tile::<XV, FULL>(s, n);
        if RELU_IN {
            v.iter_mut().for_each(|v| *v = _mm256_max_ps(*v, zero));
        }
        fma_tile(&mut acc, k, &v);
        s = s.add(w);
        k = k.add(PACK_AVX2);
    }
    let out = dst.as_mut_ptr().add(co0 * w + x);
    store_channels::<XV, FULL>(&mut acc, cb, relu_out, out, w, n);
}

/// As `rows::pointwise_row` (same arguments and result).
///
/// # Safety
/// The CPU must have AVX2 and FMA; `src` must hold `cin * w` values, `dst` `cout * w`.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn pointwise_row_avx2(
    src: &[f32],
    w: usize,
    weights: &PointwiseWeights,
    bias: Option<&[f32]>,
    relu_in: bool,
    relu_out: bool,
    accumulate: bool,
    dst: &mut [f32],
) {
    let (cin, cout) = (weights.cin(), weights.cout());
    let blocks = weights.blocks(PACK_AVX2);
    assert!(src.len() >= cin * w && dst.len() >= cout * w);
    assert!(bias.is_none_or(|b| b.len() >= cout));
    let modes = (relu_out, accumulate);
    // Pixels outside, channels inside: a tile's inputs (`cin` x 24 values) stay in L1 for
    // every block of output channels.
    for (x, n, full) in tiles(w) {
        let at = (x, n);
        for co0 in (0..cout).step_by(TILE_CO) {
            let channels = (co0, TILE_CO.min(cout - co0));
            // Channels co0..co0 + 4 of their packed block of 8 (zero past `cout`).
            let packed = blocks[(co0 / PACK_AVX2) * PACK_AVX2 * cin + co0 % PACK_AVX2..].as_ptr();
            match (full, relu_in) {
                (true, false) => pointwise_tile_avx2::<TILE_XV, true, false>(
                    src, w, cin, packed, channels, bias, modes, at, dst,
                ),
                (true, true) => pointwise_tile_avx2::<TILE_XV, true, true>(
                    src, w, cin, packed, channels, bias, modes, at, dst,
                ),
                (false, false) => pointwise_tile_avx2::<1, false, false>(
                    src, w, cin, packed, channels, bias, modes, at, dst,
                ),
                (false, true) => pointwise_tile_avx2::<1, false, true>(
                    src, w, cin, packed, channels, bias, modes, at, dst,
                ),
            }
        }
    }
}

/// One tile of the dense 3x3 convolution: `TILE_CO` output channels x `XV` vectors at `x`.
#[target_feature(enable = "avx2,fma")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn dense3x3_tile_avx2<const XV: usize, const FULL: bool>(
    rows: [&[f32]; 3],
    cin: usize,
    wp: usize,
    packed: &[f32],
    (co0, cb): (usize, usize),
    bias: &[f32],
    relu: bool,
    (x, n): (usize, usize),
    out: &mut [f32],
) {
    let mut acc = [[_mm256_setzero_ps(); XV]; TILE_CO];
    for (j, a) in acc.iter_mut().enumerate().take(cb) {
        *a = [_mm256_set1_ps(bias[co0 + j]); XV];
    }
    let mut k = packed.as_ptr();
    for ci in 0..cin {
        for row in rows {
            let p = row.as_ptr().add(ci * (wp + 2) + x);
            for dx in 0..3 {
                let v = load_tile::<XV, FULL>(p.add(dx), n);
                fma_tile(&mut acc, k, &v);
                k = k.add(TILE_CO);
            }
        }
    }
    let out = out.as_mut_ptr().add(co0 * wp + x);
    store_channels::<XV, FULL>(&mut acc, cb, relu, out, wp, n);
}

/// As `rows::dense3x3_row` (same arguments and result).
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn dense3x3_row_avx2(
    rows: [&[f32]; 3],
    wp: usize,
    weights: &Dense3x3Weights,
    bias: &[f32],
    relu: bool,
    out: &mut [f32],
) {
    let (cin, cout) = (weights.cin(), weights.cout());
    assert_eq!(Dense3x3Weights::BLOCK, TILE_CO);
    assert!(rows.iter().all(|r| r.len() >= cin * (wp + 2)));
    assert!(out.len() >= cout * wp && bias.len() >= cout);
    for co0 in (0..cout).step_by(TILE_CO) {
        let channels = (co0, TILE_CO.min(cout - co0));
        let packed = &weights.blocks4()[co0 * cin * 9..][..TILE_CO * cin * 9];
        for (x, n, full) in tiles(wp) {
            let at = (x, n);
            if full {
                dense3x3_tile_avx2::<TILE_XV, true>(
                    rows, cin, wp, packed, channels, bias, relu, at, out,
                );
            } else {
                dense3x3_tile_avx2::<1, false>(
                    rows, cin, wp, packed, channels, bias, relu, at, out,
                );
            }
        }
    }
}

/// The interior of one depthwise output row: `o[x] = act(bias + sum k[t] * taps[t][x - 1])` for
/// `x` in `1..end`, the nine taps being contiguous rows (see `rows::depthwise_row`).
///
/// # Safety
/// The CPU must have AVX-512F; every tap must hold at least `end - 1` values, `o` `end`.
#[target_feature(enable = "avx512f")]
pub unsafe fn depthwise_taps_avx512(
    taps: &[[&[f32]; 3]; 3],
    k: &[f32],
    bias: f32,
    relu: bool,
    end: usize,
    o: &mut [f32],
) {
    assert!(k.len() >= 9 && o.len() >= end);
    assert!(taps.iter().flatten().all(|t| t.len() + 1 >= end));
    let zero = _mm512_setzero_ps();
    let kv: [__m512; 9] = std::array::from_fn(|i| _mm512_set1_ps(k[i]));
    let ptr: [*const f32; 9] = std::array::from_fn(|i| taps[i / 3][i % 3].as_ptr());
    let mut x = 1;
    while x < end {
        let n = (end - x).min(16);
        let mask: __mmask16 = if n == 16 {
            0xffff
        } else {
            ((1u32 << n) - 1) as u16
        };
        let mut acc = _mm512_set1_ps(bias);
        for i in 0..9 {
            acc = _mm512_fmadd_ps(kv[i], _mm512_maskz_loadu_ps(mask, ptr[i].add(x - 1)), acc);
        }
        if relu {
            acc = _mm512_max_ps(acc, zero);
        }
        _mm512_mask_storeu_ps(o.as_mut_ptr().add(x), mask, acc);
        x += 16;
    }
}

/// As [`depthwise_taps_avx512`], with AVX2.
///
/// # Safety
/// The CPU must have AVX2 and FMA; every tap must hold at least `end - 1` values, `o` `end`.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn depthwise_taps_avx2(
    taps: &[[&[f32]; 3]; 3],
    k: &[f32],
    bias: f32,
    relu: bool,
    end: usize,
    o: &mut [f32],
) {
    assert!(k.len() >= 9 && o.len() >= end);
    assert!(taps.iter().flatten().all(|t| t.len() + 1 >= end));
    let zero = _mm256_setzero_ps();
    let mut kv = [zero; 9];
    let mut ptr = [std::ptr::null::<f32>(); 9];
    for i in 0..9 {
        kv[i] = _mm256_set1_ps(k[i]);
        ptr[i] = taps[i / 3][i % 3].as_ptr();
    }
    let mut x = 1;
    while x < end {
        let n = (end - x).min(16);
        let mut acc = [_mm256_set1_ps(bias); 2];
        for i in 0..9 {
            let v = load_tile::<2, false>(ptr[i].add(x - 1), n);
            for (a, v) in acc.iter_mut().zip(&v) {
                *a = _mm256_fmadd_ps(kv[i], *v, *a);
            }
        }
        if relu {
            acc.iter_mut().for_each(|v| *v = _mm256_max_ps(*v, zero));
        }
        store_tile::<2, false>(o.as_mut_ptr().add(x), n, &acc);
        x += 16;
    }
}

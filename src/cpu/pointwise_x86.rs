//! Hand-written x86 micro-kernels for the 1x1 convolution, the engine's hottest operation: a
//! block of output channels is accumulated in vector registers over all input channels (the
//! portable version in `rows.rs` leaves its accumulators in memory once unrolled that far).

use std::arch::x86_64::*;

use super::rows::PointwiseWeights;

/// Output channels per block: the accumulators take 16 of the 32 AVX-512 registers, or 8 of
/// the 16 AVX2 registers.
const CB: usize = 16;
const CB_AVX2: usize = 8;

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
    let blocks = weights.blocks(CB_AVX2);
    assert!(src.len() >= cin * w && dst.len() >= cout * w);
    let zero = _mm256_setzero_ps();
    // Lanes past the row's end: masked loads read nothing there, masked stores write nothing.
    let lane_mask = |n: usize| {
        let idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), idx)
    };
    for co0 in (0..cout).step_by(CB_AVX2) {
        let cb = CB_AVX2.min(cout - co0);
        let packed = &blocks[co0 * cin..][..CB_AVX2 * cin];
        let mut x = 0;
        while x < w {
            let mask = lane_mask((w - x).min(8));
            let mut acc = [zero; CB_AVX2];
            for (j, a) in acc.iter_mut().enumerate().take(cb) {
                let at = dst.as_ptr().add((co0 + j) * w + x);
                let mut v = if accumulate {
                    _mm256_maskload_ps(at, mask)
                } else {
                    zero
                };
                if let Some(b) = bias {
                    v = _mm256_add_ps(v, _mm256_set1_ps(b[co0 + j]));
                }
                *a = v;
            }
            let mut s = src.as_ptr().add(x);
            let mut k = packed.as_ptr();
            for _ in 0..cin {
                let mut v = _mm256_maskload_ps(s, mask);
                if relu_in {
                    v = _mm256_max_ps(v, zero);
                }
                for (j, a) in acc.iter_mut().enumerate() {
                    *a = _mm256_fmadd_ps(_mm256_set1_ps(*k.add(j)), v, *a);
                }
                s = s.add(w);
                k = k.add(CB_AVX2);
            }
            for (j, a) in acc.iter().enumerate().take(cb) {
                let v = if relu_out {
                    _mm256_max_ps(*a, zero)
                } else {
                    *a
                };
                _mm256_maskstore_ps(dst.as_mut_ptr().add((co0 + j) * w + x), mask, v);
            }
            x += 8;
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

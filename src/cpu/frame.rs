//! Frames in and out of the CPU engine: packed 8-bit RGB video rows, YUV frames of webcams and
//! decoders, or planar f32 tensors, converted in the same pass that pads (input) or crops
//! (output) them.

use rayon::prelude::*;

use super::rows::reflect;
use crate::frame::Packed;
use crate::yuv::YuvFrame;
use crate::Result;

/// A frame to stylize.
#[derive(Debug, Clone, Copy)]
pub enum FrameIn<'a> {
    /// 8-bit packed pixels.
    Packed(Packed<&'a [u8]>),
    /// YUY2, NV12 or I420.
    Yuv(YuvFrame<&'a [u8]>),
    /// `[3][height][width]` values in [0, 1].
    Planar(&'a [f32]),
}

/// Where the stylized frame goes. Packed output writes only the colour bytes of each pixel
/// (alpha and padding bytes are left as they are).
#[derive(Debug)]
pub enum FrameOut<'a> {
    Packed(Packed<&'a mut [u8]>),
    Yuv(YuvFrame<&'a mut [u8]>),
    /// `[3][height][width]`, unclamped.
    Planar(&'a mut [f32]),
}

/// Fills `dst` (`[hp + 2][3][wp + 2]`) from a `w` x `h` frame: edge replication up to the padded
/// size `hp` x `wp` (as `model.pad_to_stride`), then reflection by one pixel (the stem's padding).
pub(crate) fn load(frame: FrameIn, w: usize, h: usize, hp: usize, wp: usize, dst: &mut [f32]) {
    let row_len = 3 * (wp + 2);
    dst.par_chunks_mut(row_len)
        .enumerate()
        .for_each(|(py, row)| {
            let sy = reflect(py as isize - 1, hp).min(h - 1);
            let (r, gb) = row.split_at_mut(wp + 2);
            let (g, b) = gb.split_at_mut(wp + 2);
            // Columns 1..=w are the frame's own pixels, in one pass over the source row.
            match frame {
                FrameIn::Packed(frame) => {
                    let bpp = frame.layout.bytes_per_pixel;
                    let [ri, gi, bi] = frame.layout.rgb;
                    let src = frame.row(sy);
                    let planes = r[1..=w].iter_mut().zip(&mut g[1..=w]).zip(&mut b[1..=w]);
                    for (((r, g), b), px) in planes.zip(src.chunks_exact(bpp)) {
                        *r = px[ri] as f32 * (1.0 / 255.0);
                        *g = px[gi] as f32 * (1.0 / 255.0);
                        *b = px[bi] as f32 * (1.0 / 255.0);
                    }
                }
                FrameIn::Yuv(frame) => {
                    let planes = r[1..=w].iter_mut().zip(&mut g[1..=w]).zip(&mut b[1..=w]);
                    for (x, ((r, g), b)) in planes.enumerate() {
                        let [pr, pg, pb] = frame.rgb_at(x, sy);
                        *r = pr as f32 * (1.0 / 255.0);
                        *g = pg as f32 * (1.0 / 255.0);
                        *b = pb as f32 * (1.0 / 255.0);
                    }
                }
                FrameIn::Planar(data) => {
                    for (c, plane) in [&mut *r, &mut *g, &mut *b].into_iter().enumerate() {
                        plane[1..=w].copy_from_slice(&data[(c * h + sy) * w..][..w]);
                    }
                }
            }
            // Then edge replication to `wp` and the reflected border.
            for plane in [r, g, b] {
                let last = plane[w];
                plane[w + 1..=wp].fill(last);
                plane[0] = plane[2];
                plane[wp + 1] = plane[wp - 1];
            }
        });
}

/// Converts one output value to a byte (clamped to [0, 1], rounded).
#[inline(always)]
fn to_byte(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// Runs `row(y, out)` for each output row `y < h`, `out` being `[3][wp]` values, and stores the
/// first `w` columns of each into `frame`, in parallel over rows.
pub(crate) fn store<F>(frame: FrameOut, w: usize, h: usize, wp: usize, row: F) -> Result<()>
where
    F: Fn(usize, &mut [f32]) + Sync,
{
    thread_local!(static ROW: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) });
    let with_row = |y: usize, put: &mut dyn FnMut(&[f32])| {
        ROW.with_borrow_mut(|buf| {
            buf.resize(3 * wp, 0.0);
            row(y, buf);
            put(buf);
        })
    };
    match frame {
        FrameOut::Yuv(mut frame) => {
            return frame.write_rows(|y, out| {
                with_row(y, &mut |v| {
                    for (x, px) in out.chunks_exact_mut(3).enumerate() {
                        for (c, p) in px.iter_mut().enumerate() {
                            *p = to_byte(v[c * wp + x]);
                        }
                    }
                })
            });
        }
        FrameOut::Packed(Packed {
            data,
            stride,
            layout,
            ..
        }) => data
            .par_chunks_mut(stride)
            .take(h)
            .enumerate()
            .for_each(|(y, dst)| {
                with_row(y, &mut |v| {
                    let bpp = layout.bytes_per_pixel;
                    for (x, px) in dst[..w * bpp].chunks_exact_mut(bpp).enumerate() {
                        for c in 0..3 {
                            px[layout.rgb[c]] = to_byte(v[c * wp + x]);
                        }
                    }
                })
            }),
        FrameOut::Planar(data) => {
            let (r, gb) = data.split_at_mut(w * h);
            let (g, b) = gb.split_at_mut(w * h);
            r.par_chunks_mut(w)
                .zip(g.par_chunks_mut(w))
                .zip(b.par_chunks_mut(w))
                .enumerate()
                .for_each(|(y, ((r, g), b))| {
                    with_row(y, &mut |v| {
                        r.copy_from_slice(&v[..w]);
                        g.copy_from_slice(&v[wp..wp + w]);
                        b.copy_from_slice(&v[2 * wp..2 * wp + w]);
                    })
                });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::PixelLayout;

    #[test]
    fn bytes_round_like_from_tensor() {
        for b in 0..=255u8 {
            assert_eq!(to_byte(b as f32 / 255.0), b);
        }
        assert_eq!(to_byte(-3.0), 0);
        assert_eq!(to_byte(7.0), 255);
    }

    #[test]
    fn load_pads_by_edge_then_reflects() {
        // A 2x1 BGR frame padded to 4x4 (hp = wp = 4): rows replicate the single row, columns
        // replicate the last pixel, then one reflected pixel on each side.
        let layout = PixelLayout {
            rgb: [2, 1, 0],
            bytes_per_pixel: 3,
        };
        let data = [30u8, 20, 10, 60, 50, 40];
        let frame = FrameIn::Packed(Packed {
            data: &data,
            stride: 6,
            width: 2,
            height: 1,
            layout,
        });
        let mut dst = vec![0f32; 6 * 3 * 6];
        load(frame, 2, 1, 4, 4, &mut dst);
        let red: Vec<u8> = dst[..6].iter().map(|v| (v * 255.0).round() as u8).collect();
        assert_eq!(red, [40, 10, 40, 40, 40, 40]);
        assert_eq!(dst[..18], dst[5 * 18..]);
    }
}

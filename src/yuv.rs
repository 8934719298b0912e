//! YUV frames as webcams and decoders deliver them (YUY2, NV12, I420), converted to packed RGB
//! before the painter and back after it, so `v4l2src ! dinstyle ! autovideosink` needs no
//! `videoconvert`.

use rayon::prelude::*;

use crate::{Error, Result};

/// The YUV layouts the painter reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YuvFormat {
    /// Packed 4:2:2, `Y0 U Y1 V` per two pixels (most USB webcams).
    Yuy2,
    /// 4:2:0: a Y plane, then one plane of interleaved `U V` (hardware decoders).
    Nv12,
    /// 4:2:0: Y, U and V planes (software decoders).
    I420,
}

impl YuvFormat {
    pub fn planes(self) -> usize {
        match self {
            YuvFormat::Yuy2 => 1,
            YuvFormat::Nv12 => 2,
            YuvFormat::I420 => 3,
        }
    }
}

/// How Y'CbCr maps to R'G'B' (from the stream's colorimetry).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YuvMatrix {
    /// Luma weights of red and blue (BT.601: 0.299, 0.114; BT.709: 0.2126, 0.0722).
    pub kr: f32,
    pub kb: f32,
    /// Full range (0-255) instead of studio range (Y 16-235, chroma 16-240).
    pub full_range: bool,
}

impl YuvMatrix {
    /// SD video and most webcams.
    pub const BT601: YuvMatrix = YuvMatrix {
        kr: 0.299,
        kb: 0.114,
        full_range: false,
    };
    /// HD video.
    pub const BT709: YuvMatrix = YuvMatrix {
        kr: 0.2126,
        kb: 0.0722,
        full_range: false,
    };

    /// (luma scale, luma offset, chroma scale) from normalised values to bytes.
    fn range(self) -> (f32, f32, f32) {
        match self.full_range {
            true => (255.0, 0.0, 255.0),
            false => (219.0, 16.0, 224.0),
        }
    }

    /// R'G'B' bytes -> (Y, Cb, Cr) bytes as floats (unrounded).
    #[inline(always)]
    pub(crate) fn ycbcr_of(self, rgb: [u8; 3]) -> [f32; 3] {
        self.rgb_to_ycbcr(rgb.map(|v| v as f32 * (1.0 / 255.0)))
    }

    /// Normalised R'G'B' (0..1) -> (Y, Cb, Cr) bytes as floats.
    #[inline(always)]
    fn rgb_to_ycbcr(self, [r, g, b]: [f32; 3]) -> [f32; 3] {
        let (ys, yo, cs) = self.range();
        let y = self.kr * r + (1.0 - self.kr - self.kb) * g + self.kb * b;
        let cb = (b - y) / (2.0 * (1.0 - self.kb));
        let cr = (r - y) / (2.0 * (1.0 - self.kr));
        [yo + ys * y, 128.0 + cs * cb, 128.0 + cs * cr]
    }

    /// (Y, Cb, Cr) bytes -> R'G'B' bytes.
    #[inline(always)]
    pub(crate) fn ycbcr_to_rgb(self, y: u8, cb: u8, cr: u8) -> [u8; 3] {
        let (ys, yo, cs) = self.range();
        let y = (y as f32 - yo) / ys;
        let (cb, cr) = ((cb as f32 - 128.0) / cs, (cr as f32 - 128.0) / cs);
        let r = y + 2.0 * (1.0 - self.kr) * cr;
        let b = y + 2.0 * (1.0 - self.kb) * cb;
        let g = (y - self.kr * r - self.kb * b) / (1.0 - self.kr - self.kb);
        [r, g, b].map(|v| (v * 255.0 + 0.5).clamp(0.0, 255.0) as u8)
    }
}

/// A `width` x `height` YUV frame: its planes and their row strides (unused planes empty).
#[derive(Debug, Clone, Copy)]
pub struct YuvFrame<D> {
    pub format: YuvFormat,
    pub matrix: YuvMatrix,
    pub width: usize,
    pub height: usize,
    pub planes: [D; 3],
    pub strides: [usize; 3],
}

impl<D: AsRef<[u8]> + Sync> YuvFrame<D> {
    /// The R'G'B' bytes of pixel `x` of row `y` (both inside the frame).
    #[inline(always)]
    pub(crate) fn rgb_at(&self, x: usize, y: usize) -> [u8; 3] {
        let (p, s, m) = (
            |i: usize| self.planes[i].as_ref(),
            self.strides,
            self.matrix,
        );
        match self.format {
            YuvFormat::Yuy2 => {
                let pair = &p(0)[y * s[0] + 4 * (x / 2)..][..4];
                m.ycbcr_to_rgb(pair[2 * (x % 2)], pair[1], pair[3])
            }
            YuvFormat::Nv12 => {
                let uv = &p(1)[(y / 2) * s[1] + 2 * (x / 2)..][..2];
                m.ycbcr_to_rgb(p(0)[y * s[0] + x], uv[0], uv[1])
            }
            YuvFormat::I420 => {
                let c = (y / 2) * s[1] + x / 2;
                m.ycbcr_to_rgb(p(0)[y * s[0] + x], p(1)[c], p(2)[(y / 2) * s[2] + x / 2])
            }
        }
    }

    /// Bytes per row and rows of each plane this frame needs.
    fn plane_shapes(&self) -> Vec<(usize, usize)> {
        let (w, h) = (self.width, self.height);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        match self.format {
            YuvFormat::Yuy2 => vec![(4 * cw, h)],
            YuvFormat::Nv12 => vec![(w, h), (2 * cw, ch)],
            YuvFormat::I420 => vec![(w, h), (cw, ch), (cw, ch)],
        }
    }

    /// An error unless every plane holds its rows.
    pub fn check(&self, what: &str) -> Result<()> {
        for (i, (row, rows)) in self.plane_shapes().into_iter().enumerate() {
            let (len, stride) = (self.planes[i].as_ref().len(), self.strides[i]);
            if stride < row || (rows > 0 && len < (rows - 1) * stride + row) {
                return Err(Error::InvalidArgument(format!(
                    "{what}: plane {i} ({len} bytes, stride {stride}) does not hold a {}x{} {:?} frame",
                    self.width, self.height, self.format
                )));
            }
        }
        Ok(())
    }

    /// The pixels as packed RGB (`3 * width` bytes per row) into `rgb`.
    pub fn to_rgb(&self, rgb: &mut Vec<u8>) -> Result<()> {
        self.check("YUV frame")?;
        let (w, h) = (self.width, self.height);
        rgb.resize(3 * w * h, 0);
        rgb.par_chunks_mut(3 * w).enumerate().for_each(|(y, out)| {
            for (x, o) in out.chunks_exact_mut(3).enumerate() {
                o.copy_from_slice(&self.rgb_at(x, y));
            }
        });
        Ok(())
    }
}

impl<D: AsRef<[u8]> + AsMut<[u8]> + Sync> YuvFrame<D> {
    /// Writes packed RGB pixels (`3 * width` bytes per row) into the planes; each chroma sample
    /// is the mean of the pixels it covers.
    pub fn write_rgb(&mut self, rgb: &[u8]) -> Result<()> {
        let (w, h) = (self.width, self.height);
        if rgb.len() != 3 * w * h {
            return Err(Error::InvalidArgument(format!(
                "{} RGB bytes for a {w}x{h} frame",
                rgb.len()
            )));
        }
        self.write_rows(|y, out| out.copy_from_slice(&rgb[3 * w * y..][..3 * w]))
    }

    /// Writes the frame row by row, in parallel: `rows(y, out)` puts row `y`'s R'G'B' bytes
    /// (`3 * width`) in `out`. Each chroma sample is the mean of the pixels it covers.
    pub(crate) fn write_rows<F>(&mut self, rows: F) -> Result<()>
    where
        F: Fn(usize, &mut [u8]) + Sync,
    {
        thread_local!(static RGB: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) });
        self.check("YUV frame")?;
        let (w, h, m, s) = (self.width, self.height, self.matrix, self.strides);
        let (cw, format) = (w.div_ceil(2), self.format);
        // Rows sharing chroma: one (4:2:2) or two (4:2:0).
        let group = if format == YuvFormat::Yuy2 { 1 } else { 2 };
        // Group `g`: its luma rows written by `put_luma(row index in group, y, ycbcr of row)`, and
        // the mean (Cb, Cr) of every chroma column returned.
        let group_rows = |g: usize, put_luma: &mut dyn FnMut(usize, &[[f32; 3]])| {
            RGB.with_borrow_mut(|buf| {
                buf.resize(3 * w, 0);
                let mut sums = vec![[0f32; 3]; cw];
                let mut ycc = Vec::with_capacity(w);
                for (i, y) in (g * group..(g * group + group).min(h)).enumerate() {
                    rows(y, buf);
                    ycc.clear();
                    ycc.extend(buf.chunks_exact(3).map(|p| m.ycbcr_of([p[0], p[1], p[2]])));
                    for (x, [_, cb, cr]) in ycc.iter().enumerate() {
                        let sum = &mut sums[x / 2];
                        *sum = [sum[0] + cb, sum[1] + cr, sum[2] + 1.0];
                    }
                    put_luma(i, &ycc);
                }
                sums.iter()
                    .map(|[cb, cr, n]| [byte(cb / n), byte(cr / n)])
                    .collect::<Vec<_>>()
            })
        };
        let [p0, p1, p2] = &mut self.planes;
        match format {
            YuvFormat::Yuy2 => {
                let rows = p0.as_mut().par_chunks_mut(s[0]).take(h);
                rows.enumerate().for_each(|(y, row)| {
                    let mut luma = Vec::new();
                    let chroma = group_rows(y, &mut |_, ycc| {
                        luma = ycc.iter().map(|p| byte(p[0])).collect()
                    });
                    for (cx, [u, v]) in chroma.into_iter().enumerate() {
                        let y1 = luma[(2 * cx + 1).min(w - 1)];
                        row[4 * cx..][..4].copy_from_slice(&[luma[2 * cx], u, y1, v]);
                    }
                });
            }
            YuvFormat::Nv12 | YuvFormat::I420 => {
                // Two luma rows and their chroma row(s) per task.
                let luma_of = |g: usize, pair: &mut [u8]| {
                    group_rows(g, &mut |i, ycc| {
                        for (o, p) in pair[i * s[0]..][..w].iter_mut().zip(ycc) {
                            *o = byte(p[0]);
                        }
                    })
                };
                let luma_pairs = p0.as_mut().par_chunks_mut(2 * s[0]);
                let chroma_rows = p1.as_mut().par_chunks_mut(s[1]);
                if format == YuvFormat::Nv12 {
                    let groups = luma_pairs.zip(chroma_rows).take(h.div_ceil(2));
                    groups.enumerate().for_each(|(g, (pair, uv))| {
                        for (cx, c) in luma_of(g, pair).into_iter().enumerate() {
                            uv[2 * cx..][..2].copy_from_slice(&c);
                        }
                    });
                } else {
                    let v_rows = p2.as_mut().par_chunks_mut(s[2]);
                    let groups = luma_pairs.zip(chroma_rows.zip(v_rows)).take(h.div_ceil(2));
                    groups.enumerate().for_each(|(g, (pair, (u, v)))| {
                        for (cx, [cb, cr]) in luma_of(g, pair).into_iter().enumerate() {
                            (u[cx], v[cx]) = (cb, cr);
                        }
                    });
                }
            }
        }
        Ok(())
    }
}

/// A Y, Cb or Cr value as a byte.
#[inline(always)]
pub(crate) fn byte(v: f32) -> u8 {
    (v + 0.5).clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(format: YuvFormat, (w, h): (usize, usize)) -> YuvFrame<Vec<u8>> {
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let (planes, strides) = match format {
            YuvFormat::Yuy2 => ([vec![0; 4 * cw * h], vec![], vec![]], [4 * cw, 0, 0]),
            YuvFormat::Nv12 => (
                [vec![0; w * h], vec![0; 2 * cw * ch], vec![]],
                [w, 2 * cw, 0],
            ),
            YuvFormat::I420 => (
                [vec![0; w * h], vec![0; cw * ch], vec![0; cw * ch]],
                [w, cw, cw],
            ),
        };
        YuvFrame {
            format,
            matrix: YuvMatrix::BT601,
            width: w,
            height: h,
            planes,
            strides,
        }
    }

    #[test]
    fn flat_colours_survive_the_round_trip() {
        // A flat colour per 2x2 block (so chroma subsampling loses nothing), odd sizes too.
        for format in [YuvFormat::Yuy2, YuvFormat::Nv12, YuvFormat::I420] {
            for (w, h) in [(8, 6), (7, 5), (1, 1)] {
                let rgb: Vec<u8> = (0..w * h)
                    .flat_map(|i| {
                        let (x, y) = (i % w / 2, i / w / 2);
                        [
                            (40 + 50 * x) as u8,
                            (200 - 30 * y) as u8,
                            (90 + 20 * (x + y)) as u8,
                        ]
                    })
                    .collect();
                let mut yuv = frame(format, (w, h));
                yuv.write_rgb(&rgb).unwrap();
                let mut back = Vec::new();
                yuv.to_rgb(&mut back).unwrap();
                let worst = rgb.iter().zip(&back).map(|(a, b)| a.abs_diff(*b)).max();
                assert!(worst <= Some(2), "{format:?} {w}x{h}: off by {worst:?}");
            }
        }
    }

    #[test]
    fn studio_range_black_and_white() {
        let m = YuvMatrix::BT709;
        assert_eq!(m.ycbcr_to_rgb(16, 128, 128), [0, 0, 0]);
        assert_eq!(m.ycbcr_to_rgb(235, 128, 128), [255, 255, 255]);
        let [y, cb, cr] = m.rgb_to_ycbcr([1.0, 1.0, 1.0]);
        assert_eq!([byte(y), byte(cb), byte(cr)], [235, 128, 128]);
    }

    #[test]
    fn short_planes_are_errors() {
        let mut yuv = frame(YuvFormat::I420, (8, 6));
        yuv.planes[2].truncate(5);
        assert!(yuv.to_rgb(&mut Vec::new()).is_err());
        assert!(yuv.write_rgb(&[0; 3 * 48]).is_err());
    }
}

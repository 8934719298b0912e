//! Painting at the processing size: the frame scaled down once, painted there, scaled back, and
//! the photo's fine detail that the scale-down removed put back on the painting.
//!
//! Scaling a painting up 1.5-2x blurs it, and on sharp frames the blur costs both style (the
//! painting's fine texture) and structure. Adding back `detail * (Y - Y_low)`, the frame's luma
//! minus the luma of its own scaled-down-and-back copy, restores the photo's edges at full
//! resolution while the painting keeps its colours and strokes (`models/README.md`: on native
//! 512 px pairs, half the detail lowers the judge's style loss 1.87 -> 1.66 and raises SSIM
//! 0.40 -> 0.47). The painting's own fine texture can come back too: `texture` adds the fine
//! band of a second painting at the frame's own size (on the same pairs, half of it: 1.66 ->
//! 1.47 at SSIM 0.50).

use std::cell::OnceCell;

use image::RgbImage;
use rayon::prelude::*;

use super::texture::{BandSums, MOST_MATCHED_SHARE};
use crate::frame::Packed;
use crate::image_io;

/// A share in 0..=1: outside, the nearer end; NaN: none.
fn unit(share: f64) -> f32 {
    if share.is_nan() {
        0.0
    } else {
        share.clamp(0.0, 1.0) as f32
    }
}

/// BT.601 luma weights (as `evaluate.py`'s detail add-back).
const LUMA: [f32; 3] = [0.299, 0.587, 0.114];

pub(super) fn luma(px: &[u8], rgb: [usize; 3]) -> f32 {
    LUMA[0] * px[rgb[0]] as f32 + LUMA[1] * px[rgb[1]] as f32 + LUMA[2] * px[rgb[2]] as f32
}

/// The frame as the network sees it: scaled down to the processing size when `processing` is
/// set, made on first use and at most once per frame; and how it is scaled back.
pub(super) struct WorkFrame<'a> {
    pub input: Packed<&'a [u8]>,
    /// The shorter side frames are painted at before being scaled back; `None`: as they are.
    processing: Option<u32>,
    /// Share of the fine detail put back after the scale-up, in 0..=1.
    detail: f32,
    /// Share of the full-size painting's fine band added after the scale-up, in 0..=1 (unless
    /// `texture_level` chooses it).
    texture: f32,
    /// The fine-band level (`texture::fine_band_level`) the painting is brought to, where set.
    texture_level: Option<f32>,
    rgb: OnceCell<RgbImage>,
    low_luma: OnceCell<Vec<f32>>,
}

impl<'a> WorkFrame<'a> {
    /// `input` painted at `processing_size` when its shorter side is larger (0: never), given
    /// `detail` of its fine detail back and `texture` of a full-size painting's fine band (each
    /// 0 to 1; outside, the nearer end; NaN: none).
    pub fn new(input: Packed<&'a [u8]>, processing_size: u32, detail: f64, texture: f64) -> Self {
        let (w, h) = input.size();
        let scaled = processing_size > 0 && w.min(h) as u32 > processing_size;
        Self {
            input,
            processing: scaled.then_some(processing_size),
            detail: unit(detail),
            texture: unit(texture),
            texture_level: None,
            rgb: OnceCell::new(),
            low_luma: OnceCell::new(),
        }
    }

    /// Chooses the share of the fine band per frame instead of `texture`, so that the
    /// painting's fine band (with the detail put back) reaches `level` (`None`: `texture`).
    pub fn with_texture_level(mut self, level: Option<f32>) -> Self {
        self.texture_level = level.filter(|l| l.is_finite() && *l > 0.0);
        self
    }

    /// The frame is painted at the processing size and scaled back.
    pub fn scaled(&self) -> bool {
        self.processing.is_some()
    }

    /// The frame is painted a second time at its own size for the fine band (`texture`).
    pub fn textured(&self) -> bool {
        self.scaled() && (self.texture > 0.0 || self.texture_level.is_some())
    }

    /// The frame at the size it is painted at, as RGB.
    pub fn rgb(&self) -> &RgbImage {
        self.rgb.get_or_init(|| {
            let rgb = self.input.to_rgb();
            match self.processing {
                Some(side) => {
                    image_io::resample_rgb(&rgb, image_io::short_side_dims(rgb.dimensions(), side))
                }
                None => rgb,
            }
        })
    }

    /// The luma of the scaled-down frame, resampled back to the frame's size (row-major): the
    /// frame without the detail the scale-down removed.
    fn low_luma(&self) -> &[f32] {
        self.low_luma.get_or_init(|| {
            let small = self.rgb();
            let luma_small: Vec<f32> = (small.as_raw().par_chunks_exact(3))
                .map(|p| luma(p, [0, 1, 2]))
                .collect();
            let (w, h) = self.input.size();
            image_io::resample_plane(&luma_small, small.dimensions(), (w as u32, h as u32))
        })
    }

    /// Adds `texture` of the fine band of `full` (the frame painted at its own size) to
    /// `painted` (the painting at the processing size, scaled back): `full` minus its own copy
    /// scaled down to the processing size and back, so the bold strokes and colours stay those
    /// of the processing size and only the finer strokes come from the full-size painting.
    pub fn add_fine_band(&self, painted: &mut RgbImage, full: &RgbImage) {
        if !self.textured() || painted.dimensions() != full.dimensions() {
            return;
        }
        let low = image_io::resample_rgb(
            &image_io::resample_rgb(full, self.rgb().dimensions()),
            full.dimensions(),
        );
        let amount = match self.texture_level {
            Some(level) => self
                .band_sums(full, &low)
                .matching_share(level, MOST_MATCHED_SHARE),
            None => self.texture,
        };
        let row = 3 * full.width() as usize;
        painted
            .par_chunks_mut(row)
            .zip(full.as_raw().par_chunks(row))
            .zip(low.as_raw().par_chunks(row))
            .for_each(|((p, f), l)| {
                for ((p, &f), &l) in p.iter_mut().zip(f).zip(l) {
                    // + 0.5 then a saturating cast: rounded and clamped to 0..255 in one step
                    *p = (*p as f32 + amount * (f as f32 - l as f32) + 0.5) as u8;
                }
            });
    }

    /// The sums from which the fine band's level at any share follows: the luma of `full -
    /// low` (the full-size painting's fine band) against the detail `scale_back` adds.
    fn band_sums(&self, full: &RgbImage, low: &RgbImage) -> BandSums {
        let (detail, low_luma) = (self.detail, self.low_luma());
        let input = self.input;
        let (w, bpp, rgb) = (input.width, input.layout.bytes_per_pixel, input.layout.rgb);
        let row = w * bpp;
        input
            .data
            .par_chunks(input.stride)
            .take(input.height)
            .zip(full.as_raw().par_chunks_exact(3 * w))
            .zip(low.as_raw().par_chunks_exact(3 * w))
            .zip(low_luma.par_chunks(w))
            .map(|(((src, f), l), low_y)| {
                let mut sums = BandSums::default();
                let pixels = src[..row].chunks_exact(bpp).zip(f.chunks_exact(3));
                for (((s, f), l), &low_y) in pixels.zip(l.chunks_exact(3)).zip(low_y) {
                    let h = luma(f, [0, 1, 2]) - luma(l, [0, 1, 2]);
                    let d = detail * (luma(s, rgb) - low_y);
                    sums = sums.add(BandSums {
                        hh: (h * h) as f64,
                        hd: (h * d) as f64,
                        dd: (d * d) as f64,
                        pixels: 1.0,
                    });
                }
                sums
            })
            .reduce(BandSums::default, BandSums::add)
    }

    /// Writes `painted` (the painting, already scaled back to the frame's size) into the colour
    /// bytes of `output` (the frame's size and layout), in the same pass adding the frame's fine
    /// luma detail to R, G and B alike, so the painting's colours stay and only its light gains
    /// the edges.
    pub fn scale_back(&self, painted: &RgbImage, output: &mut Packed<&mut [u8]>) {
        if self.detail == 0.0 || !self.scaled() {
            output.write_rgb(painted);
            return;
        }
        let (amount, low) = (self.detail, self.low_luma());
        let input = self.input;
        let (w, layout) = (input.width, input.layout);
        let (bpp, rgb) = (layout.bytes_per_pixel, layout.rgb);
        let row = w * bpp;
        input
            .data
            .par_chunks(input.stride)
            .zip(output.data.par_chunks_mut(output.stride))
            .zip(painted.as_raw().par_chunks_exact(3 * w))
            .zip(low.par_chunks(w))
            .take(input.height)
            .for_each(|(((src, dst), paint), low)| {
                let pixels = src[..row]
                    .chunks_exact(bpp)
                    .zip(dst[..row].chunks_exact_mut(bpp))
                    .zip(paint.chunks_exact(3));
                for (((s, d), p), &l) in pixels.zip(low) {
                    // + 0.5 then a saturating cast: rounded and clamped to 0..255 in one step
                    let add = amount * (luma(s, rgb) - l) + 0.5;
                    for (c, ch) in rgb.into_iter().enumerate() {
                        d[ch] = (p[c] as f32 + add) as u8;
                    }
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| match (x + y) % 2 {
            0 => image::Rgb([200, 180, 160]),
            _ => image::Rgb([40, 60, 80]),
        })
    }

    #[test]
    fn full_detail_brings_back_what_the_scale_down_removed() {
        // A checkerboard scaled down to half is flat grey: its detail is all in Y - Y_low.
        let photo = checker(16, 12);
        let frame = WorkFrame::new(Packed::rgb(&photo), 6, 1.0, 0.0);
        assert!(frame.scaled());
        let blurred = image_io::resample_rgb(frame.rgb(), photo.dimensions());
        let mut out = photo.clone();
        frame.scale_back(&blurred, &mut Packed::rgb_mut(&mut out));
        let lum = |img: &RgbImage, x, y| luma(&img.get_pixel(x, y).0, [0, 1, 2]);
        for (x, y) in [(3, 3), (4, 3), (8, 7), (10, 5)] {
            let (want, blur, got) = (lum(&photo, x, y), lum(&blurred, x, y), lum(&out, x, y));
            assert!((got - want).abs() < 4.0, "({x},{y}): {got} vs photo {want}");
            assert!(
                (blur - want).abs() > 40.0,
                "the blurred copy kept the detail"
            );
        }
    }

    #[test]
    fn the_fine_band_brings_the_full_size_strokes_and_keeps_the_bold_colours() {
        // The full-size painting: one-pixel stripes (gone at half the size) over two bold
        // regions; the painting at the processing size: flat, in other colours.
        let full = RgbImage::from_fn(32, 24, |x, _| {
            let base = if x < 16 { 60 } else { 150 };
            image::Rgb([base + 40 * (x % 2) as u8; 3])
        });
        let photo = checker(32, 24);
        let frame = WorkFrame::new(Packed::rgb(&photo), 12, 0.0, 1.0);
        assert!(frame.textured());
        let mut painted = RgbImage::from_pixel(32, 24, image::Rgb([100, 110, 120]));
        frame.add_fine_band(&mut painted, &full);
        let at = |x, y| painted.get_pixel(x, y).0.map(i32::from);
        for y in [4, 12, 19] {
            for x in [5, 7, 21, 23] {
                let (on, off) = (at(x, y), at(x + 1, y));
                assert!(
                    (on[0] - off[0] - 40).abs() <= 8,
                    "stripe at ({x},{y}): {on:?} {off:?}"
                );
                // the bold colour stays the small painting's: mean of a stripe pair near it
                for c in 0..3 {
                    let mean = (on[c] + off[c]) / 2;
                    assert!(
                        (mean - [100, 110, 120][c]).abs() <= 6,
                        "({x},{y}) {c}: {mean}"
                    );
                }
            }
        }
    }

    #[test]
    fn no_fine_band_without_scaling_or_amount() {
        let photo = checker(8, 8);
        let full = checker(8, 8);
        let flat = RgbImage::from_pixel(8, 8, image::Rgb([10, 20, 30]));
        for (processing, amount) in [(0, 1.0), (8, 1.0), (4, 0.0), (4, -1.0), (4, f64::NAN)] {
            let frame = WorkFrame::new(Packed::rgb(&photo), processing, 0.0, amount);
            assert!(!frame.textured());
            let mut painted = flat.clone();
            frame.add_fine_band(&mut painted, &full);
            assert_eq!(painted, flat, "processing {processing}, amount {amount}");
        }
    }

    #[test]
    fn odd_and_tiny_frames() {
        for (w, h, processing) in [(2, 3, 1), (7, 5, 2), (17, 2, 1), (3, 40, 2), (9, 9, 8)] {
            let photo = checker(w, h);
            let frame = WorkFrame::new(Packed::rgb(&photo), processing, 1.0, 0.0);
            assert!(frame.scaled());
            assert_eq!(frame.rgb().width().min(frame.rgb().height()), processing);
            let painted = image_io::resample_rgb(frame.rgb(), (w, h));
            let mut out = photo.clone();
            frame.scale_back(&painted, &mut Packed::rgb_mut(&mut out));
            assert_eq!(out.dimensions(), (w, h));
        }
    }

    #[test]
    fn no_detail_without_scaling_or_amount() {
        let photo = checker(8, 8);
        let painted = RgbImage::from_pixel(8, 8, image::Rgb([10, 20, 30]));
        for (processing, amount) in [(0, 1.0), (8, 1.0), (4, 0.0), (4, -1.0), (4, f64::NAN)] {
            let frame = WorkFrame::new(Packed::rgb(&photo), processing, amount, 0.0);
            let mut out = photo.clone();
            frame.scale_back(&painted, &mut Packed::rgb_mut(&mut out));
            assert_eq!(out, painted, "processing {processing}, amount {amount}");
        }
    }

    #[test]
    fn detail_moves_light_not_colour_and_keeps_other_bytes() {
        // BGRx with padding: the x byte and the padding stay; R, G and B move by the same step.
        let layout = crate::frame::PixelLayout {
            rgb: [2, 1, 0],
            bytes_per_pixel: 4,
        };
        let (w, h, stride) = (8usize, 8usize, 36usize);
        let photo = checker(w as u32, h as u32);
        let mut src = vec![0u8; stride * h];
        let mut dst = vec![7u8; stride * h];
        let mut input = Packed {
            data: &mut src[..],
            stride,
            width: w,
            height: h,
            layout,
        };
        input.write_rgb(&photo);
        let mut output = Packed {
            data: &mut dst[..],
            ..input
        };
        let frame = WorkFrame::new(input.view(), 4, 0.5, 0.0);
        frame.scale_back(
            &RgbImage::from_pixel(8, 8, image::Rgb([100, 120, 140])),
            &mut output,
        );
        let painted = output.view().to_rgb();
        for p in painted.pixels() {
            let [r, g, b] = p.0.map(i32::from);
            assert!(
                (g - r - 20).abs() <= 1 && (b - g - 20).abs() <= 1,
                "{:?}",
                p.0
            );
        }
        assert_ne!(painted.get_pixel(0, 0), painted.get_pixel(1, 0));
        for y in 0..h {
            assert_eq!(dst[y * stride + 3], 7, "x byte");
            assert_eq!(&dst[y * stride + 32..][..4], &[7; 4], "padding");
        }
    }
}

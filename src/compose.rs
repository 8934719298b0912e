//! Per-pixel controls applied to a painted frame, on packed 8-bit pixels: keeping the content's
//! colours, and spatial control with a mask (AdaIN's "colour preservation" and "spatial
//! control", Huang & Belongie 2017, Sec. 7, done in image space).

use std::path::Path;

use image::imageops::FilterType;
use rayon::prelude::*;

use crate::cpu::PixelLayout;
use crate::{image_io, Result};

/// A packed frame: `height` rows `stride` bytes apart.
#[derive(Debug, Clone, Copy)]
pub struct Pixels<'a> {
    pub data: &'a [u8],
    pub stride: usize,
    pub layout: PixelLayout,
}

/// BT.601 luma in 8-bit fixed point (weights sum to 256).
fn luma(p: [i32; 3]) -> i32 {
    (77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8
}

fn rows<'a>(
    content: Pixels<'a>,
    out: &'a mut [u8],
    out_stride: usize,
    (w, h): (usize, usize),
) -> impl IndexedParallelIterator<Item = (usize, (&'a [u8], &'a mut [u8]))> {
    let bpp = content.layout.bytes_per_pixel;
    content
        .data
        .par_chunks(content.stride)
        .zip(out.par_chunks_mut(out_stride))
        .take(h)
        .map(move |(c, o)| (&c[..w * bpp], &mut o[..w * bpp]))
        .enumerate()
}

/// Colour preservation: gives every painted pixel the content's chroma and keeps the painting's
/// luma (adding the same amount to R, G and B moves luma by it and leaves chroma alone), so
/// the style brings its strokes and light but not its palette. Both frames share one layout.
pub fn keep_content_colours(
    content: Pixels,
    out: &mut [u8],
    out_stride: usize,
    size: (usize, usize),
) {
    let layout = content.layout;
    let (bpp, [r, g, b]) = (layout.bytes_per_pixel, layout.rgb);
    rows(content, out, out_stride, size).for_each(|(_, (c, o))| {
        for (cp, op) in c.chunks_exact(bpp).zip(o.chunks_exact_mut(bpp)) {
            let cc = [cp[r] as i32, cp[g] as i32, cp[b] as i32];
            let shift = luma([op[r] as i32, op[g] as i32, op[b] as i32]) - luma(cc);
            for (i, ch) in [r, g, b].into_iter().enumerate() {
                op[ch] = (cc[i] + shift).clamp(0, 255) as u8;
            }
        }
    });
}

/// Spatial control: `out = m * out + (1 - m) * base`, per pixel, with the mask `m` (`width *
/// height` bytes, 255 = all `out`). `base` is the content itself or a frame painted in a second
/// style.
pub fn blend_with_mask(
    base: Pixels,
    out: &mut [u8],
    out_stride: usize,
    mask: &[u8],
    (w, h): (usize, usize),
) {
    let layout = base.layout;
    let (bpp, rgb) = (layout.bytes_per_pixel, layout.rgb);
    rows(base, out, out_stride, (w, h)).for_each(|(y, (c, o))| {
        let m_row = &mask[y * w..][..w];
        for ((cp, op), &m) in c.chunks_exact(bpp).zip(o.chunks_exact_mut(bpp)).zip(m_row) {
            let m = m as u32;
            for ch in rgb {
                op[ch] = ((op[ch] as u32 * m + cp[ch] as u32 * (255 - m) + 127) / 255) as u8;
            }
        }
    });
}

/// A mask image as `width * height` bytes (its luma, 255 = painted), scaled to the frame.
pub fn load_mask(path: &Path, (w, h): (usize, usize)) -> Result<Vec<u8>> {
    let img = image_io::load_image(path, "mask image")?;
    Ok(mask_from_image(&img.rgb, (w, h)))
}

/// The luma of `img`, scaled to `w` x `h`.
pub fn mask_from_image(img: &image::RgbImage, (w, h): (usize, usize)) -> Vec<u8> {
    let grey = image::DynamicImage::ImageRgb8(img.clone()).into_luma8();
    let grey = match grey.dimensions() == (w as u32, h as u32) {
        true => grey,
        false => image::imageops::resize(&grey, w as u32, h as u32, FilterType::Triangle),
    };
    grey.into_raw()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(data: &[u8]) -> Pixels<'_> {
        Pixels {
            data,
            stride: data.len(),
            layout: PixelLayout::RGB,
        }
    }

    #[test]
    fn colours_come_from_the_content_and_light_from_the_painting() {
        // Second pixel: luma 84, painted 250, so every channel moves up by 166.
        let content = [200u8, 40, 40, 30, 90, 200];
        let mut out = [90u8, 140, 60, 250, 250, 250];
        let painted_luma = [luma([90, 140, 60]), luma([250, 250, 250])];
        keep_content_colours(px(&content), &mut out, 6, (2, 1));
        // Luma from the painting (within rounding), chroma differences from the content.
        assert!((luma([out[0] as i32, out[1] as i32, out[2] as i32]) - painted_luma[0]).abs() <= 1);
        assert_eq!(out[0] as i32 - out[1] as i32, 200 - 40);
        assert_eq!(out[1], out[2]);
        // The second pixel is pushed past white: green and blue clip, red takes the shift.
        assert_eq!(out[3..], [196, 255, 255]);
    }

    #[test]
    fn the_mask_picks_per_pixel() {
        let base = [0u8, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut out = [255u8, 255, 255, 100, 100, 100, 255, 255, 255];
        blend_with_mask(px(&base), &mut out, 9, &[255, 0, 128], (3, 1));
        assert_eq!(out, [255, 255, 255, 0, 0, 0, 128, 128, 128]);
    }

    #[test]
    fn padding_and_alpha_bytes_are_untouched() {
        // Two BGRx pixels per row, rows 10 bytes apart (2 bytes of padding).
        let layout = PixelLayout {
            rgb: [2, 1, 0],
            bytes_per_pixel: 4,
        };
        let base = vec![10u8; 20];
        let mut out = vec![200u8; 20];
        let frame = Pixels {
            data: &base,
            stride: 10,
            layout,
        };
        blend_with_mask(frame, &mut out, 10, &[0; 4], (2, 2));
        keep_content_colours(frame, &mut out, 10, (2, 2));
        for row in out.chunks(10) {
            assert_eq!(&row[..8], &[10, 10, 10, 200, 10, 10, 10, 200]);
            assert_eq!(&row[8..], &[200, 200]);
        }
    }

    #[test]
    fn masks_are_scaled_to_the_frame() {
        let img = image::RgbImage::from_fn(4, 2, |x, _| match x < 2 {
            true => image::Rgb([255, 255, 255]),
            false => image::Rgb([0, 0, 0]),
        });
        assert_eq!(
            mask_from_image(&img, (4, 2)),
            [255, 255, 0, 0, 255, 255, 0, 0]
        );
        let big = mask_from_image(&img, (8, 4));
        assert_eq!((big[0], big[7]), (255, 0));
    }
}

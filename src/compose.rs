//! Per-pixel controls applied to a painted frame, on packed 8-bit pixels: keeping the content's
//! colours, and spatial control with a mask (AdaIN's "colour preservation" and "spatial
//! control", Huang & Belongie 2017, Sec. 7, done in image space).

use image::imageops::FilterType;
use rayon::prelude::*;

use crate::frame::Packed;

/// BT.601 luma in 8-bit fixed point (weights sum to 256).
fn luma(p: [i32; 3]) -> i32 {
    (77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8
}

/// The colour bytes of both frames' rows, in parallel (the frames share size and layout).
fn rows<'a>(
    content: Packed<&'a [u8]>,
    out: &'a mut Packed<&mut [u8]>,
) -> impl IndexedParallelIterator<Item = (usize, (&'a [u8], &'a mut [u8]))> {
    let row = content.width * content.layout.bytes_per_pixel;
    content
        .data
        .par_chunks(content.stride)
        .zip(out.data.par_chunks_mut(out.stride))
        .take(content.height)
        .map(move |(c, o)| (&c[..row], &mut o[..row]))
        .enumerate()
}

/// Colour preservation: gives every painted pixel the content's chroma and keeps the painting's
/// luma (adding the same amount to R, G and B moves luma by it and leaves chroma alone), so
/// the style brings its strokes and light but not its palette. Both frames share size and layout.
pub fn keep_content_colours(content: Packed<&[u8]>, out: &mut Packed<&mut [u8]>) {
    let layout = content.layout;
    let (bpp, [r, g, b]) = (layout.bytes_per_pixel, layout.rgb);
    rows(content, out).for_each(|(_, (c, o))| {
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
/// style; both frames share size and layout.
pub fn blend_with_mask(base: Packed<&[u8]>, out: &mut Packed<&mut [u8]>, mask: &[u8]) {
    let layout = base.layout;
    let (bpp, rgb, w) = (layout.bytes_per_pixel, layout.rgb, base.width);
    rows(base, out).for_each(|(y, (c, o))| {
        let m_row = &mask[y * w..][..w];
        for ((cp, op), &m) in c.chunks_exact(bpp).zip(o.chunks_exact_mut(bpp)).zip(m_row) {
            let m = m as u32;
            for ch in rgb {
                op[ch] = ((op[ch] as u32 * m + cp[ch] as u32 * (255 - m) + 127) / 255) as u8;
            }
        }
    });
}

/// A mask as `w * h` bytes (255 = painted): `luma` scaled to the frame.
pub fn scale_mask(luma: &image::GrayImage, (w, h): (usize, usize)) -> Vec<u8> {
    match luma.dimensions() == (w as u32, h as u32) {
        true => luma.as_raw().clone(),
        false => image::imageops::resize(luma, w as u32, h as u32, FilterType::Triangle).into_raw(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::PixelLayout;

    fn px<D: AsRef<[u8]>>(data: D) -> Packed<D> {
        let len = data.as_ref().len();
        Packed {
            data,
            stride: len,
            width: len / 3,
            height: 1,
            layout: PixelLayout::RGB,
        }
    }

    #[test]
    fn colours_come_from_the_content_and_light_from_the_painting() {
        // Second pixel: luma 84, painted 250, so every channel moves up by 166.
        let content = [200u8, 40, 40, 30, 90, 200];
        let mut out = [90u8, 140, 60, 250, 250, 250];
        let painted_luma = [luma([90, 140, 60]), luma([250, 250, 250])];
        keep_content_colours(px(&content[..]), &mut px(&mut out[..]));
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
        blend_with_mask(px(&base[..]), &mut px(&mut out[..]), &[255, 0, 128]);
        assert_eq!(out, [255, 255, 255, 0, 0, 0, 128, 128, 128]);
    }

    #[test]
    fn padding_and_alpha_bytes_are_untouched() {
        // Two BGRx pixels per row, rows 10 bytes apart (2 bytes of padding).
        let layout = PixelLayout {
            rgb: [2, 1, 0],
            bytes_per_pixel: 4,
        };
        let base = [10u8; 20];
        let mut out = [200u8; 20];
        fn frame<D>(data: D, layout: PixelLayout) -> Packed<D> {
            Packed {
                data,
                stride: 10,
                width: 2,
                height: 2,
                layout,
            }
        }
        blend_with_mask(
            frame(&base[..], layout),
            &mut frame(&mut out[..], layout),
            &[0; 4],
        );
        keep_content_colours(frame(&base[..], layout), &mut frame(&mut out[..], layout));
        for row in out.chunks(10) {
            assert_eq!(&row[..8], &[10, 10, 10, 200, 10, 10, 10, 200]);
            assert_eq!(&row[8..], &[200, 200]);
        }
    }

    #[test]
    fn masks_are_scaled_to_the_frame() {
        let img = image::GrayImage::from_fn(4, 2, |x, _| match x < 2 {
            true => image::Luma([255]),
            false => image::Luma([0]),
        });
        assert_eq!(scale_mask(&img, (4, 2)), [255, 255, 0, 0, 255, 255, 0, 0]);
        let big = scale_mask(&img, (8, 4));
        assert_eq!((big[0], big[7]), (255, 0));
    }
}

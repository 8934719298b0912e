//! Packed RGB video rows <-> the RGB images the model reads and writes.

use gst_video::VideoFormat;
use image::RgbImage;

/// Where R, G and B sit in one pixel of a packed format, and how many bytes a pixel takes.
pub use dinstyle::cpu::PixelLayout as Layout;

/// The formats the element accepts, in caps preference order.
pub const FORMATS: [VideoFormat; 9] = [
    VideoFormat::Rgbx,
    VideoFormat::Bgrx,
    VideoFormat::Rgba,
    VideoFormat::Bgra,
    VideoFormat::Xrgb,
    VideoFormat::Xbgr,
    VideoFormat::Argb,
    VideoFormat::Abgr,
    VideoFormat::Rgb,
];

/// The layout of one of [`FORMATS`].
pub fn layout_of(format: VideoFormat) -> Option<Layout> {
    let (rgb, bytes_per_pixel) = match format {
        VideoFormat::Rgbx | VideoFormat::Rgba => ([0, 1, 2], 4),
        VideoFormat::Bgrx | VideoFormat::Bgra => ([2, 1, 0], 4),
        VideoFormat::Xrgb | VideoFormat::Argb => ([1, 2, 3], 4),
        VideoFormat::Xbgr | VideoFormat::Abgr => ([3, 2, 1], 4),
        VideoFormat::Rgb => ([0, 1, 2], 3),
        _ => return None,
    };
    Some(Layout {
        rgb,
        bytes_per_pixel,
    })
}

/// Reads the RGB pixels of a `width` x `height` frame whose rows start every `stride` bytes.
pub fn read_rgb(data: &[u8], stride: usize, width: u32, height: u32, layout: Layout) -> RgbImage {
    let (w, bpp) = (width as usize, layout.bytes_per_pixel);
    let mut out = Vec::with_capacity(w * height as usize * 3);
    for row in data.chunks(stride).take(height as usize) {
        for px in row[..w * bpp].chunks_exact(bpp) {
            out.extend(layout.rgb.map(|i| px[i]));
        }
    }
    RgbImage::from_raw(width, height, out).expect("buffer size matches the frame")
}

/// Writes the RGB pixels of `rgb` into a frame, leaving every other byte (alpha, padding) as
/// it is: the caller copies the input frame first, so alpha comes through unchanged.
pub fn write_rgb(rgb: &RgbImage, data: &mut [u8], stride: usize, layout: Layout) {
    let (w, bpp) = (rgb.width() as usize, layout.bytes_per_pixel);
    for (row, src) in data.chunks_mut(stride).zip(rgb.rows()) {
        for (px, p) in row[..w * bpp].chunks_exact_mut(bpp).zip(src) {
            for (c, &i) in layout.rgb.iter().enumerate() {
                px[i] = p[c];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_a_layout() {
        gst::init().unwrap();
        for f in FORMATS {
            let l = layout_of(f).unwrap();
            let info = gst_video::VideoFormatInfo::from_format(f);
            assert_eq!(l.bytes_per_pixel, info.pixel_stride()[0] as usize, "{f:?}");
            let offsets: Vec<usize> = (0..3).map(|c| info.poffset()[c] as usize).collect();
            assert_eq!(l.rgb.to_vec(), offsets, "{f:?}");
        }
        assert!(layout_of(VideoFormat::I420).is_none());
    }

    #[test]
    fn round_trip_keeps_alpha_and_padding() {
        // BGRA, 3x2 pixels, rows padded to 16 bytes.
        let layout = layout_of(VideoFormat::Bgra).unwrap();
        let stride = 16;
        let mut data: Vec<u8> = (0..stride * 2).map(|i| i as u8).collect();
        let rgb = read_rgb(&data, stride, 3, 2, layout);
        assert_eq!(rgb.get_pixel(0, 0).0, [2, 1, 0]);
        assert_eq!(rgb.get_pixel(1, 1).0, [22, 21, 20]);
        let before = data.clone();
        let inverted = RgbImage::from_fn(3, 2, |x, y| {
            image::Rgb(rgb.get_pixel(x, y).0.map(|v| 255 - v))
        });
        write_rgb(&inverted, &mut data, stride, layout);
        for (i, (&a, &b)) in data.iter().zip(&before).enumerate() {
            let in_pixel = i % stride < 12;
            if in_pixel && i % 4 != 3 {
                assert_eq!(a, 255 - b, "byte {i}");
            } else {
                assert_eq!(a, b, "byte {i} (alpha or padding) changed");
            }
        }
    }

    #[test]
    fn three_byte_rgb() {
        let layout = layout_of(VideoFormat::Rgb).unwrap();
        let data = [1, 2, 3, 4, 5, 6, 0, 0];
        let rgb = read_rgb(&data, 8, 2, 1, layout);
        assert_eq!(rgb.into_raw(), vec![1, 2, 3, 4, 5, 6]);
    }
}

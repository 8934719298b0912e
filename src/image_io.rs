//! Images in and out: decoding with EXIF orientation, resizing, conversion to and from
//! `[1, 3, H, W]` tensors in [0, 1], and atomic writes that never leave a truncated file.

use std::fs::File;
use std::io::{Cursor, Write};
use std::path::Path;

use candle_core::{Device, Tensor};
use image::imageops::FilterType;
use image::{DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

use crate::{limits, Error, Result};

/// A decoded image: its RGB pixels, and its alpha channel when it had one.
pub struct LoadedImage {
    pub rgb: RgbImage,
    pub alpha: Option<GrayImage>,
}

/// Decodes an image file (format from its content, not its name) and applies its EXIF
/// orientation. `what` names the file's role in errors ("style image").
/// The file is read within [`limits::max_image_file_bytes`], and a stream whose first bytes
/// are no image format fails before the rest is read.
pub fn load_image(path: &Path, what: &'static str) -> Result<LoadedImage> {
    let bytes = read_image_file(path, what)?;
    decode_image(&bytes, path, what)
}

/// The bytes of an image file, read as [`load_image`] reads them (for callers that hash them).
pub fn read_image_file(path: &Path, what: &'static str) -> Result<Vec<u8>> {
    let unknown = |head: &[u8]| match image::guess_format(head) {
        Ok(_) => Ok(()),
        Err(_) => Err(Error::BadImage {
            what,
            path: path.to_owned(),
            reason: match head.is_empty() {
                true => "the file is empty".into(),
                false => "its format is not one of JPEG, PNG, WebP, BMP, TIFF, GIF".into(),
            },
        }),
    };
    limits::read_file(path, what, limits::max_image_file_bytes(), unknown)
}

/// [`load_image`] for a file already read; `path` and `what` name it in errors. The declared
/// size is checked against [`limits::max_pixels`] before anything is allocated for the pixels,
/// and a truncated file is an error, not a half image.
pub fn decode_image(bytes: &[u8], path: &Path, what: &'static str) -> Result<LoadedImage> {
    let bad = |reason: String| Error::BadImage {
        what,
        path: path.to_owned(),
        reason,
    };
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| bad(e.to_string()))?;
    let format = reader.format();
    let mut decoder = reader.into_decoder().map_err(|e| bad(e.to_string()))?;
    limits::check_pixels(what, path, decoder.dimensions())?;
    let mut caps = image::Limits::default();
    // an RGBA16 image of the allowed size, plus the decoder's own buffers
    caps.max_alloc = Some(limits::max_pixels().saturating_mul(8).max(512 << 20));
    decoder.set_limits(caps).map_err(|e| bad(e.to_string()))?;
    if format == Some(ImageFormat::Jpeg) && !jpeg_is_complete(bytes) {
        return Err(bad(
            "it is truncated (no end-of-image marker after the last scan)".into(),
        ));
    }
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| bad(e.to_string()))?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    if img.width() == 0 || img.height() == 0 {
        return Err(bad("it has no pixels".into()));
    }
    let alpha = img.color().has_alpha().then(|| {
        let rgba = img.to_rgba8();
        GrayImage::from_fn(img.width(), img.height(), |x, y| {
            image::Luma([rgba.get_pixel(x, y)[3]])
        })
    });
    Ok(LoadedImage {
        rgb: img.into_rgb8(),
        alpha,
    })
}

/// Whether a JPEG's last scan is followed by the end-of-image marker. The JPEG decoder fills
/// the missing rest of a cut file with grey instead of failing; inside the scans 0xFF is
/// always stuffed (FF 00), so FF D9 after the last start-of-scan (FF DA) is the real end.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last = |marker: u8| bytes.windows(2).rposition(|w| w == [0xFF, marker]);
    matches!((last(0xDA), last(0xD9)), (Some(sos), Some(eoi)) if eoi > sos)
}

/// Resizes so that the shorter side is `side` pixels (aspect ratio kept).
pub fn resize_short_side(img: &RgbImage, side: u32) -> RgbImage {
    resize_to(img, short_side_dims(img.dimensions(), side))
}

/// The size of a `w` x `h` picture scaled so that its shorter side is `side` pixels.
pub fn short_side_dims((w, h): (u32, u32), side: u32) -> (u32, u32) {
    scale_dims(w, h, side as f64 / w.min(h).max(1) as f64)
}

/// The style encoder's input: shorter side `side`, longer side at most `4 * side` (so that a
/// panorama cannot blow up the encoder's memory).
pub fn fit_style(img: &RgbImage, side: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    let (short, long) = (w.min(h) as f64, w.max(h) as f64);
    let scale = (side as f64 / short).min(4.0 * side as f64 / long);
    resize_to(img, scale_dims(w, h, scale))
}

/// Scales down so that the longer side is at most `max_side` (0: no limit).
pub fn limit_long_side<P: image::Pixel + 'static>(
    img: &image::ImageBuffer<P, Vec<P::Subpixel>>,
    max_side: u32,
) -> image::ImageBuffer<P, Vec<P::Subpixel>> {
    let (w, h) = img.dimensions();
    if max_side == 0 || w.max(h) <= max_side {
        return img.clone();
    }
    resize_to(img, scale_dims(w, h, max_side as f64 / w.max(h) as f64))
}

fn scale_dims(w: u32, h: u32, scale: f64) -> (u32, u32) {
    let s = |n: u32| ((n as f64 * scale).round() as u32).max(1);
    (s(w), s(h))
}

/// Bicubic resampling (as the training pipeline's PIL `BICUBIC`).
pub fn resize_to<P: image::Pixel + 'static>(
    img: &image::ImageBuffer<P, Vec<P::Subpixel>>,
    (w, h): (u32, u32),
) -> image::ImageBuffer<P, Vec<P::Subpixel>> {
    if img.dimensions() == (w, h) {
        return img.clone();
    }
    image::imageops::resize(img, w, h, FilterType::CatmullRom)
}

/// [`resize_to`] for RGB pixels with SIMD (`fast_image_resize`, the same Catmull-Rom filter):
/// the painter scales every frame twice at a `processing-size`, where `image`'s scalar
/// resampling cost as much as painting the smaller frame saved.
pub fn resample_rgb(img: &RgbImage, (w, h): (u32, u32)) -> RgbImage {
    use fast_image_resize::{images, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
    if img.dimensions() == (w, h) {
        return img.clone();
    }
    let (sw, sh) = img.dimensions();
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    let mut dst = images::Image::new(w, h, PixelType::U8x3);
    let resampled = images::ImageRef::new(sw, sh, img.as_raw(), PixelType::U8x3)
        .ok()
        .and_then(|src| Resizer::new().resize(&src, &mut dst, &options).ok())
        .and_then(|()| RgbImage::from_raw(w, h, dst.into_vec()));
    // Only an empty picture fails there; the scalar path handles every size.
    resampled.unwrap_or_else(|| resize_to(img, (w, h)))
}

/// [`resample_rgb`]'s Catmull-Rom filter for one plane of floats (`w * h`, row-major), without
/// rounding: the painter's low-pass of a frame's luma.
pub fn resample_plane(plane: &[f32], (sw, sh): (u32, u32), (w, h): (u32, u32)) -> Vec<f32> {
    use fast_image_resize::images::{TypedImage, TypedImageRef};
    use fast_image_resize::pixels::F32;
    use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
    if (sw, sh) == (w, h) {
        return plane.to_vec();
    }
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    let src: Vec<F32> = plane.iter().map(|&v| F32::new(v)).collect();
    let mut dst = TypedImage::<F32>::new(w, h);
    let resampled = TypedImageRef::new(sw, sh, &src)
        .ok()
        .and_then(|src| Resizer::new().resize_typed(&src, &mut dst, &options).ok());
    match resampled {
        Some(()) => dst.pixels().iter().map(|p| p.0).collect(),
        // Only an empty plane fails there: nothing to resample, so the nearest value (or 0).
        None => vec![plane.first().copied().unwrap_or(0.0); w as usize * h as usize],
    }
}

/// `[1, 3, H, W]` f32 tensor in [0, 1] from RGB pixels, in one pass.
pub fn to_tensor(img: &RgbImage, device: &Device) -> Result<Tensor> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut planes = vec![0f32; 3 * w * h];
    let (r, rest) = planes.split_at_mut(w * h);
    let (g, b) = rest.split_at_mut(w * h);
    for (i, p) in img.pixels().enumerate() {
        r[i] = p[0] as f32 / 255.0;
        g[i] = p[1] as f32 / 255.0;
        b[i] = p[2] as f32 / 255.0;
    }
    Ok(Tensor::from_vec(planes, (1, 3, h, w), device)?)
}

/// RGB pixels from a `[1, 3, H, W]` tensor (clamped to [0, 1], rounded).
pub fn from_tensor(t: &Tensor) -> Result<RgbImage> {
    let (n, c, h, w) = t.dims4()?;
    if n != 1 || c != 3 {
        return Err(Error::InvalidArgument(format!(
            "expected one RGB image [1, 3, H, W], got {:?}",
            t.dims()
        )));
    }
    let data = t
        .to_dtype(candle_core::DType::F32)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    let px = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let plane = w * h;
    Ok(RgbImage::from_fn(w as u32, h as u32, |x, y| {
        let i = y as usize * w + x as usize;
        image::Rgb([px(data[i]), px(data[plane + i]), px(data[2 * plane + i])])
    }))
}

/// Writes `rgb` (plus `alpha` where the format keeps it) to `path`, format from the extension.
/// The file is written beside the target and renamed into place, so a failure never leaves a
/// truncated image or destroys an existing one.
pub fn save_image(rgb: &RgbImage, alpha: Option<&GrayImage>, path: &Path) -> Result<()> {
    let fail = |reason: String| Error::Write {
        path: path.to_owned(),
        reason,
    };
    let format = ImageFormat::from_path(path).map_err(|_| {
        fail("unknown image format: use a .png, .jpg, .webp, .bmp or .tiff name".into())
    })?;
    let img = match (alpha, format) {
        (Some(a), ImageFormat::Png | ImageFormat::WebP | ImageFormat::Tiff) => {
            let mut rgba = DynamicImage::ImageRgb8(rgb.clone()).into_rgba8();
            for (p, a) in rgba.pixels_mut().zip(a.pixels()) {
                p[3] = a[0];
            }
            DynamicImage::ImageRgba8(rgba)
        }
        _ => DynamicImage::ImageRgb8(rgb.clone()),
    };
    let mut encoded = Vec::new();
    let mut out = Cursor::new(&mut encoded);
    if format == ImageFormat::Jpeg {
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95);
        img.write_with_encoder(enc)
            .map_err(|e| fail(e.to_string()))?;
    } else {
        img.write_to(&mut out, format)
            .map_err(|e| fail(e.to_string()))?;
    }
    write_atomic(path, &encoded)
}

/// Writes `bytes` beside `path` and renames the file into place, so a failure never leaves a
/// truncated file or destroys an existing one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Write {
            path: path.to_owned(),
            reason: e.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_round_trip_is_exact() {
        let img = RgbImage::from_fn(7, 5, |x, y| image::Rgb([x as u8 * 30, y as u8 * 50, 255]));
        let t = to_tensor(&img, &Device::Cpu).unwrap();
        assert_eq!(t.dims(), &[1, 3, 5, 7]);
        assert_eq!(from_tensor(&t).unwrap(), img);
    }

    #[test]
    fn simd_resampling_matches_the_scalar_twin() {
        // A smooth picture with an edge: both filters are Catmull-Rom, so only rounding and the
        // kernels' support at the borders may differ.
        let img = RgbImage::from_fn(640, 360, |x, y| {
            let edge = if x > 300 { 200 } else { 40 };
            image::Rgb([(x / 3) as u8, (y / 2) as u8, edge])
        });
        for size in [(512, 288), (237, 133), (640, 360), (1280, 720), (3, 2)] {
            let (fast, scalar) = (resample_rgb(&img, size), resize_to(&img, size));
            assert_eq!(fast.dimensions(), size);
            let diffs: Vec<i32> = (fast.as_raw().iter().zip(scalar.as_raw()))
                .map(|(a, b)| (*a as i32 - *b as i32).abs())
                .collect();
            let mean = diffs.iter().sum::<i32>() as f64 / diffs.len() as f64;
            assert!(mean < 1.0, "{size:?}: mean difference {mean}");
            if size.0 > 100 {
                // away from the 2x2 extreme, every pixel agrees closely
                assert!(*diffs.iter().max().unwrap() <= 8, "{size:?}");
            }
        }
    }

    #[test]
    fn resizing_keeps_aspect_and_never_reaches_zero() {
        let img = RgbImage::new(1000, 10);
        assert_eq!(resize_short_side(&img, 256).dimensions(), (25600, 256));
        assert_eq!(fit_style(&img, 256).dimensions(), (1024, 10));
        assert_eq!(
            fit_style(&RgbImage::new(640, 480), 256).dimensions(),
            (341, 256)
        );
        assert_eq!(limit_long_side(&img, 100).dimensions(), (100, 1));
        assert_eq!(limit_long_side(&img, 0).dimensions(), (1000, 10));
        assert_eq!(limit_long_side(&img, 2000).dimensions(), (1000, 10));
    }

    fn encoded(format: ImageFormat) -> Vec<u8> {
        // noise, so that every format's compressed data spans the file
        let mut seed = 1u32;
        let img = RgbImage::from_fn(96, 64, |_, _| {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            let b = seed.to_le_bytes();
            image::Rgb([b[1], b[2], b[3]])
        });
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(img)
            .write_to(&mut out, format)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn a_truncated_image_is_an_error_in_every_format() {
        use ImageFormat::*;
        for format in [Jpeg, Png, WebP, Bmp, Tiff, Gif] {
            let bytes = encoded(format);
            let path = Path::new("cut");
            assert!(
                decode_image(&bytes, path, "style image").is_ok(),
                "{format:?}"
            );
            for keep in [bytes.len() / 10, bytes.len() / 2, bytes.len() * 9 / 10] {
                let err = decode_image(&bytes[..keep], path, "style image");
                assert!(
                    err.is_err(),
                    "{format:?} cut to {keep} of {} bytes was accepted",
                    bytes.len()
                );
            }
        }
    }

    #[test]
    fn jpeg_end_marker_must_follow_the_last_scan() {
        let bytes = encoded(ImageFormat::Jpeg);
        assert!(jpeg_is_complete(&bytes));
        assert!(!jpeg_is_complete(&bytes[..bytes.len() - 2]));
        // bytes after the end (some cameras append data) are fine
        let mut trailing = bytes.clone();
        trailing.extend_from_slice(b"trailer");
        assert!(jpeg_is_complete(&trailing));
    }
}

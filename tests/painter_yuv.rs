//! YUV frames through the painter: the direct path (converted inside the engine's load and
//! store passes) gives the same bytes as converting to RGB, painting, and converting back.

use std::sync::Arc;

use candle_core::Device;
use dinstyle::frame::Packed;
use dinstyle::yuv::{YuvFormat, YuvFrame, YuvMatrix};
use dinstyle::{image_io, DinModel, PaintSettings, Painter};

fn picture(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        let v = ((x as f32 * 0.29).sin() * (y as f32 * 0.21).cos() * 110.0 + 128.0) as u8;
        image::Rgb([v, (x * 4) as u8, (230 - 3 * y) as u8])
    })
}

/// An empty frame of `format` with padded strides (as GStreamer's buffers have).
fn frame(format: YuvFormat, w: usize, h: usize) -> YuvFrame<Vec<u8>> {
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let pad = 6;
    let (rows, strides): ([usize; 3], [usize; 3]) = match format {
        YuvFormat::Yuy2 => ([h, 0, 0], [4 * cw + pad, 0, 0]),
        YuvFormat::Nv12 => ([h, ch, 0], [w + pad, 2 * cw + pad, 0]),
        YuvFormat::I420 => ([h, ch, ch], [w + pad, cw + pad, cw + pad]),
    };
    YuvFrame {
        format,
        matrix: YuvMatrix::BT709,
        width: w,
        height: h,
        planes: [0, 1, 2].map(|i| vec![0u8; rows[i] * strides[i]]),
        strides,
    }
}

#[test]
fn the_direct_path_matches_the_rgb_path() {
    let model = Arc::new(DinModel::bundled(&Device::Cpu).unwrap());
    let style = image_io::to_tensor(&picture(64, 48), &Device::Cpu).unwrap();
    let kernels = model.encode_style(&style).unwrap();
    let mut painter = Painter::new(model, kernels, 256).unwrap();
    let settings = PaintSettings::default();
    for format in [YuvFormat::Yuy2, YuvFormat::Nv12, YuvFormat::I420] {
        for (w, h) in [(34, 22), (33, 17)] {
            let mut input = frame(format, w, h);
            input
                .write_rgb(picture(w as u32, h as u32).as_raw())
                .unwrap();
            let input_view = || YuvFrame {
                format,
                matrix: input.matrix,
                width: w,
                height: h,
                planes: [0, 1, 2].map(|i| &input.planes[i][..]),
                strides: input.strides,
            };
            // Direct.
            let mut direct = frame(format, w, h);
            let out = YuvFrame {
                planes: direct.planes.each_mut().map(|p| &mut p[..]),
                format,
                matrix: direct.matrix,
                width: w,
                height: h,
                strides: direct.strides,
            };
            painter.begin_frame(&settings, (w, h));
            painter.paint_yuv(&settings, input_view(), out).unwrap();
            // Through RGB.
            let mut rgb = Vec::new();
            input_view().to_rgb(&mut rgb).unwrap();
            let rgb_in = image::RgbImage::from_raw(w as u32, h as u32, rgb).unwrap();
            let mut rgb_out = rgb_in.clone();
            painter
                .paint(
                    &settings,
                    Packed::rgb(&rgb_in),
                    Packed::rgb_mut(&mut rgb_out),
                )
                .unwrap();
            let mut through_rgb = frame(format, w, h);
            through_rgb.write_rgb(rgb_out.as_raw()).unwrap();
            assert_eq!(direct.planes, through_rgb.planes, "{format:?} {w}x{h}");
            assert_ne!(
                direct.planes, input.planes,
                "{format:?} {w}x{h}: not painted"
            );
        }
    }
}

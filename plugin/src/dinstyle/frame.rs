//! The video formats the element handles: packed RGB (where R, G and B sit in each) and the YUV
//! formats of webcams and decoders (with their colorimetry).

use dinstyle::frame::PixelLayout;
use dinstyle::yuv::{YuvFormat, YuvMatrix};
use gst_video::{VideoColorMatrix, VideoColorRange, VideoFormat, VideoInfo};

/// The formats the element accepts (and gives out unchanged), in caps preference order.
pub const FORMATS: [VideoFormat; 12] = [
    VideoFormat::Rgbx,
    VideoFormat::Bgrx,
    VideoFormat::Rgba,
    VideoFormat::Bgra,
    VideoFormat::Xrgb,
    VideoFormat::Xbgr,
    VideoFormat::Argb,
    VideoFormat::Abgr,
    VideoFormat::Rgb,
    VideoFormat::Yuy2,
    VideoFormat::Nv12,
    VideoFormat::I420,
];

/// How the element reads and writes frames of a negotiated format.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FrameFormat {
    Packed(PixelLayout),
    Yuv(YuvFormat, YuvMatrix),
}

/// The frame format of negotiated caps (`None`: not one of [`FORMATS`]).
pub fn frame_format(info: &VideoInfo) -> Option<FrameFormat> {
    let yuv = match info.format() {
        VideoFormat::Yuy2 => YuvFormat::Yuy2,
        VideoFormat::Nv12 => YuvFormat::Nv12,
        VideoFormat::I420 => YuvFormat::I420,
        other => return layout_of(other).map(FrameFormat::Packed),
    };
    let colorimetry = info.colorimetry();
    let base = match colorimetry.matrix() {
        VideoColorMatrix::Bt709 => YuvMatrix::BT709,
        VideoColorMatrix::Bt2020 => YuvMatrix {
            kr: 0.2627,
            kb: 0.0593,
            full_range: false,
        },
        _ => YuvMatrix::BT601,
    };
    let full_range = colorimetry.range() == VideoColorRange::Range0_255;
    Some(FrameFormat::Yuv(yuv, YuvMatrix { full_range, ..base }))
}

/// The layout of one of [`FORMATS`].
pub fn layout_of(format: VideoFormat) -> Option<PixelLayout> {
    let (rgb, bytes_per_pixel) = match format {
        VideoFormat::Rgbx | VideoFormat::Rgba => ([0, 1, 2], 4),
        VideoFormat::Bgrx | VideoFormat::Bgra => ([2, 1, 0], 4),
        VideoFormat::Xrgb | VideoFormat::Argb => ([1, 2, 3], 4),
        VideoFormat::Xbgr | VideoFormat::Abgr => ([3, 2, 1], 4),
        VideoFormat::Rgb => ([0, 1, 2], 3),
        _ => return None,
    };
    Some(PixelLayout {
        rgb,
        bytes_per_pixel,
    })
}

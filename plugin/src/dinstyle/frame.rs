//! The video formats the element handles, and where R, G and B sit in each.

use dinstyle::frame::PixelLayout;
use gst_video::VideoFormat;

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

//! dinstyle: real-time arbitrary neural style transfer with Dynamic Instance Normalization.
//!
//! ```no_run
//! use std::{path::Path, sync::Arc};
//! use dinstyle::{frame::Packed, image_io, DinModel, PaintSettings, Painter};
//! # fn main() -> dinstyle::Result<()> {
//! let model = Arc::new(DinModel::bundled(&candle_core::Device::Cpu)?);
//! let style = image_io::load_image(Path::new("painting.jpg"), "style image")?;
//! let style = image_io::fit_style(&style.rgb, dinstyle::DEFAULT_STYLE_SIZE);
//! let kernels = model.encode_style(&image_io::to_tensor(&style, model.device())?)?;
//! let mut painter = Painter::new(model, kernels, dinstyle::DEFAULT_STYLE_SIZE)?;
//! let photo = image_io::load_image(Path::new("photo.jpg"), "photo")?.rgb;
//! let mut painted = photo.clone();
//! let settings = PaintSettings::default();
//! painter.begin_frame(&settings, (photo.width() as usize, photo.height() as usize));
//! painter.paint(&settings, Packed::rgb(&photo), Packed::rgb_mut(&mut painted))?;
//! painted.save("painted.png").unwrap();
//! # Ok(()) }
//! ```

pub mod compose;
pub mod cpu;
pub mod device;
pub mod engine;
mod error;
pub mod frame;
#[doc(hidden)]
pub mod fuzzing;
pub mod image_io;
pub mod limits;
pub mod model;
pub mod ops;
pub mod painter;
pub mod styles;
pub mod yuv;

pub use device::parse_device;
pub use error::{Error, Result};
pub use model::{Config, DinModel, Modulation, StyleKernels};
pub use painter::{PaintSettings, Painter};
pub use styles::{StyleCache, StyleLoader, StyleSource, StyleSpec};

/// The shipped weights (`models/din-mobile.safetensors`), compiled in so that the binary and
/// the GStreamer element work from anywhere.
pub const BUNDLED_MODEL: &[u8] = include_bytes!("../models/din-mobile.safetensors");

/// Default side (shorter side, pixels) the style image is resized to before encoding: the
/// training distribution.
pub const DEFAULT_STYLE_SIZE: u32 = 256;

/// Default shorter side (pixels) frames are painted at before being scaled back. The network's
/// strokes have a fixed size in pixels, learnt on photos of about this size against paintings at
/// the style size; painting larger frames at this size keeps the strokes in proportion to the
/// picture, as a painting's own strokes are when it is seen at the picture's size (the held-out
/// judge at 512 px: style loss 1.41 at 288 against 1.84 at full size, `models/README.md`).
pub const DEFAULT_PROCESSING_SIZE: u32 = 288;

/// Default share of a frame's fine detail put back after painting at the processing size and
/// scaling up (`PaintSettings::detail`): half, which on sharp 512 px pairs lowers the judge's
/// style loss and raises SSIM and on smooth ones costs little style (`models/README.md`).
pub const DEFAULT_DETAIL: f64 = 0.5;

/// Default share of the full-size painting's fine band added to frames painted at the
/// processing size (`PaintSettings::texture`) for video and the element: none, as it paints
/// each frame twice (at 640x360 about half the frame rate).
pub const DEFAULT_TEXTURE: f64 = 0.0;

/// The same for still pictures (`dinstyle image`) whose style has no picture to match the
/// share to (a kernel file, a preset): half, which on sharp pictures lowers the judge's style
/// loss by 7-11 % and raises SSIM, and on smooth (scaled-up) ones costs 6 % of it. Styles given
/// as pictures get `--texture auto` (`painter::texture`, `models/README.md`).
pub const DEFAULT_IMAGE_TEXTURE: f64 = 0.5;

//! dinstyle: real-time arbitrary neural style transfer with Dynamic Instance Normalization.
//!
//! ```no_run
//! use dinstyle::{image_io, DinModel};
//! # fn main() -> dinstyle::Result<()> {
//! let device = candle_core::Device::Cpu;
//! let model = DinModel::bundled(&device)?;
//! let style = image_io::load_image(std::path::Path::new("painting.jpg"), "style image")?;
//! let kernels = model.encode_style(&image_io::to_tensor(&image_io::resize_short_side(&style.rgb, 256), &device)?)?;
//! let photo = image_io::load_image(std::path::Path::new("photo.jpg"), "content image")?;
//! let out = model.stylize(&image_io::to_tensor(&photo.rgb, &device)?, &kernels)?;
//! image_io::from_tensor(&out)?.save("painted.png").unwrap();
//! # Ok(()) }
//! ```

pub mod compose;
pub mod cpu;
pub mod device;
mod error;
pub mod frame;
pub mod image_io;
pub mod model;
pub mod ops;
pub mod painter;
pub mod styles;

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

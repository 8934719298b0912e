//! The painter's mask: read once from its file, kept as luma at a bounded size so that a new
//! frame size rescales it without reading the file again, and kept when a replacement fails.

use std::path::{Path, PathBuf};

use image::GrayImage;

use crate::compose::scale_mask;
use crate::image_io;

/// Longest side a mask is kept at: beyond 4K the frame never shows the difference.
const KEPT_SIDE: u32 = 3840;

struct Loaded {
    path: PathBuf,
    luma: GrayImage,
    size: (usize, usize),
    /// `luma` scaled to `size`: what frames are blended with.
    scaled: Vec<u8>,
}

/// The mask a painter blends with, and the one it was asked for.
#[derive(Default)]
pub struct MaskSlot {
    /// The mask setting: read at the next frame.
    wanted: Option<PathBuf>,
    loaded: Option<Loaded>,
    /// A path that could not be read (not tried again on every frame).
    failed: Option<PathBuf>,
}

impl MaskSlot {
    /// Sets the mask (`None`: no mask); it is read in the next [`Self::update`].
    pub fn set(&mut self, path: Option<&Path>) {
        self.wanted = path.map(Path::to_owned);
    }

    /// Follows the setting for frames of `size`: reads a new path, rescales for a new size,
    /// forgets the mask when unset. A file that cannot be read leaves the previous mask in
    /// place; the message says so.
    pub fn update(&mut self, size: (usize, usize)) -> Option<String> {
        let Some(path) = self.wanted.as_deref() else {
            *self = Self::default();
            return None;
        };
        let mut message = None;
        let current = self.loaded.as_ref().is_some_and(|m| m.path == path);
        if !current && self.failed.as_deref() != Some(path) {
            match image_io::load_image(path, "mask image") {
                Ok(img) => {
                    let luma = image::DynamicImage::ImageRgb8(img.rgb).into_luma8();
                    let luma = image_io::limit_long_side(&luma, KEPT_SIDE);
                    self.loaded = Some(Loaded {
                        path: path.to_owned(),
                        scaled: scale_mask(&luma, size),
                        luma,
                        size,
                    });
                    self.failed = None;
                }
                Err(e) => {
                    self.failed = Some(path.to_owned());
                    message = Some(match &self.loaded {
                        Some(m) => format!("{e}; keeping the mask '{}'", m.path.display()),
                        None => format!("{e}; painting without a mask"),
                    });
                }
            }
        }
        if let Some(m) = self.loaded.as_mut().filter(|m| m.size != size) {
            m.scaled = scale_mask(&m.luma, size);
            m.size = size;
        }
        message
    }

    /// The mask at the frame's size, if there is one.
    pub fn scaled(&self) -> Option<&[u8]> {
        self.loaded.as_ref().map(|m| m.scaled.as_slice())
    }
}

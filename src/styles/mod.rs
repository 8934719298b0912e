//! Styles as users give them, turned into [`StyleKernels`]: images (encoded, or read from the
//! on-disk cache), kernel files, bundled presets, and weighted mixes of these.

mod cache;
mod file;
pub mod presets;
mod spec;

pub use cache::StyleCache;
pub use file::{
    kernels_from_bytes, kernels_to_bytes, load_kernels, read_info, save_kernels, KernelFileInfo,
    KERNELS_FORMAT,
};
pub use spec::{StyleSource, StyleSpec, KERNEL_FILE_EXTENSION};

use crate::{image_io, DinModel, Result, StyleKernels};

/// Loads styles for one model at one style size.
#[derive(Debug, Clone)]
pub struct StyleLoader<'a> {
    pub model: &'a DinModel,
    /// Shorter side style images are scaled to before encoding.
    pub style_size: u32,
    pub cache: StyleCache,
}

impl<'a> StyleLoader<'a> {
    pub fn new(model: &'a DinModel, style_size: u32, cache: StyleCache) -> Self {
        Self {
            model,
            style_size,
            cache,
        }
    }

    /// The kernels of a spec: each part loaded, then mixed by weight (style interpolation in
    /// kernel space, as AdaIN interpolates feature statistics).
    pub fn load(&self, spec: &StyleSpec) -> Result<StyleKernels> {
        if let [(source, _)] = spec.parts.as_slice() {
            return self.load_source(source);
        }
        let kernels = spec
            .parts
            .iter()
            .map(|(s, _)| self.load_source(s))
            .collect::<Result<Vec<_>>>()?;
        let parts: Vec<_> = kernels
            .iter()
            .zip(&spec.parts)
            .map(|(k, (_, w))| (k, *w))
            .collect();
        Ok(StyleKernels::mix(&parts)?)
    }

    /// The kernels of one source.
    pub fn load_source(&self, source: &StyleSource) -> Result<StyleKernels> {
        match source {
            StyleSource::Image(path) => {
                let bytes = image_io::read_image_file(path, "style image")?;
                if let Some(k) = self.cache.get(&bytes, self.model, self.style_size) {
                    return Ok(k);
                }
                let kernels = self.encode(&bytes, path)?;
                let name = source.name();
                self.cache
                    .put(&bytes, self.model, self.style_size, &name, &kernels);
                Ok(kernels)
            }
            StyleSource::KernelFile(path) => Ok(load_kernels(path, self.model)?.0),
            StyleSource::Preset(name) => presets::load(name, self.model),
        }
    }

    /// Runs the style encoder on an image file's bytes (no cache).
    pub fn encode(&self, bytes: &[u8], path: &std::path::Path) -> Result<StyleKernels> {
        let img = image_io::decode_image(bytes, path, "style image")?;
        let img = image_io::fit_style(&img.rgb, self.style_size);
        let tensor = image_io::to_tensor(&img, self.model.device())?;
        Ok(self.model.encode_style(&tensor)?)
    }
}

//! The on-disk style cache: kernels of every style image encoded before, keyed by the image's
//! content, the model and the style size, so that a repeated style costs a file read instead of
//! a run of the style encoder.
//!
//! Location: `$DINSTYLE_CACHE_DIR` (empty: no cache), else `$XDG_CACHE_HOME/dinstyle/styles`,
//! else `~/.cache/dinstyle/styles`. Entries are small kernel files (about 22 KB for
//! din-mobile); deleting the folder is always safe.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::file::{kernels_from_bytes, kernels_to_bytes, KernelFileInfo};
use crate::{DinModel, StyleKernels};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyleCache {
    dir: Option<PathBuf>,
}

impl StyleCache {
    /// The user's cache folder (see the module docs); disabled when none can be found.
    pub fn from_env() -> Self {
        let env = |k: &str| std::env::var_os(k).map(PathBuf::from);
        let dir = match env("DINSTYLE_CACHE_DIR") {
            Some(d) if d.as_os_str().is_empty() => None,
            Some(d) => Some(d),
            None => env("XDG_CACHE_HOME")
                .filter(|d| d.is_absolute())
                .or_else(|| env("HOME").map(|h| h.join(".cache")))
                .map(|d| d.join("dinstyle").join("styles")),
        };
        Self { dir }
    }

    /// A cache in `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: Some(dir.into()),
        }
    }

    /// No cache: every style image is encoded.
    pub fn disabled() -> Self {
        Self { dir: None }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn entry(&self, image: &[u8], model: &DinModel, style_size: u32) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let hash = Sha256::digest(image);
        let hash: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
        let model_id = model.identity();
        // A model built without a file has no identity to key on.
        (!model_id.is_empty()).then(|| dir.join(format!("{hash}-{model_id}-{style_size}.dinstyle")))
    }

    /// The kernels cached for this image, model and size, if any (a damaged entry is removed).
    pub fn get(&self, image: &[u8], model: &DinModel, style_size: u32) -> Option<StyleKernels> {
        let path = self.entry(image, model, style_size)?;
        let bytes = super::file::read_kernel_file(&path, "cache entry").ok()?;
        match kernels_from_bytes(&bytes, "cache entry", model) {
            Ok((k, info)) if info.style_size == style_size => Some(k),
            _ => {
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores kernels; best effort (a read-only or full disk only costs the next encode).
    pub fn put(
        &self,
        image: &[u8],
        model: &DinModel,
        style_size: u32,
        source: &str,
        kernels: &StyleKernels,
    ) {
        let Some(path) = self.entry(image, model, style_size) else {
            return;
        };
        let info = KernelFileInfo {
            model: model.identity().to_owned(),
            style_size,
            source: source.to_owned(),
        };
        let stored = std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))
            .ok()
            .and_then(|_| kernels_to_bytes(kernels, &info).ok())
            .and_then(|bytes| crate::image_io::write_atomic(&path, &bytes).ok());
        if stored.is_none() {
            let _ = std::fs::remove_file(&path);
        }
    }
}

//! Style kernel files (`.dinstyle`): a style's encoded kernels, tagged with the model that made
//! them, so a style can be switched to instantly without running the style encoder.
//!
//! A safetensors file: `din{1,2,3}.weight` (`[groups, group_size, group_size]`),
//! `din{1,2,3}.bias` (`[channels]`) and, for a model with a modulated decoder,
//! `modulation.{scale,shift}` (`[M]`), and for a model with an upscaled style path the same
//! again under `upscaled.`, in f32, and metadata `format`, `model` (the model's
//! [`DinModel::identity`]), `style_size` and `source` (what was encoded).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use safetensors::tensor::{Dtype, TensorView};

use crate::model::{DynamicKernel, Modulation};
use crate::{limits, DinModel, Error, Result, StyleKernels};

/// `format` entry of a kernel file's metadata.
pub const KERNELS_FORMAT: &str = "dinstyle-kernels/1";

/// What a kernel file says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelFileInfo {
    /// [`DinModel::identity`] of the model that encoded the style.
    pub model: String,
    /// The style image's shorter side when it was encoded.
    pub style_size: u32,
    /// What was encoded (an image file name, or a preset's painting).
    pub source: String,
}

/// Serialises `kernels` with `info` into the bytes of a kernel file.
pub fn kernels_to_bytes(kernels: &StyleKernels, info: &KernelFileInfo) -> Result<Vec<u8>> {
    let mut named: Vec<(String, &Tensor)> = Vec::new();
    let mut sets = vec![("", kernels)];
    sets.extend(kernels.upscaled.as_deref().map(|k| ("upscaled.", k)));
    for (prefix, kernels) in sets {
        for (i, layer) in kernels.layers.iter().enumerate() {
            named.push((format!("{prefix}din{}.weight", i + 1), &layer.weight));
            named.push((format!("{prefix}din{}.bias", i + 1), &layer.bias));
        }
        if let Some(m) = &kernels.modulation {
            named.push((format!("{prefix}modulation.scale"), &m.scale));
            named.push((format!("{prefix}modulation.shift"), &m.shift));
        }
    }
    let mut data: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, t) in named {
        let values = t
            .to_dtype(candle_core::DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        data.push((name, t.dims().to_vec(), bytes));
    }
    let views = data
        .iter()
        .map(|(name, shape, bytes)| {
            TensorView::new(Dtype::F32, shape.clone(), bytes).map(|v| (name.clone(), v))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::InvalidArgument(format!("cannot serialise kernels: {e}")))?;
    let metadata = HashMap::from([
        ("format".to_owned(), KERNELS_FORMAT.to_owned()),
        ("model".to_owned(), info.model.clone()),
        ("style_size".to_owned(), info.style_size.to_string()),
        ("source".to_owned(), info.source.clone()),
    ]);
    safetensors::serialize(views, Some(metadata))
        .map_err(|e| Error::InvalidArgument(format!("cannot serialise kernels: {e}")))
}

/// What a kernel file's bytes say about themselves (format checked); `source_name` names the
/// file in errors.
pub fn read_info(bytes: &[u8], source_name: &str) -> Result<KernelFileInfo> {
    let bad = |reason: String| Error::Kernels {
        source_name: source_name.to_owned(),
        reason,
    };
    limits::check_safetensors_header(bytes)
        .map_err(|e| bad(format!("damaged, or not a dinstyle kernel file: {e}")))?;
    let (_, meta) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| bad(format!("damaged, or not a dinstyle kernel file ({e})")))?;
    let meta = meta.metadata().clone().unwrap_or_default();
    if meta.get("format").map(String::as_str) != Some(KERNELS_FORMAT) {
        return Err(bad(format!(
            "not a dinstyle kernel file (format {:?}, expected \"{KERNELS_FORMAT}\")",
            meta.get("format")
        )));
    }
    let field = |k: &str| {
        meta.get(k)
            .cloned()
            .ok_or_else(|| bad(format!("no \"{k}\" in the metadata")))
    };
    Ok(KernelFileInfo {
        model: field("model")?,
        style_size: field("style_size")?
            .parse()
            .map_err(|_| bad("bad \"style_size\"".into()))?,
        source: field("source")?,
    })
}

/// Reads a kernel file's bytes for `model` (on its device). `source_name` names the file in
/// errors. Refuses files made with another model or of the wrong shape.
pub fn kernels_from_bytes(
    bytes: &[u8],
    source_name: &str,
    model: &DinModel,
) -> Result<(StyleKernels, KernelFileInfo)> {
    let bad = |reason: String| Error::Kernels {
        source_name: source_name.to_owned(),
        reason,
    };
    let info = read_info(bytes, source_name)?;
    if info.model != model.identity() {
        return Err(bad(format!(
            "it was made with model {} but this is model {}; encode the style again with this \
             model (dinstyle encode-style IMAGE -o FILE)",
            info.model,
            model.identity()
        )));
    }
    let tensors = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("damaged kernel file ({e})")))?;
    let config = model.config();
    let read = |key: &str, shape: Vec<usize>| -> Result<Tensor> {
        let view = tensors
            .tensor(key)
            .map_err(|_| bad(format!("no tensor {key}")))?;
        if view.dtype() != Dtype::F32 || view.shape() != shape.as_slice() {
            return Err(bad(format!(
                "{key} is {:?} {:?}, this model needs F32 {shape:?}",
                view.dtype(),
                view.shape()
            )));
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if values.iter().any(|v| !v.is_finite()) {
            return Err(bad(format!("{key} holds values that are not finite")));
        }
        Ok(Tensor::from_vec(values, shape, &Device::Cpu)?.to_device(model.device())?)
    };
    // One set of kernels, the tensors under `prefix`.
    let set = |prefix: &str| -> Result<StyleKernels> {
        let layer = |i: usize| -> Result<DynamicKernel> {
            let c = config.widths[i];
            let gs = config.group_size(c);
            Ok(DynamicKernel {
                weight: read(
                    &format!("{prefix}din{}.weight", i + 1),
                    vec![c / gs, gs, gs],
                )?,
                bias: read(&format!("{prefix}din{}.bias", i + 1), vec![c])?,
            })
        };
        let modulation = match config.modulated_decoder {
            true => {
                let m = config.modulated_channels();
                Some(Modulation {
                    scale: read(&format!("{prefix}modulation.scale"), vec![m])?,
                    shift: read(&format!("{prefix}modulation.shift"), vec![m])?,
                })
            }
            false => None,
        };
        Ok(StyleKernels {
            layers: [layer(0)?, layer(1)?, layer(2)?],
            modulation,
            upscaled: None,
        })
    };
    let upscaled = match config.upscaled_style_path {
        true => Some(Box::new(set("upscaled.")?)),
        false => None,
    };
    let kernels = StyleKernels {
        upscaled,
        ..set("")?
    };
    Ok((kernels, info))
}

/// Writes a kernel file (atomically: never a half-written file at `path`).
pub fn save_kernels(path: &Path, kernels: &StyleKernels, info: &KernelFileInfo) -> Result<()> {
    crate::image_io::write_atomic(path, &kernels_to_bytes(kernels, info)?)
}

/// Reads a kernel file for `model`.
pub fn load_kernels(path: &Path, model: &DinModel) -> Result<(StyleKernels, KernelFileInfo)> {
    let source_name = format!("'{}'", path.display());
    let bytes = read_kernel_file(path, &source_name)?;
    kernels_from_bytes(&bytes, &source_name, model)
}

/// A kernel file's bytes, within [`limits::MAX_KERNEL_FILE_BYTES`].
pub(crate) fn read_kernel_file(path: &Path, source_name: &str) -> Result<Vec<u8>> {
    let head = |head: &[u8]| match limits::safetensors_head_problem(head) {
        Some(reason) => Err(Error::Kernels {
            source_name: source_name.to_owned(),
            reason,
        }),
        None => Ok(()),
    };
    limits::read_file(
        path,
        "style kernel file",
        limits::MAX_KERNEL_FILE_BYTES,
        head,
    )
}

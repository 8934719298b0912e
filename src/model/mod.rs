//! DIN: Dynamic Instance Normalization for arbitrary style transfer.
//!
//! Jing, Liu, Ding, Wang, Ding, Song, Wen, "Dynamic Instance Normalization for Arbitrary Style
//! Transfer", AAAI 2020. The hierarchical MobileNet network of the paper's Fig. 4, as trained by
//! `models/train/model.py` (whose module names are the checkpoint keys read here):
//!
//! * [`DinModel::encode_style`] runs the style encoder and the weight/bias networks once per
//!   style and returns [`StyleKernels`] (two sets when the model has a style path for frames
//!   painted smaller and scaled up, [`Config::upscaled_style_path`]);
//! * [`DinModel::stylize`] runs the light content encoder, the three DIN layers (instance norm +
//!   the cached dynamic 1x1 convolutions) and the decoder, once per frame.

mod content;
mod din;
mod layers;
mod style;

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};

pub use din::{DynamicKernel, IN_EPS};

use crate::{limits, Error};
use content::{ContentEncoder, Decoder};
use style::StylePath;

/// Total down-sampling of the content path: frames are padded to a multiple of it.
pub const STRIDE: usize = 4;
/// Smallest internal side: the 1/4 level must keep 2 pixels for reflection padding.
pub const MIN_SIDE: usize = 8;
/// `format` entry of the model file's metadata.
pub const FORMAT: &str = "dinstyle-din/1";

/// The dynamic convolution's channel mixing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DinMode {
    /// Per-channel scale and shift (the CIN/AdaIN special case).
    Channel,
    /// Block-diagonal mixing within `din_groups` groups.
    Group,
    /// Full channel mixing.
    Full,
}

/// What the weight, bias and modulation networks pool over the style's positions before their
/// last (linear) layer (`model.Config.param_pool`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamPool {
    /// The mean of every hidden unit.
    #[default]
    Mean,
    /// The mean of every hidden unit, then its standard deviation (`sqrt(var + 1e-5)`).
    MeanStd,
}

/// Architecture hyper-parameters, stored as JSON in the model file (`model.Config`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Content path channels at scales 1, 1/2, 1/4.
    pub widths: [usize; 3],
    pub din_mode: DinMode,
    pub din_groups: usize,
    /// Style encoder channels, one per level (scales 1 .. 1/2^(n-1)).
    pub style_widths: Vec<usize>,
    /// Hidden channels of the weight and bias networks.
    pub hidden: usize,
    /// The style encoder level each DIN layer's weight and bias networks read.
    #[serde(default = "deepest_taps")]
    pub style_taps: [usize; 3],
    /// Every decoder conv but the head scales and shifts its output channels per style
    /// ([`Modulation`], from the deepest style level); folded into the weights once per style.
    #[serde(default)]
    pub modulated_decoder: bool,
    /// Hidden channels of the modulation network.
    #[serde(default = "default_modulation_hidden")]
    pub modulation_hidden: usize,
    /// The modulation's scale is `bound * tanh(.)`: every gain stays within `1 +- bound`.
    #[serde(default = "default_modulation_bound")]
    pub modulation_bound: f64,
    /// PReLU instead of ReLU in the weight, bias and modulation networks.
    #[serde(default)]
    pub param_prelu: bool,
    /// Statistics of the hidden units that the weight, bias and modulation networks' last layer
    /// reads.
    #[serde(default)]
    pub param_pool: ParamPool,
    /// Residual blocks at full resolution before the head, and the head's kernel side
    /// (`model.Config`, training experiments so far). These engines run neither: a model with
    /// them is refused rather than run without them.
    #[serde(default)]
    pub full_res_blocks: usize,
    #[serde(default = "default_head_kernel")]
    pub head_kernel: usize,
    /// A second style path under `upscaled.` for frames painted at the processing size and
    /// scaled up: kernels trained for the larger, softer strokes of an upscaled picture
    /// (`model.Config.upscaled_style_path`).
    #[serde(default)]
    pub upscaled_style_path: bool,
}

fn default_head_kernel() -> usize {
    3
}

fn default_modulation_hidden() -> usize {
    128
}

fn default_modulation_bound() -> f64 {
    0.25
}

/// Models exported before `style_taps` existed read the deepest level everywhere.
fn deepest_taps() -> [usize; 3] {
    [4; 3]
}

impl Config {
    /// The shipped network (`model.Config.preset("din-mobile")`): 16/32/64 channels, full
    /// channel mixing in the DIN layers, which read style levels 1, 2 and 4.
    pub fn din_mobile() -> Self {
        Self {
            widths: [16, 32, 64],
            din_mode: DinMode::Full,
            din_groups: 4,
            style_widths: vec![32, 64, 128, 256, 256],
            hidden: 64,
            style_taps: [1, 2, 4],
            modulated_decoder: false,
            modulation_hidden: default_modulation_hidden(),
            modulation_bound: default_modulation_bound(),
            param_prelu: false,
            param_pool: ParamPool::Mean,
            full_res_blocks: 0,
            head_kernel: default_head_kernel(),
            upscaled_style_path: false,
        }
    }

    /// `din-mobile` with a style-modulated decoder and PReLU weight, bias and modulation
    /// networks (`model.Config.preset("din-modulated")`).
    pub fn din_modulated() -> Self {
        Self {
            modulated_decoder: true,
            param_prelu: true,
            ..Self::din_mobile()
        }
    }

    /// Channels a modulated decoder scales and shifts, the length of [`Modulation`]'s vectors:
    /// depthwise and pointwise convs of two residual blocks at 1/4, then the 1x1 and depthwise
    /// convs of the two up-sampling levels (`model.Decoder.modulated_convs`).
    pub fn modulated_channels(&self) -> usize {
        let [c1, c2, c3] = self.widths;
        8 * c3 + 2 * c2 + 2 * c1
    }

    /// Channels per block of the dynamic convolution at content width `channels`.
    pub fn group_size(&self, channels: usize) -> usize {
        match self.din_mode {
            DinMode::Channel => 1,
            DinMode::Group => channels / self.din_groups,
            DinMode::Full => channels,
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.widths.contains(&0)
            || self.style_widths.is_empty()
            || self.hidden == 0
            || (self.modulated_decoder && self.modulation_hidden == 0)
        {
            return Err(format!("empty layer in {self:?}"));
        }
        if self.full_res_blocks != 0 || self.head_kernel != 3 {
            return Err(format!(
                "the model has {} full-resolution decoder blocks and a {k}x{k} head; this dinstyle \
                 runs models with none and a 3x3 head",
                self.full_res_blocks,
                k = self.head_kernel
            ));
        }
        if let Some(t) = self
            .style_taps
            .iter()
            .find(|&&t| t >= self.style_widths.len())
        {
            return Err(format!(
                "style tap {t} is past the {} style encoder levels",
                self.style_widths.len()
            ));
        }
        if self.din_mode == DinMode::Group
            && (self.din_groups == 0 || self.widths.iter().any(|c| c % self.din_groups != 0))
        {
            return Err(format!(
                "{} DIN groups do not divide widths {:?}",
                self.din_groups, self.widths
            ));
        }
        Ok(())
    }
}

/// A style's scale and shift of the decoder's output channels (`Config::modulated_decoder`):
/// the conv's output `y` becomes `(1 + scale) * y + shift`.
#[derive(Debug, Clone)]
pub struct Modulation {
    /// `[M]`, M = [`Config::modulated_channels`]
    pub scale: Tensor,
    /// `[M]`
    pub shift: Tensor,
}

/// The dynamic kernels of one style for the three DIN layers (scales 1, 1/2, 1/4), and the
/// decoder's modulation when the model has one. Computed once per style by
/// [`DinModel::encode_style`], reused for every frame.
#[derive(Debug, Clone)]
pub struct StyleKernels {
    pub layers: [DynamicKernel; 3],
    pub modulation: Option<Modulation>,
    /// The kernels for frames painted smaller and scaled up, when the model has a style path
    /// for them ([`Config::upscaled_style_path`]); [`Self::for_frames`] picks.
    pub upscaled: Option<Box<StyleKernels>>,
}

impl StyleKernels {
    /// Weighted sum of kernels: style interpolation, and the content-style trade-off when one
    /// of the parts is the content's own kernels (weights need not sum to one).
    pub fn mix(parts: &[(&StyleKernels, f64)]) -> candle_core::Result<StyleKernels> {
        let Some(((first, w0), rest)) = parts.split_first() else {
            candle_core::bail!("mixing needs at least one set of style kernels");
        };
        if rest.iter().any(|(k, _)| {
            k.modulation.is_some() != first.modulation.is_some()
                || k.upscaled.is_some() != first.upscaled.is_some()
        }) {
            candle_core::bail!("style kernels of different models cannot be mixed");
        }
        // Weighted sum of one tensor of every part (`None`: a part without it).
        let sum = |pick: &dyn Fn(&StyleKernels) -> Option<&Tensor>| -> candle_core::Result<Tensor> {
            let missing = || candle_core::Error::Msg("style kernels of different models".into());
            let mut acc = (pick(first).ok_or_else(missing)? * *w0)?;
            for (k, w) in rest {
                acc = (acc + (pick(k).ok_or_else(missing)? * *w)?)?;
            }
            Ok(acc)
        };
        let layer = |i: usize| -> candle_core::Result<DynamicKernel> {
            Ok(DynamicKernel {
                weight: sum(&|k| Some(&k.layers[i].weight))?,
                bias: sum(&|k| Some(&k.layers[i].bias))?,
            })
        };
        let modulation = match &first.modulation {
            Some(_) => Some(Modulation {
                scale: sum(&|k| k.modulation.as_ref().map(|m| &m.scale))?,
                shift: sum(&|k| k.modulation.as_ref().map(|m| &m.shift))?,
            }),
            None => None,
        };
        let upscaled = match &first.upscaled {
            Some(_) => {
                let parts: Vec<_> = parts
                    .iter()
                    .filter_map(|(k, w)| k.upscaled.as_deref().map(|u| (u, *w)))
                    .collect();
                Some(Box::new(Self::mix(&parts)?))
            }
            None => None,
        };
        Ok(StyleKernels {
            layers: [layer(0)?, layer(1)?, layer(2)?],
            modulation,
            upscaled,
        })
    }

    /// The kernels to paint frames with: the upscaled set for frames painted smaller and scaled
    /// up (`upscaled`) when there is one, else these.
    pub fn for_frames(&self, upscaled: bool) -> &StyleKernels {
        match (&self.upscaled, upscaled) {
            (Some(k), true) => k,
            _ => self,
        }
    }

    /// The content-style trade-off: `alpha` of the style, `1 - alpha` of the content's own
    /// kernels (`alpha = 0` gives the content back, as AdaIN's `alpha` does).
    pub fn with_alpha(&self, own: &StyleKernels, alpha: f64) -> candle_core::Result<Self> {
        Self::mix(&[(self, alpha), (own, 1.0 - alpha)])
    }

    pub fn to_device(&self, device: &Device) -> candle_core::Result<Self> {
        let move_kernel = |k: &DynamicKernel| -> candle_core::Result<DynamicKernel> {
            Ok(DynamicKernel {
                weight: k.weight.to_device(device)?,
                bias: k.bias.to_device(device)?,
            })
        };
        let [a, b, c] = &self.layers;
        let modulation = match &self.modulation {
            Some(m) => Some(Modulation {
                scale: m.scale.to_device(device)?,
                shift: m.shift.to_device(device)?,
            }),
            None => None,
        };
        let upscaled = match &self.upscaled {
            Some(k) => Some(Box::new(k.to_device(device)?)),
            None => None,
        };
        Ok(Self {
            layers: [move_kernel(a)?, move_kernel(b)?, move_kernel(c)?],
            modulation,
            upscaled,
        })
    }
}

/// The DIN network: content path, style path (and the upscaled one), three DIN layers.
#[derive(Debug, Clone)]
pub struct DinModel {
    config: Config,
    content_encoder: ContentEncoder,
    style_path: StylePath,
    /// [`Config::upscaled_style_path`]
    upscaled_style_path: Option<StylePath>,
    decoder: Decoder,
    /// The weights as read, for engines that keep their own copy (the CPU engine).
    weights: Weights,
    device: Device,
    /// Hash of the model file: style kernel files name the model they were made with.
    identity: String,
}

impl DinModel {
    pub fn new(config: Config, vb: VarBuilder<'static>) -> candle_core::Result<Self> {
        config.validate().map_err(candle_core::Error::msg)?;
        let upscaled_style_path = match config.upscaled_style_path {
            true => Some(StylePath::new(&config, vb.pp("upscaled"))?),
            false => None,
        };
        Ok(Self {
            content_encoder: ContentEncoder::new(config.widths, vb.pp("content_encoder"))?,
            style_path: StylePath::new(&config, vb.clone())?,
            upscaled_style_path,
            decoder: Decoder::new(config.widths, vb.pp("decoder"))?,
            weights: Weights(vb.clone()),
            device: vb.device().clone(),
            identity: String::new(),
            config,
        })
    }

    /// Loads a model file written by `models/train/export.py`.
    pub fn load(path: &Path, device: &Device) -> Result<Self, Error> {
        let source = path.display().to_string();
        let head = |head: &[u8]| match limits::safetensors_head_problem(head) {
            Some(reason) => Err(Error::Model {
                source_name: source.clone(),
                reason,
            }),
            None => Ok(()),
        };
        let bytes = limits::read_file(path, "model", limits::MAX_MODEL_FILE_BYTES, head)?;
        Self::from_safetensors(bytes, &path.display().to_string(), device)
    }

    /// The model shipped in `models/` and compiled into the library.
    pub fn bundled(device: &Device) -> Result<Self, Error> {
        Self::from_safetensors(crate::BUNDLED_MODEL.to_vec(), "bundled model", device)
    }

    /// Loads from the bytes of a safetensors file; `source` names it in errors.
    pub fn from_safetensors(bytes: Vec<u8>, source: &str, device: &Device) -> Result<Self, Error> {
        let bad = |reason: String| Error::Model {
            source_name: source.to_owned(),
            reason,
        };
        limits::check_safetensors_header(&bytes)
            .map_err(|e| bad(format!("not a model file: {e}")))?;
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes)
            .map_err(|e| bad(format!("not a safetensors file ({e})")))?;
        let meta = meta.metadata().clone().unwrap_or_default();
        match meta.get("format") {
            Some(f) if f == FORMAT => {}
            other => {
                return Err(bad(format!(
                    "format is {other:?}, this dinstyle reads \"{FORMAT}\""
                )))
            }
        }
        let config: Config = meta
            .get("config")
            .ok_or_else(|| bad("no \"config\" in the metadata".into()))
            .and_then(|c| serde_json::from_str(c).map_err(|e| bad(format!("bad config: {e}"))))?;
        let identity = model_identity(&bytes);
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, device)
            .map_err(|e| bad(e.to_string()))?;
        let model = Self::new(config, vb).map_err(|e| bad(e.to_string()))?;
        Ok(Self { identity, ..model })
    }

    /// What identifies the weights: the first 16 bytes of the model file's SHA-256, in hex
    /// (empty for a model built from a `VarBuilder` directly).
    pub fn identity(&self) -> &str {
        &self.identity
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Style image `[1, 3, H, W]` (RGB in [0, 1], any size) -> its dynamic kernels.
    pub fn encode_style(&self, style: &Tensor) -> candle_core::Result<StyleKernels> {
        let (n, c, _, _) = style.dims4()?;
        if n != 1 || c != 3 {
            candle_core::bail!(
                "encode_style takes one RGB image [1, 3, H, W], got {:?}",
                style.dims()
            );
        }
        let upscaled = match &self.upscaled_style_path {
            Some(path) => Some(Box::new(path.encode(&self.config, style)?)),
            None => None,
        };
        Ok(StyleKernels {
            upscaled,
            ..self.style_path.encode(&self.config, style)?
        })
    }

    /// [`Self::encode_style`]'s one set for frames painted smaller and scaled up (`upscaled`)
    /// or not: what a single frame needs, without running the other style path.
    pub fn encode_style_for(
        &self,
        style: &Tensor,
        upscaled: bool,
    ) -> candle_core::Result<StyleKernels> {
        let path = match (&self.upscaled_style_path, upscaled) {
            (Some(path), true) => path,
            _ => &self.style_path,
        };
        path.encode(&self.config, style)
    }

    /// The weights under the checkpoint's keys (what `CpuNet::new` reads).
    pub fn weights(&self) -> &VarBuilder<'static> {
        &self.weights.0
    }

    /// Frames `[N, 3, H, W]` (RGB in [0, 1], any size from 1x1) -> stylized frames, same size:
    /// the network as a Candle graph, op by op, on any device. The reference the CPU engine is
    /// tested against; frames of a video go through an [`crate::engine::Engine`] instead.
    pub fn stylize(&self, frame: &Tensor, kernels: &StyleKernels) -> candle_core::Result<Tensor> {
        let (_, c, h, w) = frame.dims4()?;
        if c != 3 {
            candle_core::bail!(
                "stylize takes RGB frames [N, 3, H, W], got {:?}",
                frame.dims()
            );
        }
        let x = pad_to_stride(frame)?;
        let e = self.content_encoder.forward(&x)?;
        let [k1, k2, k3] = &kernels.layers;
        let din = &self.style_path.din;
        let s1 = din[0].forward(&e.e1, k1)?;
        let s2 = din[1].forward(&e.e2, k2)?;
        let s3 = din[2].forward(&e.e3, k3)?;
        let modulated;
        let decoder = match (&kernels.modulation, self.config.modulated_decoder) {
            (Some(m), true) => {
                modulated = self.decoder.modulated(m)?;
                &modulated
            }
            (None, false) => &self.decoder,
            _ => candle_core::bail!("the style kernels were made with another model"),
        };
        decoder
            .forward(&s1, &s2, &s3)?
            .narrow(2, 0, h)?
            .narrow(3, 0, w)
    }
}

/// A `VarBuilder` (which has no `Debug`).
#[derive(Clone)]
struct Weights(VarBuilder<'static>);

impl std::fmt::Debug for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Weights")
    }
}

/// The first 16 bytes of the SHA-256 of a model file, in hex.
fn model_identity(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Internal size for a frame side: the next multiple of [`STRIDE`], at least [`MIN_SIDE`].
pub fn padded_size(n: usize) -> usize {
    n.div_ceil(STRIDE).max(MIN_SIDE / STRIDE) * STRIDE
}

/// Edge-replicates the bottom and right borders up to [`padded_size`] (as `model.pad_to_stride`).
fn pad_to_stride(x: &Tensor) -> candle_core::Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    let (ph, pw) = (padded_size(h) - h, padded_size(w) - w);
    let x = if ph > 0 {
        x.pad_with_same(2, 0, ph)?
    } else {
        x.clone()
    };
    if pw > 0 {
        x.pad_with_same(3, 0, pw)
    } else {
        Ok(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_sizes() {
        let cases = [
            (1, 8),
            (7, 8),
            (8, 8),
            (9, 12),
            (360, 360),
            (1366, 1368),
            (5, 8),
        ];
        for (n, want) in cases {
            assert_eq!(padded_size(n), want, "side {n}");
        }
    }

    #[test]
    fn group_sizes_follow_the_mode() {
        let mut cfg = Config::din_mobile();
        assert_eq!(cfg.group_size(64), 64);
        cfg.din_mode = DinMode::Group;
        assert_eq!(cfg.group_size(64), 16);
        cfg.din_mode = DinMode::Channel;
        assert_eq!(cfg.group_size(64), 1);
        cfg.din_mode = DinMode::Group;
        cfg.din_groups = 3;
        assert!(cfg.validate().is_err());
    }

    #[test]
    fn layers_the_engines_lack_are_refused() {
        // a config as `model.Config.preset("din-modulated-head7")` exports it
        let mut json = serde_json::to_value(Config::din_modulated()).unwrap();
        json["head_kernel"] = 7.into();
        let cfg: Config = serde_json::from_value(json).unwrap();
        assert!(cfg.validate().unwrap_err().contains("7x7 head"));
        let cfg = Config {
            full_res_blocks: 1,
            ..Config::din_modulated()
        };
        assert!(cfg.validate().is_err());
        // files exported before these fields existed read as the layers the engines run
        let mut json = serde_json::to_value(Config::din_mobile()).unwrap();
        json.as_object_mut().unwrap().remove("head_kernel");
        json.as_object_mut().unwrap().remove("full_res_blocks");
        let cfg: Config = serde_json::from_value(json).unwrap();
        assert_eq!(cfg, Config::din_mobile());
        assert!(cfg.validate().is_ok());
    }

    #[test]
    fn the_parameter_networks_pooling_is_read_from_the_config() {
        // `model.Config.preset("din-modulated-std")` as exported
        let mut json = serde_json::to_value(Config::din_modulated()).unwrap();
        json["param_pool"] = "mean_std".into();
        let cfg: Config = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(cfg.param_pool, ParamPool::MeanStd);
        // a pooling this dinstyle does not know is refused, not read as the mean
        json["param_pool"] = "gram".into();
        let err = serde_json::from_value::<Config>(json.clone()).unwrap_err();
        assert!(err.to_string().contains("gram"), "{err}");
        // files exported before the field existed pool the mean
        json.as_object_mut().unwrap().remove("param_pool");
        let cfg: Config = serde_json::from_value(json).unwrap();
        assert_eq!(cfg, Config::din_modulated());
    }
}

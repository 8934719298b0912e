//! `dinstyle` implementation: properties, model and style state, frame processing.
//!
//! Settings (property values) are kept apart from State (the model, the current style kernels,
//! the negotiated video info), which is built in `start()` and dropped in `stop()`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use dinstyle::frame::{Packed, PixelLayout};
use dinstyle::painter::{load_style, PainterEvent, SlotName};
use dinstyle::yuv::YuvFrame;
use dinstyle::{image_io, DinModel, PaintSettings, Painter};
use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;
use gst_video::prelude::*;
use gst_video::subclass::prelude::*;

use super::frame::{self, FrameFormat};

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "dinstyle",
        gst::DebugColorFlags::empty(),
        Some("DIN neural style transfer"),
    )
});

const DEFAULT_ALPHA: f64 = 1.0;
const DEFAULT_DEVICE: &str = "auto";
const DEFAULT_PROCESSING_SIZE: u32 = dinstyle::DEFAULT_PROCESSING_SIZE;
const DEFAULT_DETAIL: f64 = dinstyle::DEFAULT_DETAIL;
const DEFAULT_TEXTURE: f64 = dinstyle::DEFAULT_TEXTURE;
const DEFAULT_STYLE_SIZE: u32 = dinstyle::DEFAULT_STYLE_SIZE;
const DEFAULT_TRANSITION_FRAMES: u32 = 0;
const DEFAULT_STABILITY: f64 = 0.0;

#[derive(Debug, Clone)]
struct Settings {
    style: Option<String>,
    /// Bumped on every `style` change, so the streaming thread notices it between frames.
    style_serial: u64,
    alpha: f64,
    preserve_colour: bool,
    mask: Option<String>,
    mask_style: Option<String>,
    mask_style_serial: u64,
    transition_frames: u32,
    stability: f64,
    model: Option<String>,
    device: String,
    processing_size: u32,
    detail: f64,
    texture: f64,
    style_size: u32,
    /// Extra time spent on every frame (tests of QoS and latency).
    #[cfg(feature = "test-hooks")]
    frame_delay: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            style: None,
            style_serial: 0,
            alpha: DEFAULT_ALPHA,
            preserve_colour: false,
            mask: None,
            mask_style: None,
            mask_style_serial: 0,
            transition_frames: DEFAULT_TRANSITION_FRAMES,
            stability: DEFAULT_STABILITY,
            model: None,
            device: DEFAULT_DEVICE.into(),
            processing_size: DEFAULT_PROCESSING_SIZE,
            detail: DEFAULT_DETAIL,
            texture: DEFAULT_TEXTURE,
            style_size: DEFAULT_STYLE_SIZE,
            #[cfg(feature = "test-hooks")]
            frame_delay: Duration::ZERO,
        }
    }
}

struct State {
    painter: Painter,
    format: Option<FrameFormat>,
    /// Processing time of recent frames (decays slowly), and what the last LATENCY answer said.
    latency: Duration,
    reported_latency: Duration,
}

#[derive(Default)]
pub struct DinStyle {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere never poisons the element for good: the data stays consistent because
    // every critical section only assigns whole values.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Settings {
    fn paint_settings(&self) -> PaintSettings {
        PaintSettings {
            alpha: self.alpha,
            preserve_colour: self.preserve_colour,
            processing_size: self.processing_size,
            detail: self.detail,
            texture: self.texture,
            // matching the style's fine band needs the style image at each frame's size; the
            // element keeps the share it is given
            texture_level: None,
            transition_frames: self.transition_frames,
            stability: self.stability,
        }
    }
}

impl DinStyle {
    /// Builds the state: device, model, first style. Errors are user-facing messages.
    fn build_state(&self, settings: &Settings) -> Result<State, gst::ErrorMessage> {
        let device = dinstyle::parse_device(&settings.device)
            .map_err(|e| gst::error_msg!(gst::ResourceError::NotFound, ("{}", e)))?;
        gst::info!(
            CAT,
            imp = self,
            "running on {} (device={})",
            dinstyle::device::device_name(&device),
            settings.device
        );
        let model = match &settings.model {
            Some(path) => DinModel::load(Path::new(path), &device),
            None => DinModel::bundled(&device),
        }
        .map_err(|e| gst::error_msg!(gst::ResourceError::OpenRead, ("{}", e)))?;
        let Some(style) = &settings.style else {
            return Err(gst::error_msg!(
                gst::ResourceError::NotFound,
                ("No style: set the 'style' property to an image, a .dinstyle file or preset:NAME")
            ));
        };
        let load = |spec: &str| {
            load_style(&model, spec, settings.style_size)
                .map_err(|e| gst::error_msg!(gst::ResourceError::OpenRead, ("{}", e)))
        };
        let main = load(style)?;
        let second = settings.mask_style.as_deref().map(load).transpose()?;
        if let Some(mask) = &settings.mask {
            image_io::load_image(Path::new(mask), "mask image")
                .map_err(|e| gst::error_msg!(gst::ResourceError::OpenRead, ("{}", e)))?;
        }
        let failed = |e: dinstyle::Error| gst::error_msg!(gst::LibraryError::Failed, ("{}", e));
        let mut painter =
            Painter::new(Arc::new(model), main, settings.style_size).map_err(failed)?;
        painter.set_mask_style(second).map_err(failed)?;
        // The slots follow the properties' change counters from here on.
        painter.set_serial(SlotName::Style, settings.style_serial);
        painter.set_serial(SlotName::MaskStyle, settings.mask_style_serial);
        Ok(State {
            painter,
            format: None,
            latency: Duration::ZERO,
            reported_latency: Duration::ZERO,
        })
    }

    /// Between frames: hands property changes to the painter and reports what it did.
    fn begin_frame(&self, state: &mut State, settings: &Settings, size: (usize, usize)) {
        let painter = &mut state.painter;
        painter.set_mask(settings.mask.as_deref().map(Path::new));
        let requests = [
            painter.request_style(
                SlotName::Style,
                settings.style.as_deref(),
                settings.style_serial,
            ),
            painter.request_style(
                SlotName::MaskStyle,
                settings.mask_style.as_deref(),
                settings.mask_style_serial,
            ),
        ];
        let events = requests
            .into_iter()
            .flatten()
            .chain(painter.begin_frame(&settings.paint_settings(), size));
        for event in events {
            match event {
                PainterEvent::Loading { slot, spec } => {
                    gst::info!(CAT, imp = self, "loading new {} '{spec}'", slot.as_str())
                }
                PainterEvent::Active { slot, spec } => {
                    gst::info!(CAT, imp = self, "{} '{spec}' is now active", slot.as_str())
                }
                PainterEvent::StyleFailed { slot, message } => gst::element_imp_warning!(
                    self,
                    gst::ResourceError::OpenRead,
                    ("{} ({})", message, slot.as_str())
                ),
                PainterEvent::MaskFailed { message } => {
                    gst::element_imp_warning!(self, gst::ResourceError::OpenRead, ("{}", message))
                }
                PainterEvent::Unsupported { message } => {
                    gst::element_imp_warning!(self, gst::CoreError::NotImplemented, ("{}", message))
                }
            }
        }
    }

    /// Paints one frame with `paint` (and, in tests, waits the `test-frame-delay` after it).
    fn paint<F>(state: &mut State, settings: &Settings, paint: F) -> dinstyle::Result<()>
    where
        F: FnOnce(&mut Painter, &PaintSettings) -> dinstyle::Result<()>,
    {
        let painted = paint(&mut state.painter, &settings.paint_settings());
        #[cfg(feature = "test-hooks")]
        std::thread::sleep(settings.frame_delay);
        painted
    }

    /// Tracks the processing latency; tells the pipeline when it grew past what was reported.
    fn record_latency(&self, state: &mut State, took: Duration) {
        state.latency = took.max(state.latency.mul_f64(0.95));
        if state.latency > state.reported_latency.mul_f64(1.25) {
            state.reported_latency = state.latency;
            let _ = self
                .obj()
                .post_message(gst::message::Latency::builder().src(&*self.obj()).build());
        }
    }
}

/// The `style` property's blurb, with the bundled presets' names (`gst-inspect-1.0 dinstyle`).
fn style_blurb() -> &'static str {
    static BLURB: LazyLock<String> = LazyLock::new(|| {
        format!(
            "What every frame is painted like: an image file (JPEG, PNG, WebP, ...), a kernel file \
             from 'dinstyle encode-style' (.dinstyle), preset:NAME (presets: {}), or a weighted \
             mix such as \"a.jpg:0.7,preset:the-harvest:0.3\". Can change while playing: the new \
             style is loaded in the background and swapped in between frames",
            dinstyle::styles::presets::names()
        )
    });
    &BLURB
}

#[glib::object_subclass]
impl ObjectSubclass for DinStyle {
    const NAME: &'static str = "GstDinStyle";
    type Type = super::DinStyle;
    type ParentType = gst_video::VideoFilter;
}

impl ObjectImpl for DinStyle {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            #[allow(unused_mut)]
            let mut properties = vec![
                glib::ParamSpecString::builder("style")
                    .nick("Style")
                    .blurb(style_blurb())
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("alpha")
                    .nick("Style strength")
                    .blurb("Content-style trade-off: 1 = full style, 0 = the frame unchanged")
                    .minimum(0.0)
                    .maximum(1.0)
                    .default_value(DEFAULT_ALPHA)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecBoolean::builder("preserve-colour")
                    .nick("Preserve colours")
                    .blurb("Keep each frame's own colours: take only the style's strokes, texture and light")
                    .default_value(false)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecString::builder("mask")
                    .nick("Mask image")
                    .blurb("Spatial control: white where the style goes, black where the frame stays (or takes mask-style), greys blend; scaled to the frame")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecString::builder("mask-style")
                    .nick("Mask style")
                    .blurb("Style for the mask's black areas (same forms as style); unset: the frame itself")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("transition-frames")
                    .nick("Transition frames")
                    .blurb("Cross-fade over this many frames when style, mask-style or alpha change while playing; 0: switch at once")
                    .maximum(3600)
                    .default_value(DEFAULT_TRANSITION_FRAMES)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("stability")
                    .nick("Temporal stability")
                    .blurb("Against flicker: weight of past frames in a moving average of the network's normalisation statistics (0 = off, 0.9 = strong); restarts on scene cuts and seeks")
                    .minimum(0.0)
                    .maximum(0.99)
                    .default_value(DEFAULT_STABILITY)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecString::builder("model")
                    .nick("Model file")
                    .blurb("DIN model (.safetensors from models/train/export.py); unset: the bundled model")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("device")
                    .nick("Device")
                    .blurb("auto (CUDA when it works, else CPU), cpu, cuda or cuda:N")
                    .default_value(Some(DEFAULT_DEVICE))
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("processing-size")
                    .nick("Processing size")
                    .blurb("Stylize at this shorter side (pixels) and scale back: the strokes keep their size relative to the picture, and a CPU keeps up with a camera; 0: the frame's own size (finer strokes)")
                    .maximum(16384)
                    .default_value(DEFAULT_PROCESSING_SIZE)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("detail")
                    .nick("Detail")
                    .blurb("Share of the frame's fine detail, lost when it is painted at processing-size, put back on the painting's light after scaling up (0 = softer, 1 = all of it; frames painted at their own size have all their detail)")
                    .minimum(0.0)
                    .maximum(1.0)
                    .default_value(DEFAULT_DETAIL)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("texture")
                    .nick("Texture")
                    .blurb("Share of the fine strokes of a second painting at the frame's own size added to a frame painted at processing-size (0 = none; 1 = all of them, sharper texture, but every such frame is painted twice: about half the frame rate)")
                    .minimum(0.0)
                    .maximum(1.0)
                    .default_value(DEFAULT_TEXTURE)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("style-size")
                    .nick("Style size")
                    .blurb("Shorter side the style image is scaled to before encoding: smaller gives bigger strokes")
                    .minimum(16)
                    .maximum(4096)
                    .default_value(DEFAULT_STYLE_SIZE)
                    .mutable_ready()
                    .build(),
            ];
            #[cfg(feature = "test-hooks")]
            properties.push(
                glib::ParamSpecUInt::builder("test-frame-delay")
                    .nick("Test frame delay")
                    .blurb("Tests only: milliseconds added to every frame's processing")
                    .maximum(10_000)
                    .mutable_playing()
                    .build(),
            );
            properties
        });
        PROPERTIES.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        let mut s = lock(&self.settings);
        match pspec.name() {
            "style" => {
                s.style = value.get::<Option<String>>().ok().flatten();
                s.style_serial += 1;
            }
            "alpha" => s.alpha = value.get().unwrap_or(DEFAULT_ALPHA),
            "preserve-colour" => s.preserve_colour = value.get().unwrap_or(false),
            "mask" => s.mask = value.get::<Option<String>>().ok().flatten(),
            "mask-style" => {
                s.mask_style = value.get::<Option<String>>().ok().flatten();
                s.mask_style_serial += 1;
            }
            "transition-frames" => {
                s.transition_frames = value.get().unwrap_or(DEFAULT_TRANSITION_FRAMES)
            }
            "stability" => s.stability = value.get().unwrap_or(DEFAULT_STABILITY),
            "model" => s.model = value.get::<Option<String>>().ok().flatten(),
            "device" => {
                s.device = value
                    .get::<Option<String>>()
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| DEFAULT_DEVICE.into())
            }
            "processing-size" => s.processing_size = value.get().unwrap_or(DEFAULT_PROCESSING_SIZE),
            "detail" => s.detail = value.get().unwrap_or(DEFAULT_DETAIL),
            "texture" => s.texture = value.get().unwrap_or(DEFAULT_TEXTURE),
            "style-size" => s.style_size = value.get().unwrap_or(DEFAULT_STYLE_SIZE),
            #[cfg(feature = "test-hooks")]
            "test-frame-delay" => {
                s.frame_delay = Duration::from_millis(value.get::<u32>().unwrap_or(0).into())
            }
            other => gst::warning!(CAT, imp = self, "unknown property {other}"),
        }
        gst::debug!(CAT, imp = self, "{} changed", pspec.name());
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let s = lock(&self.settings);
        match pspec.name() {
            "style" => s.style.to_value(),
            "alpha" => s.alpha.to_value(),
            "preserve-colour" => s.preserve_colour.to_value(),
            "mask" => s.mask.to_value(),
            "mask-style" => s.mask_style.to_value(),
            "transition-frames" => s.transition_frames.to_value(),
            "stability" => s.stability.to_value(),
            "model" => s.model.to_value(),
            "device" => s.device.to_value(),
            "processing-size" => s.processing_size.to_value(),
            "detail" => s.detail.to_value(),
            "texture" => s.texture.to_value(),
            "style-size" => s.style_size.to_value(),
            #[cfg(feature = "test-hooks")]
            "test-frame-delay" => (s.frame_delay.as_millis() as u32).to_value(),
            _ => pspec.default_value().clone(),
        }
    }
}

impl GstObjectImpl for DinStyle {}

impl ElementImpl for DinStyle {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "DIN style transfer",
                "Filter/Effect/Video",
                "Paints every frame in the style of any image (Dynamic Instance Normalization)",
                "dinstyle developers",
            )
        });
        Some(&*METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
            let caps = gst_video::VideoCapsBuilder::new()
                .format_list(frame::FORMATS)
                .build();
            [gst::PadDirection::Src, gst::PadDirection::Sink]
                .into_iter()
                .map(|dir| {
                    let name = if dir == gst::PadDirection::Src {
                        "src"
                    } else {
                        "sink"
                    };
                    gst::PadTemplate::new(name, dir, gst::PadPresence::Always, &caps)
                        .expect("valid pad template")
                })
                .collect()
        });
        TEMPLATES.as_ref()
    }
}

impl BaseTransformImpl for DinStyle {
    const MODE: gst_base::subclass::BaseTransformMode =
        gst_base::subclass::BaseTransformMode::NeverInPlace;
    const PASSTHROUGH_ON_SAME_CAPS: bool = false;
    const TRANSFORM_IP_ON_PASSTHROUGH: bool = false;

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        let settings = lock(&self.settings).clone();
        let state = match catch_unwind(AssertUnwindSafe(|| self.build_state(&settings))) {
            Ok(r) => r?,
            Err(_) => {
                return Err(gst::error_msg!(
                    gst::LibraryError::Init,
                    ("Loading the style model failed unexpectedly")
                ))
            }
        };
        *lock(&self.state) = Some(state);
        gst::info!(CAT, imp = self, "started");
        Ok(())
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        *lock(&self.state) = None;
        gst::info!(CAT, imp = self, "stopped");
        Ok(())
    }

    fn sink_event(&self, event: gst::Event) -> bool {
        // After a seek or at a new stream the past frames are not the ones before this one.
        if matches!(
            event.view(),
            gst::EventView::FlushStop(..) | gst::EventView::StreamStart(..)
        ) {
            if let Some(state) = lock(&self.state).as_mut() {
                state.painter.restart_stream();
            }
        }
        self.parent_sink_event(event)
    }

    fn query(&self, direction: gst::PadDirection, query: &mut gst::QueryRef) -> bool {
        if direction == gst::PadDirection::Src {
            if let gst::QueryViewMut::Latency(q) = query.view_mut() {
                if !BaseTransformImplExt::parent_query(self, direction, q.query_mut()) {
                    return false;
                }
                let ours = lock(&self.state)
                    .as_ref()
                    .map_or(Duration::ZERO, |s| s.latency);
                let ours = gst::ClockTime::from_nseconds(ours.as_nanos() as u64);
                let (live, min, max) = q.result();
                gst::debug!(
                    CAT,
                    imp = self,
                    "adding our latency {ours} to {min}..{max:?}"
                );
                q.set(live, min + ours, max.map(|m| m + ours));
                return true;
            }
        }
        BaseTransformImplExt::parent_query(self, direction, query)
    }
}

impl VideoFilterImpl for DinStyle {
    fn set_info(
        &self,
        incaps: &gst::Caps,
        in_info: &gst_video::VideoInfo,
        outcaps: &gst::Caps,
        out_info: &gst_video::VideoInfo,
    ) -> Result<(), gst::LoggableError> {
        let format = frame::frame_format(in_info).ok_or_else(|| {
            gst::loggable_error!(CAT, "unsupported format {:?}", in_info.format())
        })?;
        let settings = lock(&self.settings).clone();
        let mut guard = lock(&self.state);
        let Some(state) = guard.as_mut() else {
            return Err(gst::loggable_error!(CAT, "caps set before start"));
        };
        state.format = Some(format);
        // One frame of the negotiated size, stylized now, gives the latency we report and warms
        // up the model before the first real frame (YUV streams: an RGBx frame of the size).
        let (w, h) = (in_info.width() as usize, in_info.height() as usize);
        let layout = match format {
            FrameFormat::Packed(layout) => layout,
            FrameFormat::Yuv(..) => PixelLayout::RGBX,
        };
        let stride = w * layout.bytes_per_pixel;
        let grey = vec![128u8; stride * h];
        let mut scratch = grey.clone();
        self.begin_frame(state, &settings, (w, h));
        let started = Instant::now();
        let warm = catch_unwind(AssertUnwindSafe(|| {
            let input = Packed {
                data: &grey[..],
                stride,
                width: w,
                height: h,
                layout,
            };
            let output = Packed {
                data: &mut scratch[..],
                stride,
                width: w,
                height: h,
                layout,
            };
            Self::paint(state, &settings, |p, s| p.paint(s, input, output))
        }));
        if !matches!(warm, Ok(Ok(_))) {
            return Err(gst::loggable_error!(CAT, "cannot stylize {w}x{h} frames"));
        }
        self.record_latency(state, started.elapsed());
        gst::info!(
            CAT,
            imp = self,
            "{w}x{h} {:?}: {:?} per frame",
            in_info.format(),
            state.latency
        );
        self.parent_set_info(incaps, in_info, outcaps, out_info)
    }

    fn transform_frame(
        &self,
        inframe: &gst_video::VideoFrameRef<&gst::BufferRef>,
        outframe: &mut gst_video::VideoFrameRef<&mut gst::BufferRef>,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let settings = lock(&self.settings).clone();
        let mut guard = lock(&self.state);
        let Some(state) = guard.as_mut() else {
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ("Not started"));
            return Err(gst::FlowError::NotNegotiated);
        };
        let Some(format) = state.format else {
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ("No caps negotiated"));
            return Err(gst::FlowError::NotNegotiated);
        };
        let (w, h) = (inframe.width() as usize, inframe.height() as usize);
        self.begin_frame(state, &settings, (w, h));
        if inframe.buffer().flags().contains(gst::BufferFlags::DISCONT) {
            state.painter.restart_stream();
        }
        let started = Instant::now();
        let strides = |s: &[i32]| [0, 1, 2].map(|i| s.get(i).map_or(0, |&v| v as usize));
        let (in_strides, out_strides) = (
            strides(inframe.plane_stride()),
            strides(outframe.plane_stride()),
        );
        let painted = match format {
            FrameFormat::Packed(layout) => {
                let in_data = inframe.plane_data(0).map_err(|_| gst::FlowError::Error)?;
                let out_data = outframe
                    .plane_data_mut(0)
                    .map_err(|_| gst::FlowError::Error)?;
                let (in_stride, out_stride) = (in_strides[0], out_strides[0]);
                // Alpha and padding bytes come from the input; the painted colours go over them.
                let row = (w * layout.bytes_per_pixel).min(in_stride).min(out_stride);
                for (dst, src) in out_data
                    .chunks_mut(out_stride)
                    .zip(in_data.chunks(in_stride))
                {
                    dst[..row].copy_from_slice(&src[..row]);
                }
                let input = Packed {
                    data: in_data,
                    stride: in_stride,
                    width: w,
                    height: h,
                    layout,
                };
                let output = Packed {
                    data: out_data,
                    stride: out_stride,
                    width: w,
                    height: h,
                    layout,
                };
                catch_unwind(AssertUnwindSafe(|| {
                    Self::paint(state, &settings, |p, s| p.paint(s, input, output))
                }))
            }
            FrameFormat::Yuv(yuv, matrix) => {
                let [a, b, c, _] = inframe.planes_data();
                let input = YuvFrame {
                    format: yuv,
                    matrix,
                    width: w,
                    height: h,
                    planes: [a, b, c],
                    strides: in_strides,
                };
                let [a, b, c, _] = outframe.planes_data_mut();
                let output = YuvFrame {
                    format: yuv,
                    matrix,
                    width: w,
                    height: h,
                    planes: [a, b, c],
                    strides: out_strides,
                };
                catch_unwind(AssertUnwindSafe(|| {
                    Self::paint(state, &settings, |p, s| p.paint_yuv(s, input, output))
                }))
            }
        };
        match painted {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                gst::element_imp_error!(
                    self,
                    gst::StreamError::Failed,
                    ("Stylizing failed: {}", e)
                );
                return Err(gst::FlowError::Error);
            }
            Err(_) => {
                gst::element_imp_error!(
                    self,
                    gst::StreamError::Failed,
                    ("Stylizing failed unexpectedly on a {}x{} frame", w, h)
                );
                return Err(gst::FlowError::Error);
            }
        }
        self.record_latency(state, started.elapsed());
        if settings.stability > 0.0 {
            let score = state.painter.last_cut_score();
            gst::log!(
                CAT,
                imp = self,
                "statistics moved {score:.3} (cut above {})",
                dinstyle::cpu::CUT_THRESHOLD
            );
        }
        Ok(gst::FlowSuccess::Ok)
    }
}

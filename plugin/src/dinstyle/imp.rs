//! `dinstyle` implementation: properties, model and style state, frame processing.
//!
//! Settings (property values) are kept apart from State (the model, the current style kernels,
//! the negotiated video info), which is built in `start()` and dropped in `stop()`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};
use dinstyle::cpu::{CpuKernels, FrameIn, FrameOut, Workspace};
use dinstyle::{image_io, DinModel, StyleKernels};
use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;
use gst_video::prelude::*;
use gst_video::subclass::prelude::*;
use image::RgbImage;

use super::frame::{self, Layout};

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "dinstyle",
        gst::DebugColorFlags::empty(),
        Some("DIN neural style transfer"),
    )
});

const DEFAULT_ALPHA: f64 = 1.0;
const DEFAULT_DEVICE: &str = "auto";
const DEFAULT_PROCESSING_SIZE: u32 = 0;
const DEFAULT_STYLE_SIZE: u32 = dinstyle::DEFAULT_STYLE_SIZE;
/// Side at which a frame's own style kernels are computed for `alpha < 1`: the scale of the
/// training crops, and cheap next to the frame itself.
const OWN_STYLE_SIZE: u32 = 128;

#[derive(Debug, Clone)]
struct Settings {
    style: Option<String>,
    /// Bumped on every `style` change, so the streaming thread notices it between frames.
    style_serial: u64,
    alpha: f64,
    model: Option<String>,
    device: String,
    processing_size: u32,
    style_size: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            style: None,
            style_serial: 0,
            alpha: DEFAULT_ALPHA,
            model: None,
            device: DEFAULT_DEVICE.into(),
            processing_size: DEFAULT_PROCESSING_SIZE,
            style_size: DEFAULT_STYLE_SIZE,
        }
    }
}

type StyleResult = Result<StyleKernels, String>;

/// A style being encoded on its own thread.
struct PendingStyle {
    path: String,
    serial: u64,
    result: Receiver<StyleResult>,
}

struct State {
    model: Arc<DinModel>,
    kernels: StyleKernels,
    /// `kernels` for the CPU engine (CPU device only).
    cpu_kernels: Option<CpuKernels>,
    /// The CPU engine's buffers, reused from frame to frame.
    workspace: Workspace,
    style_serial: u64,
    pending: Option<PendingStyle>,
    layout: Option<Layout>,
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

/// Loads and encodes a style image; the message is meant for users.
fn encode_style(model: &DinModel, path: &str, style_size: u32) -> StyleResult {
    let run = || -> dinstyle::Result<StyleKernels> {
        let img = image_io::load_image(Path::new(path), "style image")?;
        let img = image_io::fit_style(&img.rgb, style_size);
        Ok(model.encode_style(&image_io::to_tensor(&img, model.device())?)?)
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "encoding the style image '{path}' failed unexpectedly"
        )),
    }
}

/// The CPU engine's form of `kernels`, when the model runs on the CPU.
fn cpu_kernels_for(
    model: &DinModel,
    kernels: &StyleKernels,
) -> dinstyle::Result<Option<CpuKernels>> {
    Ok(match model.cpu_net() {
        Some(_) => Some(CpuKernels::new(kernels)?),
        None => None,
    })
}

/// A mapped packed-RGB frame.
struct Packed<D> {
    data: D,
    stride: usize,
    size: (usize, usize),
    layout: Layout,
}

impl Packed<&[u8]> {
    fn to_rgb(&self) -> RgbImage {
        let (w, h) = self.size;
        frame::read_rgb(self.data, self.stride, w as u32, h as u32, self.layout)
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
                ("No style image: set the 'style' property to an image file")
            ));
        };
        let kernels = encode_style(&model, style, settings.style_size)
            .map_err(|e| gst::error_msg!(gst::ResourceError::OpenRead, ("{}", e)))?;
        let cpu_kernels = cpu_kernels_for(&model, &kernels)
            .map_err(|e| gst::error_msg!(gst::LibraryError::Failed, ("{}", e)))?;
        Ok(State {
            model: Arc::new(model),
            kernels,
            cpu_kernels,
            workspace: Workspace::new(),
            style_serial: settings.style_serial,
            pending: None,
            layout: None,
            latency: Duration::ZERO,
            reported_latency: Duration::ZERO,
        })
    }

    /// Between frames: starts encoding a newly set style, or swaps in one that is ready.
    fn update_style(&self, state: &mut State, settings: &Settings) {
        if settings.style_serial != state.style_serial {
            state.style_serial = settings.style_serial;
            match &settings.style {
                Some(path) => {
                    let (tx, rx) = crossbeam_channel::bounded(1);
                    let (model, p, size) = (state.model.clone(), path.clone(), settings.style_size);
                    let spawned = std::thread::Builder::new()
                        .name("dinstyle-style".into())
                        .spawn(move || {
                            let _ = tx.send(encode_style(&model, &p, size));
                        });
                    match spawned {
                        Ok(_) => {
                            gst::info!(CAT, imp = self, "encoding new style '{path}'");
                            state.pending = Some(PendingStyle {
                                path: path.clone(),
                                serial: settings.style_serial,
                                result: rx,
                            });
                        }
                        Err(e) => gst::element_imp_warning!(
                            self,
                            gst::CoreError::Thread,
                            ("Could not start encoding style '{}': {}", path, e)
                        ),
                    }
                }
                None => gst::element_imp_warning!(
                    self,
                    gst::ResourceError::NotFound,
                    ("The style was unset; keeping the previous style")
                ),
            }
        }
        let Some(pending) = &state.pending else {
            return;
        };
        let outcome = match pending.result.try_recv() {
            Err(TryRecvError::Empty) => return,
            Ok(r) => r,
            Err(TryRecvError::Disconnected) => Err("the style encoder stopped".into()),
        };
        let (path, serial) = (pending.path.clone(), pending.serial);
        state.pending = None;
        match outcome {
            Ok(kernels) => match cpu_kernels_for(&state.model, &kernels) {
                Ok(cpu) => {
                    gst::info!(CAT, imp = self, "style {serial} '{path}' is now active");
                    state.kernels = kernels;
                    state.cpu_kernels = cpu;
                }
                Err(e) => gst::element_imp_warning!(
                    self,
                    gst::LibraryError::Failed,
                    ("{}; keeping the previous style", e)
                ),
            },
            Err(e) => gst::element_imp_warning!(
                self,
                gst::ResourceError::OpenRead,
                ("{}; keeping the previous style", e)
            ),
        }
    }

    /// Paints one packed frame from `input` into the colour bytes of `output`, at the
    /// processing size.
    fn paint(
        state: &mut State,
        settings: &Settings,
        input: &Packed<&[u8]>,
        output: &mut Packed<&mut [u8]>,
    ) -> dinstyle::Result<()> {
        let (w, h) = input.size;
        let scaled = settings.processing_size > 0 && w.min(h) as u32 > settings.processing_size;
        let model = state.model.clone();
        // The frame as an image at the processing size: made at most once, and only when the
        // own kernels (alpha < 1) or a path other than the direct one need it.
        let work_cell = std::cell::OnceCell::new();
        let work = || {
            work_cell.get_or_init(|| {
                let rgb = input.to_rgb();
                match scaled {
                    true => image_io::resize_short_side(&rgb, settings.processing_size),
                    false => rgb,
                }
            })
        };
        let own_kernels;
        let (kernels, cpu_kernels) = if settings.alpha < 1.0 {
            let own = image_io::fit_style(work(), OWN_STYLE_SIZE);
            let own = model.encode_style(&image_io::to_tensor(&own, model.device())?)?;
            let mixed = state.kernels.with_alpha(&own, settings.alpha)?;
            own_kernels = (cpu_kernels_for(&model, &mixed)?, mixed);
            (&own_kernels.1, own_kernels.0.as_ref())
        } else {
            (&state.kernels, state.cpu_kernels.as_ref())
        };
        let net = model.cpu_net().zip(cpu_kernels);
        if let Some((net, k)) = net.filter(|_| !scaled) {
            // The common case: straight from the mapped input to the mapped output.
            let src = FrameIn::Packed {
                data: input.data,
                stride: input.stride,
                layout: input.layout,
            };
            let dst = FrameOut::Packed {
                data: output.data,
                stride: output.stride,
                layout: output.layout,
            };
            return Ok(net.stylize(src, dst, (w, h), k, &mut state.workspace)?);
        }
        let work = work();
        let painted = match net {
            Some((net, k)) => {
                let (ww, wh) = (work.width() as usize, work.height() as usize);
                let mut out = RgbImage::new(work.width(), work.height());
                let src = FrameIn::Packed {
                    data: work,
                    stride: 3 * ww,
                    layout: Layout::RGB,
                };
                let dst = FrameOut::Packed {
                    data: &mut out,
                    stride: 3 * ww,
                    layout: Layout::RGB,
                };
                net.stylize(src, dst, (ww, wh), k, &mut state.workspace)?;
                out
            }
            None => {
                let t = image_io::to_tensor(work, model.device())?;
                image_io::from_tensor(&model.stylize(&t, kernels)?)?
            }
        };
        let painted = image_io::resize_to(&painted, (w as u32, h as u32));
        frame::write_rgb(&painted, output.data, output.stride, output.layout);
        Ok(())
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

#[glib::object_subclass]
impl ObjectSubclass for DinStyle {
    const NAME: &'static str = "GstDinStyle";
    type Type = super::DinStyle;
    type ParentType = gst_video::VideoFilter;
}

impl ObjectImpl for DinStyle {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecString::builder("style")
                    .nick("Style image")
                    .blurb("Image whose style every frame is painted in (any size, JPEG, PNG, WebP, ...). Can change while playing: the new style is encoded in the background and swapped in between frames")
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
                    .blurb("Stylize at this shorter side (pixels) and scale back, so a CPU keeps up with a camera; 0: the frame's own size")
                    .maximum(16384)
                    .default_value(DEFAULT_PROCESSING_SIZE)
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
            ]
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
            "model" => s.model = value.get::<Option<String>>().ok().flatten(),
            "device" => {
                s.device = value
                    .get::<Option<String>>()
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| DEFAULT_DEVICE.into())
            }
            "processing-size" => s.processing_size = value.get().unwrap_or(DEFAULT_PROCESSING_SIZE),
            "style-size" => s.style_size = value.get().unwrap_or(DEFAULT_STYLE_SIZE),
            other => gst::warning!(CAT, imp = self, "unknown property {other}"),
        }
        gst::debug!(CAT, imp = self, "{} changed", pspec.name());
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let s = lock(&self.settings);
        match pspec.name() {
            "style" => s.style.to_value(),
            "alpha" => s.alpha.to_value(),
            "model" => s.model.to_value(),
            "device" => s.device.to_value(),
            "processing-size" => s.processing_size.to_value(),
            "style-size" => s.style_size.to_value(),
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
        let layout = frame::layout_of(in_info.format()).ok_or_else(|| {
            gst::loggable_error!(CAT, "unsupported format {:?}", in_info.format())
        })?;
        let settings = lock(&self.settings).clone();
        let mut guard = lock(&self.state);
        let Some(state) = guard.as_mut() else {
            return Err(gst::loggable_error!(CAT, "caps set before start"));
        };
        state.layout = Some(layout);
        // One frame of the negotiated size, stylized now, gives the latency we report and warms
        // up the model before the first real frame.
        let (w, h) = (in_info.width(), in_info.height());
        let stride = w as usize * layout.bytes_per_pixel;
        let grey = vec![128u8; stride * h as usize];
        let mut scratch = grey.clone();
        let size = (w as usize, h as usize);
        let started = Instant::now();
        let warm = catch_unwind(AssertUnwindSafe(|| {
            let input = Packed {
                data: &grey[..],
                stride,
                size,
                layout,
            };
            let mut output = Packed {
                data: &mut scratch[..],
                stride,
                size,
                layout,
            };
            Self::paint(state, &settings, &input, &mut output)
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
        let Some(layout) = state.layout else {
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ("No caps negotiated"));
            return Err(gst::FlowError::NotNegotiated);
        };
        self.update_style(state, &settings);

        let started = Instant::now();
        let (w, h) = (inframe.width(), inframe.height());
        let in_stride = inframe.plane_stride()[0] as usize;
        let out_stride = outframe.plane_stride()[0] as usize;
        let in_data = inframe.plane_data(0).map_err(|_| gst::FlowError::Error)?;
        let out_data = outframe
            .plane_data_mut(0)
            .map_err(|_| gst::FlowError::Error)?;
        // Alpha and padding bytes come from the input; the painted colours go over them.
        let row = (w as usize * layout.bytes_per_pixel)
            .min(in_stride)
            .min(out_stride);
        for (dst, src) in out_data
            .chunks_mut(out_stride)
            .zip(in_data.chunks(in_stride))
        {
            dst[..row].copy_from_slice(&src[..row]);
        }
        let size = (w as usize, h as usize);
        let painted = catch_unwind(AssertUnwindSafe(|| {
            let input = Packed {
                data: in_data,
                stride: in_stride,
                size,
                layout,
            };
            let mut output = Packed {
                data: out_data,
                stride: out_stride,
                size,
                layout,
            };
            Self::paint(state, &settings, &input, &mut output)
        }));
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
        Ok(gst::FlowSuccess::Ok)
    }
}

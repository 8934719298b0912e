//! The painter: everything that happens to a frame, for the GStreamer element and for
//! `dinstyle image` alike.
//!
//! Per frame, in order: [`Painter::begin_frame`] swaps in styles that finished loading in the
//! background, moves cross-fades and the shown strength on by one frame and loads the mask at
//! the frame's size; [`Painter::paint`] scales the frame to the processing size, mixes the style
//! with the frame's own kernels (`alpha`), stylizes with stability, scales back, adds the fine
//! band of a second painting at the frame's own size (`texture`, or as much as the style image
//! has, [`texture`]) and puts the frame's fine detail back (`detail`), paints the mask's second
//! style, blends by the mask and keeps the frame's colours, all on one packed frame type
//! ([`Packed`]).

mod mask;
mod scale;
mod slot;
pub mod texture;

use std::mem::take;
use std::path::Path;
use std::sync::Arc;

use image::RgbImage;

use mask::MaskSlot;
use scale::WorkFrame;
pub use slot::load_style;
use slot::{with_strength, Kernels, Pending, Slot};

use crate::cpu::{FrameIn, FrameOut, Workspace};
use crate::engine::{engine_for, Engine};
use crate::frame::{Packed, PixelLayout};
use crate::yuv::YuvFrame;
use crate::{compose, image_io, DinModel, Error, Result, StyleKernels};

/// Side at which a frame's own style kernels are computed for `alpha < 1`: the scale of the
/// training crops, and cheap next to the frame itself.
pub const OWN_STYLE_SIZE: u32 = 128;

/// The controls that may change from frame to frame.
#[derive(Debug, Clone, PartialEq)]
pub struct PaintSettings {
    /// Content-style trade-off: 1 = full style, 0 = the frame unchanged.
    pub alpha: f64,
    /// Keep each frame's own colours.
    pub preserve_colour: bool,
    /// Stylize at this shorter side and scale back (frames already smaller are painted as they
    /// are); 0: the frame's own size, with finer strokes.
    pub processing_size: u32,
    /// How much of the frame's fine detail, lost when it is scaled down to the processing
    /// size, is put back on the painting's light after the scale-up: 0 none (softer), 1 all
    /// (values outside 0..1 count as the nearer end).
    pub detail: f64,
    /// How much of the fine band of a second painting at the frame's own size is added to the
    /// painting at the processing size after the scale-up: finer strokes over the bold ones.
    /// 0 none (one painting per frame), 1 all (values outside 0..1 count as the nearer end);
    /// above 0 it paints each scaled frame twice.
    pub texture: f64,
    /// Where set, replaces `texture`: each scaled frame gets the share (0 to
    /// `texture::MOST_MATCHED_SHARE`) that brings its painting's fine band to this level
    /// (`texture::matched_texture_level`: past the style image's own at the frame's size,
    /// `texture::LEVEL_OVER_STYLE` times), so a sharp painting gives fine strokes and a smooth
    /// one none.
    pub texture_level: Option<f32>,
    /// Frames over which style, mask-style and alpha changes cross-fade; 0: at once.
    pub transition_frames: u32,
    /// Weight of past frames in the moving average of the normalisation statistics.
    pub stability: f64,
}

impl Default for PaintSettings {
    fn default() -> Self {
        Self {
            alpha: 1.0,
            preserve_colour: false,
            processing_size: crate::DEFAULT_PROCESSING_SIZE,
            detail: crate::DEFAULT_DETAIL,
            texture: crate::DEFAULT_TEXTURE,
            texture_level: None,
            transition_frames: 0,
            stability: 0.0,
        }
    }
}

/// The painter's two styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotName {
    /// What every frame is painted like.
    Style,
    /// What the mask's black areas are painted like (none: the frame itself).
    MaskStyle,
}

impl SlotName {
    pub fn as_str(self) -> &'static str {
        match self {
            SlotName::Style => "style",
            SlotName::MaskStyle => "mask-style",
        }
    }
}

/// What happened between frames, for the host to log or warn about.
#[derive(Debug, Clone, PartialEq)]
pub enum PainterEvent {
    /// A style started loading in the background.
    Loading { slot: SlotName, spec: String },
    /// A style finished loading and is now painted with (or faded to).
    Active { slot: SlotName, spec: String },
    /// A style could not be loaded or started; the previous one stays.
    StyleFailed { slot: SlotName, message: String },
    /// The mask could not be read; frames keep the previous mask, or are painted without one.
    MaskFailed { message: String },
    /// A setting this device cannot honour (said once per painter).
    Unsupported { message: String },
}

/// Paints frames: owns the model, the styles, the mask and every buffer reused across frames.
pub struct Painter {
    model: Arc<DinModel>,
    engine: Arc<dyn Engine>,
    style_size: u32,
    main: Slot,
    second: Slot,
    workspace: Workspace,
    /// The buffers (and statistics) of the second painting at the frame's own size (`texture`),
    /// apart so that neither painting resizes the other's buffers every frame.
    texture_workspace: Workspace,
    /// The strength frames are painted with (moves to `alpha` over `transition_frames`).
    shown_alpha: Option<f64>,
    mask: MaskSlot,
    /// The frame painted in the second style, before the mask blends it in.
    scratch: Vec<u8>,
    /// `Unsupported` was said about stability.
    warned_stability: bool,
    /// A YUV frame as packed RGB, before and after painting.
    rgb_in: Vec<u8>,
    rgb_out: Vec<u8>,
}

impl Painter {
    /// A painter with `style` (already encoded); styles set later are encoded at `style_size`.
    /// Frames are painted by the engine for the model's device ([`engine_for`]).
    pub fn new(model: Arc<DinModel>, style: StyleKernels, style_size: u32) -> Result<Self> {
        let engine = engine_for(&model)?;
        Self::with_engine(model, engine, style, style_size)
    }

    /// A painter whose frames `engine` paints (one made for `model`).
    pub fn with_engine(
        model: Arc<DinModel>,
        engine: Arc<dyn Engine>,
        style: StyleKernels,
        style_size: u32,
    ) -> Result<Self> {
        let main = Kernels::new(&*engine, style)?;
        Ok(Self {
            engine,
            main: Slot::new(Some(main), 0),
            second: Slot::new(None, 0),
            model,
            style_size,
            workspace: Workspace::new(),
            texture_workspace: Workspace::new(),
            shown_alpha: None,
            mask: MaskSlot::default(),
            scratch: Vec::new(),
            warned_stability: false,
            rgb_in: Vec::new(),
            rgb_out: Vec::new(),
        })
    }

    pub fn model(&self) -> &Arc<DinModel> {
        &self.model
    }

    pub fn engine(&self) -> &Arc<dyn Engine> {
        &self.engine
    }

    /// Sets the mask's second style at once (`None`: the mask's black areas show the frame).
    pub fn set_mask_style(&mut self, kernels: Option<StyleKernels>) -> Result<()> {
        let kernels = kernels
            .map(|k| Kernels::new(&*self.engine, k))
            .transpose()?;
        let serial = self.second.serial;
        self.second = Slot::new(kernels, serial);
        Ok(())
    }

    /// The mask image: white where the style goes, black where the frame (or the mask style)
    /// stays. Read at the size of the next frame.
    pub fn set_mask(&mut self, path: Option<&Path>) {
        self.mask.set(path);
    }

    /// Marks `slot` as following change number `serial` of its setting (what it holds now).
    pub fn set_serial(&mut self, slot: SlotName, serial: u64) {
        match slot {
            SlotName::Style => self.main.serial = serial,
            SlotName::MaskStyle => self.second.serial = serial,
        }
    }

    /// Starts loading the style `spec` (`None`: unset) into `slot` in the background, unless
    /// `serial` is the one the slot already follows. The switch happens in a later
    /// [`Self::begin_frame`], with the cross-fade of that frame's settings.
    pub fn request_style(
        &mut self,
        slot: SlotName,
        spec: Option<&str>,
        serial: u64,
    ) -> Option<PainterEvent> {
        let target = match slot {
            SlotName::Style => &mut self.main,
            SlotName::MaskStyle => &mut self.second,
        };
        if target.serial == serial {
            return None;
        }
        target.serial = serial;
        match spec {
            Some(spec) => {
                match Pending::start(self.model.clone(), spec.to_owned(), self.style_size) {
                    Ok(p) => {
                        target.pending = Some(p);
                        Some(PainterEvent::Loading {
                            slot,
                            spec: spec.to_owned(),
                        })
                    }
                    Err(e) => Some(PainterEvent::StyleFailed {
                        slot,
                        message: format!("could not start loading '{spec}': {e}"),
                    }),
                }
            }
            // Without a second style the mask's black areas show the frame itself.
            None if slot == SlotName::MaskStyle => {
                *target = Slot::new(None, serial);
                None
            }
            None => Some(PainterEvent::StyleFailed {
                slot,
                message: "the style was unset; keeping the previous style".into(),
            }),
        }
    }

    /// Between frames: swaps in styles that finished loading, moves cross-fades and the shown
    /// strength on by one frame, and (re)loads the mask for frames of `size`.
    pub fn begin_frame(
        &mut self,
        settings: &PaintSettings,
        size: (usize, usize),
    ) -> Vec<PainterEvent> {
        let mut events = Vec::new();
        for (name, slot) in [
            (SlotName::Style, &mut self.main),
            (SlotName::MaskStyle, &mut self.second),
        ] {
            slot.advance();
            let Some(outcome) = slot.pending.as_ref().and_then(Pending::poll) else {
                continue;
            };
            let spec = slot.pending.take().map(|p| p.spec).unwrap_or_default();
            let engine = &*self.engine;
            let switched = outcome
                .and_then(|k| Kernels::new(engine, k).map_err(|e| e.to_string()))
                .and_then(|k| {
                    slot.switch(k, settings.transition_frames, engine)
                        .map_err(|e| e.to_string())
                });
            events.push(match switched {
                Ok(()) => PainterEvent::Active { slot: name, spec },
                Err(message) => PainterEvent::StyleFailed {
                    slot: name,
                    message: format!("{message}; keeping the previous {}", name.as_str()),
                },
            });
        }
        let target = settings.alpha;
        self.shown_alpha = Some(match (self.shown_alpha, settings.transition_frames) {
            (Some(a), n @ 1..) => {
                let step = 1.0 / n as f64;
                a + (target - a).clamp(-step, step)
            }
            _ => target,
        });
        for workspace in [&mut self.workspace, &mut self.texture_workspace] {
            workspace.stability.set_strength(settings.stability);
        }
        // Stability smooths the CPU engine's statistics; the Candle graph has none to smooth.
        if settings.stability > 0.0 && !self.engine.has_stability() && !self.warned_stability {
            self.warned_stability = true;
            events.push(PainterEvent::Unsupported {
                message: "stability works on the CPU engine only; painting without it".into(),
            });
        }
        if let Some(message) = self.mask.update(size) {
            events.push(PainterEvent::MaskFailed { message });
        }
        events
    }

    /// Forgets the past frames (a seek, a new stream, a cut): stability starts again.
    pub fn restart_stream(&mut self) {
        self.workspace.stability.reset();
        self.texture_workspace.stability.reset();
    }

    /// How far the last frame's statistics moved from the smoothed ones (scene-cut detection).
    pub fn last_cut_score(&self) -> f64 {
        self.workspace.stability.last_cut_score()
    }

    /// Paints `input` into the colour bytes of `output` (same size and layout; alpha and
    /// padding bytes of `output` are left as they are): the style (and the mask's second
    /// style) at the processing size and the shown strength, then the mask and colour
    /// preservation at full size.
    pub fn paint(
        &mut self,
        settings: &PaintSettings,
        input: Packed<&[u8]>,
        mut output: Packed<&mut [u8]>,
    ) -> Result<()> {
        input.check("input frame")?;
        output.check("output frame")?;
        if input.size() != output.size() || input.layout != output.layout {
            return Err(Error::InvalidArgument(
                "the input and output frames differ in size or layout".into(),
            ));
        }
        let (w, h) = input.size();
        if w == 0 || h == 0 {
            return Err(Error::InvalidArgument(format!(
                "cannot paint an empty {w}x{h} frame"
            )));
        }
        let Self {
            model,
            engine,
            main,
            second,
            workspace,
            texture_workspace,
            shown_alpha,
            mask,
            scratch,
            ..
        } = self;
        let workspaces = &mut [workspace, texture_workspace];
        let alpha = shown_alpha.unwrap_or(settings.alpha);
        // The frame as an image at the processing size: made at most once, and only when the
        // own kernels (alpha < 1) or a path other than the direct one need it.
        let work = WorkFrame::new(
            input,
            settings.processing_size,
            settings.detail,
            settings.texture,
        )
        .with_texture_level(settings.texture_level);
        let scaled = work.scaled();
        let own = match alpha < 1.0 {
            true => {
                let own = image_io::fit_style(work.rgb(), OWN_STYLE_SIZE);
                let own = image_io::to_tensor(&own, model.device())?;
                Some(model.encode_style_for(&own, scaled)?)
            }
            false => None,
        };
        let engine = &**engine;
        let Some(style) = main.shown(engine)? else {
            return Err(Error::InvalidArgument("no style".into()));
        };
        let style = with_strength(style, own.as_ref(), alpha, scaled, engine)?;
        paint_with(engine, workspaces, &style, &work, &mut output)?;
        let mask = mask.scaled();
        if let Some(mask) = mask.filter(|m| m.len() == w * h) {
            let base = match second.shown(engine)? {
                Some(k) => {
                    scratch.resize(output.data.len(), 0);
                    let mut other = Packed {
                        data: &mut scratch[..],
                        ..output.view_mut()
                    };
                    let k = with_strength(k, own.as_ref(), alpha, scaled, engine)?;
                    paint_with(engine, workspaces, &k, &work, &mut other)?;
                    Packed {
                        data: &scratch[..],
                        ..input
                    }
                }
                None => input,
            };
            compose::blend_with_mask(base, &mut output, mask);
        }
        if settings.preserve_colour {
            compose::keep_content_colours(input, &mut output);
        }
        Ok(())
    }
}

impl Painter {
    /// [`Self::paint`] for YUV frames (YUY2, NV12, I420): converted to RGB in one pass, painted,
    /// and converted back in one pass. `output` has the size and format of `input`.
    pub fn paint_yuv(
        &mut self,
        settings: &PaintSettings,
        input: YuvFrame<&[u8]>,
        mut output: YuvFrame<&mut [u8]>,
    ) -> Result<()> {
        if (input.width, input.height, input.format) != (output.width, output.height, output.format)
        {
            return Err(Error::InvalidArgument(
                "the input and output frames differ in size or format".into(),
            ));
        }
        // The common case (full strength, no mask, no colour preservation, no scaling) goes
        // straight through the engine, converted in its own load and store passes.
        let (w, h) = (input.width, input.height);
        let scaled = settings.processing_size > 0 && w.min(h) as u32 > settings.processing_size;
        let masked = self.mask.scaled().is_some();
        let full_strength = self.shown_alpha.unwrap_or(settings.alpha) >= 1.0;
        let plain = full_strength && !settings.preserve_colour && !masked && !scaled;
        if plain {
            let engine = &*self.engine;
            let Some(style) = self.main.shown(engine)? else {
                return Err(Error::InvalidArgument("no style".into()));
            };
            let (src, dst) = (FrameIn::Yuv(input), FrameOut::Yuv(output));
            return engine.paint(src, dst, (w, h), &style.prepared, &mut self.workspace);
        }
        let (mut rgb_in, mut rgb_out) = (take(&mut self.rgb_in), take(&mut self.rgb_out));
        let painted = input.to_rgb(&mut rgb_in).and_then(|()| {
            rgb_out.resize(rgb_in.len(), 0);
            let (stride, width, height) = (3 * input.width, input.width, input.height);
            let src = Packed {
                data: &rgb_in[..],
                stride,
                width,
                height,
                layout: PixelLayout::RGB,
            };
            let dst = Packed {
                data: &mut rgb_out[..],
                stride,
                width,
                height,
                layout: PixelLayout::RGB,
            };
            self.paint(settings, src, dst)?;
            output.write_rgb(&rgb_out)
        });
        (self.rgb_in, self.rgb_out) = (rgb_in, rgb_out);
        painted
    }
}

/// Paints `frame` with `kernels` into `output`: straight from frame to frame, or at the
/// processing size, scaled back, given the fine band of a painting at the frame's own size
/// (`texture`, painted with the second workspace) and the frame's fine detail back.
fn paint_with(
    engine: &dyn Engine,
    [workspace, texture_workspace]: &mut [&mut Workspace; 2],
    kernels: &Kernels,
    frame: &WorkFrame,
    output: &mut Packed<&mut [u8]>,
) -> Result<()> {
    let size = frame.input.size();
    let prepared = kernels.prepared_for(frame.scaled());
    if !frame.scaled() {
        let (src, dst) = (
            FrameIn::Packed(frame.input),
            FrameOut::Packed(output.view_mut()),
        );
        return engine.paint(src, dst, size, prepared, workspace);
    }
    let work = frame.rgb();
    let mut painted = RgbImage::new(work.width(), work.height());
    let src = Packed::rgb(work);
    let work_size = src.size();
    let dst = FrameOut::Packed(Packed::rgb_mut(&mut painted));
    engine.paint(FrameIn::Packed(src), dst, work_size, prepared, workspace)?;
    let mut painted = image_io::resample_rgb(&painted, (size.0 as u32, size.1 as u32));
    if frame.textured() {
        // the frame's own size takes the kernels for frames painted as they are
        let mut full = RgbImage::new(size.0 as u32, size.1 as u32);
        let dst = FrameOut::Packed(Packed::rgb_mut(&mut full));
        let full_size_kernels = kernels.prepared_for(false);
        engine.paint(
            FrameIn::Packed(frame.input),
            dst,
            size,
            full_size_kernels,
            texture_workspace,
        )?;
        frame.add_fine_band(&mut painted, &full);
    }
    frame.scale_back(&painted, output);
    Ok(())
}

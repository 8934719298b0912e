//! One style of the painter (the main style, or the mask's second style): its kernels, a
//! replacement being encoded off the painting thread, and the cross-fade to it.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;

use crate::engine::{Engine, Prepared};
use crate::{DinModel, StyleCache, StyleKernels, StyleLoader, StyleSpec};

pub type StyleResult = Result<StyleKernels, String>;

/// Loads a style spec (images through the user's style cache); the message is for users.
pub fn load_style(model: &DinModel, spec: &str, style_size: u32) -> StyleResult {
    let run = || -> crate::Result<StyleKernels> {
        let spec: StyleSpec = spec.parse()?;
        StyleLoader::new(model, style_size, StyleCache::from_env()).load(&spec)
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!("loading the style '{spec}' failed unexpectedly")),
    }
}

/// A style being loaded on its own thread.
pub struct Pending {
    pub spec: String,
    result: Receiver<StyleResult>,
}

impl Pending {
    pub fn start(model: Arc<DinModel>, spec: String, style_size: u32) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::sync_channel(1);
        let s = spec.clone();
        std::thread::Builder::new()
            .name("dinstyle-style".into())
            .spawn(move || {
                let _ = tx.send(load_style(&model, &s, style_size));
            })?;
        Ok(Self { spec, result: rx })
    }

    /// The result once the thread is done.
    pub fn poll(&self) -> Option<StyleResult> {
        match self.result.try_recv() {
            Err(TryRecvError::Empty) => None,
            Ok(r) => Some(r),
            Err(TryRecvError::Disconnected) => Some(Err("the style loader stopped".into())),
        }
    }
}

/// Style kernels and the engine's form of them (and of their upscaled set, if any).
#[derive(Clone)]
pub struct Kernels {
    pub kernels: StyleKernels,
    pub prepared: Prepared,
    /// [`StyleKernels::upscaled`] prepared: for frames painted smaller and scaled up.
    pub prepared_upscaled: Option<Prepared>,
}

impl Kernels {
    pub fn new(engine: &dyn Engine, kernels: StyleKernels) -> crate::Result<Self> {
        let prepared = engine.prepare(&kernels)?;
        let prepared_upscaled = match &kernels.upscaled {
            Some(k) => Some(engine.prepare(k)?),
            None => None,
        };
        Ok(Self {
            kernels,
            prepared,
            prepared_upscaled,
        })
    }

    /// What frames are painted with: the upscaled set for frames painted smaller than shown
    /// (`upscaled`), when the model has one.
    pub fn prepared_for(&self, upscaled: bool) -> &Prepared {
        match (&self.prepared_upscaled, upscaled) {
            (Some(p), true) => p,
            _ => &self.prepared,
        }
    }

    /// `self` with `t` of `other`: the linear cross-fade of two styles in kernel space.
    fn towards(&self, other: &Kernels, t: f64, engine: &dyn Engine) -> crate::Result<Self> {
        let mixed = StyleKernels::mix(&[(&self.kernels, 1.0 - t), (&other.kernels, t)])?;
        Kernels::new(engine, mixed)
    }
}

/// `kernels` at strength `alpha`: mixed with the frame's `own` kernels when there are some
/// (alpha < 1), else as they are (no copy). `own` is the one set the frame is painted with
/// (`DinModel::encode_style_for(frame, scaled)`), so only that set is mixed and prepared.
pub fn with_strength<'k>(
    kernels: Cow<'k, Kernels>,
    own: Option<&StyleKernels>,
    alpha: f64,
    scaled: bool,
    engine: &dyn Engine,
) -> crate::Result<Cow<'k, Kernels>> {
    Ok(match own {
        Some(own) => {
            let set = StyleKernels {
                upscaled: None,
                ..kernels.kernels.for_frames(scaled).clone()
            };
            Cow::Owned(Kernels::new(engine, set.with_alpha(own, alpha)?)?)
        }
        None => kernels,
    })
}

/// A cross-fade in progress: from `from` to the slot's kernels over `frames` frames.
struct Fade {
    from: Kernels,
    done: u32,
    frames: u32,
}

/// A style slot. `serial` follows the setting's change counter.
pub struct Slot {
    pub active: Option<Kernels>,
    pub serial: u64,
    pub pending: Option<Pending>,
    fade: Option<Fade>,
}

impl Slot {
    pub fn new(active: Option<Kernels>, serial: u64) -> Self {
        Self {
            active,
            serial,
            pending: None,
            fade: None,
        }
    }

    /// Makes `next` the style; with `fade_frames > 0` the frames move to it gradually from
    /// what is shown now.
    pub fn switch(
        &mut self,
        next: Kernels,
        fade_frames: u32,
        engine: &dyn Engine,
    ) -> crate::Result<()> {
        let shown = self.shown(engine)?.map(Cow::into_owned);
        self.fade = match (shown, fade_frames) {
            (Some(from), 1..) => Some(Fade {
                from,
                done: 0,
                frames: fade_frames,
            }),
            _ => None,
        };
        self.active = Some(next);
        Ok(())
    }

    /// What the current frame is painted with: the active kernels themselves, or the fade's
    /// mix while fading.
    pub fn shown(&self, engine: &dyn Engine) -> crate::Result<Option<Cow<'_, Kernels>>> {
        let Some(active) = &self.active else {
            return Ok(None);
        };
        Ok(Some(match &self.fade {
            Some(f) => Cow::Owned(f.from.towards(
                active,
                f.done as f64 / f.frames as f64,
                engine,
            )?),
            None => Cow::Borrowed(active),
        }))
    }

    /// Moves a fade on by one frame.
    pub fn advance(&mut self) {
        if let Some(f) = &mut self.fade {
            f.done += 1;
            if f.done >= f.frames {
                self.fade = None;
            }
        }
    }
}

//! One video file through a GStreamer pipeline with the `dinstyle` element registered
//! statically: decode, paint, encode for the output's container, write a part file, rename it
//! into place. Audio is passed through (re-encoded for the container).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use gst::glib;
use gst::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};

use super::Paint;
use crate::{exit, EngineArgs};

/// Encoders and muxer for an output extension.
pub struct Container {
    video: &'static str,
    audio: &'static str,
    mux: &'static str,
}

/// The container for an output file's extension; None for one we cannot write.
pub fn container(path: &Path) -> Option<Container> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    let h264 = "videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=fast ! h264parse";
    let aac = "audioconvert ! audioresample ! avenc_aac";
    Some(match ext.as_str() {
        "mp4" | "m4v" | "mov" => Container {
            video: h264,
            audio: aac,
            mux: "mp4mux",
        },
        "mkv" => Container {
            video: h264,
            audio: aac,
            mux: "matroskamux",
        },
        "webm" => Container {
            video: "videoconvert ! video/x-raw,format=I420 ! vp8enc deadline=1",
            audio: "audioconvert ! audioresample ! opusenc",
            mux: "webmmux",
        },
        _ => return None,
    })
}

/// Starts GStreamer with the `dinstyle` element registered.
pub fn start_gstreamer() -> Result<(), String> {
    gst::init().map_err(|e| e.to_string())?;
    gstdinstyle::plugin_register_static().map_err(|e| e.to_string())
}

/// What an interruption (Ctrl-C, SIGTERM) does to the file being painted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OnInterrupt {
    /// End the stream there: what was painted so far becomes a playable (shorter) output.
    Finish,
    /// Drop the file: no output; a batch rerun paints it whole.
    Abandon,
}

/// Why a file was not painted.
#[derive(Debug)]
pub enum Failure {
    /// An error, with its exit code.
    Error(u8, String),
    /// Interrupted with `OnInterrupt::Abandon`: nothing written.
    Interrupted,
    /// Another process is painting the same output right now (its part file is locked).
    Busy,
}

/// A painted file.
#[derive(Debug, Clone, Copy)]
pub struct Painted {
    pub frames: u64,
    pub seconds: f64,
}

/// The part file an output is written to before it is renamed into place.
pub fn part_path(output: &Path) -> PathBuf {
    let name = output.file_name().unwrap_or_default().to_string_lossy();
    output.with_file_name(format!(
        ".{name}.part.{}",
        output.extension().unwrap_or_default().to_string_lossy()
    ))
}

/// Paints `input` into `output` through a part file, holding a lock on the part file so that
/// two processes never write the same output; the output appears only when it is complete
/// (or, with `OnInterrupt::Finish`, cut short but playable).
pub fn transcode(
    paint: &Paint,
    engine: &EngineArgs,
    input: &Path,
    output: &Path,
    quiet: bool,
    on_interrupt: OnInterrupt,
    interrupted: &AtomicBool,
) -> Result<Painted, Failure> {
    if let Err(e) = File::open(input) {
        return Err(Failure::Error(exit::NO_INPUT, format!("cannot open: {e}")));
    }
    let cannot_write = |e: std::io::Error| {
        Failure::Error(
            exit::CANT_CREATE,
            format!("cannot write {}: {e}", output.display()),
        )
    };
    let tmp = part_path(output);
    let part = match lock_part(&tmp) {
        Ok(Some(part)) => part,
        Ok(None) => return Err(Failure::Busy),
        Err(e) => return Err(cannot_write(e)),
    };
    let result = run_pipeline(paint, engine, input, &tmp, quiet, on_interrupt, interrupted);
    let result = result.and_then(|painted| {
        std::fs::rename(&tmp, output)
            .map(|_| painted)
            .map_err(cannot_write)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    drop(part); // the lock goes last
    result
}

/// Exit code for a pipeline error.
fn error_code(err: &glib::Error) -> u8 {
    use gst::{ResourceError, StreamError};
    if let Some(e) = err.kind::<ResourceError>() {
        return match e {
            ResourceError::OpenWrite | ResourceError::Write | ResourceError::NoSpaceLeft => {
                exit::CANT_CREATE
            }
            _ => exit::NO_INPUT,
        };
    }
    if err.kind::<StreamError>().is_some() {
        return exit::DATA_ERR;
    }
    exit::SOFTWARE
}

fn build(
    paint: &Paint,
    engine: &EngineArgs,
    input: &Path,
    tmp: &Path,
) -> Result<gst::Pipeline, String> {
    let c = container(tmp).ok_or("unknown video format")?;
    let quote = |p: &Path| format!("\"{}\"", p.display().to_string().replace('"', "\\\""));
    let model = engine
        .model
        .as_ref()
        .map(|m| format!("model={}", quote(m)))
        .unwrap_or_default();
    let desc = format!(
        "filesrc location={} ! decodebin name=dec  {} name=mux ! filesink location={} \
         dinstyle name=style processing-size={} style-size={} device={} {model}",
        quote(input),
        c.mux,
        quote(tmp),
        paint.size,
        paint.style_size,
        engine.device,
    );
    let pipeline = gst::parse::launch(&desc)
        .map_err(|e| e.to_string())?
        .downcast::<gst::Pipeline>()
        .map_err(|_| "not a pipeline")?;
    let element = pipeline.by_name("style").ok_or("no dinstyle element")?;
    let controls = &paint.controls;
    element.set_property("style", paint.style.to_string());
    element.set_property("alpha", controls.alpha);
    element.set_property("preserve-colour", controls.preserve_colour);
    element.set_property("stability", paint.stability);
    element.set_property("detail", paint.detail);
    element.set_property("texture", paint.texture);
    if let Some(mask) = &controls.mask {
        element.set_property("mask", mask.display().to_string());
    }
    if let Some(spec) = &controls.mask_style {
        element.set_property("mask-style", spec.to_string());
    }
    let video_done = Arc::new(AtomicBool::new(false));
    let audio_done = Arc::new(AtomicBool::new(false));
    let weak = pipeline.downgrade();
    let (video, audio) = (c.video, c.audio);
    let dec = pipeline.by_name("dec").ok_or("no decodebin")?;
    dec.connect_pad_added(move |_, pad| {
        let Some(pipeline) = weak.upgrade() else {
            return;
        };
        let kind = pad
            .current_caps()
            .and_then(|c| c.structure(0).map(|s| s.name().to_string()))
            .unwrap_or_default();
        let branch = if kind.starts_with("video/") && !video_done.swap(true, Ordering::SeqCst) {
            Some((
                "queue ! videoconvert".to_string(),
                Some(format!("{video} ! queue")),
            ))
        } else if kind.starts_with("audio/") && !audio_done.swap(true, Ordering::SeqCst) {
            Some((format!("queue ! {audio} ! queue"), None))
        } else {
            None
        };
        if let Err(e) = link_branch(&pipeline, pad, branch) {
            gst::element_error!(pipeline, gst::CoreError::Negotiation, ("{}", e));
        }
    });
    Ok(pipeline)
}

/// Links a decoded stream to its branch and the muxer: `head`, then for video the `dinstyle`
/// element and `tail`. Streams that are not kept (a second video or audio stream, subtitles) go
/// to a fakesink.
fn link_branch(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    branch: Option<(String, Option<String>)>,
) -> Result<(), String> {
    let Some(branch) = branch else {
        let sink = gst::ElementFactory::make("fakesink")
            .property("sync", false)
            .property("async", false)
            .build()
            .map_err(|e| e.to_string())?;
        pipeline.add(&sink).map_err(|e| e.to_string())?;
        sink.sync_state_with_parent().map_err(|e| e.to_string())?;
        pad.link(&sink.static_pad("sink").ok_or("no sink pad")?)
            .map_err(|e| format!("{e:?}"))?;
        return Ok(());
    };
    let (before, after) = branch;
    let mux = pipeline.by_name("mux").ok_or("no muxer")?;
    let head = gst::parse::bin_from_description(&before, true).map_err(|e| e.to_string())?;
    pipeline.add(&head).map_err(|e| e.to_string())?;
    let tail = match after {
        Some(after) => {
            let style = pipeline.by_name("style").ok_or("no dinstyle element")?;
            let tail = gst::parse::bin_from_description(&after, true).map_err(|e| e.to_string())?;
            pipeline.add(&tail).map_err(|e| e.to_string())?;
            head.link(&style).map_err(|e| e.to_string())?;
            style.link(&tail).map_err(|e| e.to_string())?;
            style.sync_state_with_parent().map_err(|e| e.to_string())?;
            tail
        }
        None => head.clone(),
    };
    tail.link(&mux).map_err(|e| e.to_string())?;
    tail.sync_state_with_parent().map_err(|e| e.to_string())?;
    head.sync_state_with_parent().map_err(|e| e.to_string())?;
    pad.link(&head.static_pad("sink").ok_or("no sink pad")?)
        .map_err(|e| format!("{e:?}"))?;
    Ok(())
}

/// Opens and locks the part file at `path`, truncated; None when another process holds it.
fn lock_part(path: &Path) -> std::io::Result<Option<File>> {
    use std::os::unix::fs::MetadataExt;
    loop {
        // Not truncated before the lock is ours: the file may be another process's work.
        let part = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        match part.try_lock() {
            Ok(()) => (),
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(e),
        }
        // The holder may have renamed it into place between our open and our lock: then the
        // lock is on a finished output, not on the part file. Open the path again.
        let (locked, named) = (part.metadata()?, std::fs::metadata(path));
        if named.is_ok_and(|n| (n.dev(), n.ino()) == (locked.dev(), locked.ino())) {
            // A part file left by a killed run is replaced.
            part.set_len(0)?;
            return Ok(Some(part));
        }
    }
}

fn run_pipeline(
    paint: &Paint,
    engine: &EngineArgs,
    input: &Path,
    tmp: &Path,
    quiet: bool,
    on_interrupt: OnInterrupt,
    interrupted: &AtomicBool,
) -> Result<Painted, Failure> {
    let pipeline =
        build(paint, engine, input, tmp).map_err(|e| Failure::Error(exit::SOFTWARE, e))?;
    let frames = Arc::new(AtomicU64::new(0));
    if let Some(src) = pipeline.by_name("style").and_then(|s| s.static_pad("src")) {
        let f = frames.clone();
        src.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
            f.fetch_add(1, Ordering::Relaxed);
            gst::PadProbeReturn::Ok
        });
    }
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {wide_bar} {percent:>3}% {msg} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let bus = pipeline
        .bus()
        .ok_or(Failure::Error(exit::SOFTWARE, "no bus".to_string()))?;
    let outcome = (|| {
        pipeline.set_state(gst::State::Playing).map_err(|_| {
            Failure::Error(exit::SOFTWARE, "the pipeline did not start".to_string())
        })?;
        let mut eos_sent = false;
        loop {
            if interrupted.load(Ordering::SeqCst) {
                match on_interrupt {
                    OnInterrupt::Abandon => return Err(Failure::Interrupted),
                    OnInterrupt::Finish if !eos_sent => {
                        // End the file properly: what is painted so far stays playable.
                        pipeline.send_event(gst::event::Eos::new());
                        eos_sent = true;
                    }
                    OnInterrupt::Finish => (),
                }
            }
            if let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(200)) {
                match msg.view() {
                    gst::MessageView::Eos(..) => return Ok(()),
                    gst::MessageView::Error(e) => {
                        let code = error_code(&e.error());
                        let mut text = e.error().to_string();
                        // Internal failures carry their details; user errors read better without.
                        if let (exit::SOFTWARE, Some(debug)) = (code, e.debug()) {
                            text = format!("{text} ({debug})");
                        }
                        return Err(Failure::Error(code, text));
                    }
                    _ => (),
                }
            }
            let n = frames.load(Ordering::Relaxed);
            let fps = n as f64 / started.elapsed().as_secs_f64().max(1e-3);
            if let (Some(pos), Some(dur)) = (
                pipeline.query_position::<gst::ClockTime>(),
                pipeline.query_duration::<gst::ClockTime>(),
            ) {
                bar.set_length(dur.mseconds());
                bar.set_position(pos.mseconds());
            }
            bar.set_message(format!("{n} frames, {fps:.1} fps"));
            bar.tick();
        }
    })();
    bar.finish_and_clear();
    let _ = pipeline.set_state(gst::State::Null);
    outcome.map(|_| Painted {
        frames: frames.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
    })
}

//! `dinstyle video`: paint video files through a GStreamer pipeline with the `dinstyle` element
//! registered statically. Audio is passed through (re-encoded for the container); the container
//! and codecs follow the output's extension.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use dinstyle::{image_io, Error, Result};
use gst::glib;
use gst::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};

use super::{exit, report};

#[derive(Args, Debug)]
pub struct VideoArgs {
    /// Video files to paint (anything GStreamer can decode).
    #[arg(required = true, value_name = "VIDEO")]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    style: super::StyleArgs,
    /// Output file (only with a single input); .mp4 (H.264 + AAC), .mkv (H.264 + AAC) or
    /// .webm (VP8 + Opus).
    #[arg(short, long, value_name = "FILE", conflicts_with = "out_dir")]
    output: Option<PathBuf>,
    /// Folder for the results, named <video>-<style>.<format> [default: .]
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Container for results written to --out-dir.
    #[arg(long, default_value = "mp4", value_parser = ["mp4", "mkv", "webm"])]
    format: String,
    /// Against flicker: weight of past frames in a moving average of the network's
    /// normalisation statistics (0 = off, 0.9 = strong); restarts on scene cuts.
    #[arg(long, default_value_t = 0.0, value_name = "S", value_parser = stability_range)]
    stability: f64,
    /// Stylize at this shorter side and scale back (faster); 0: at the video's own size.
    #[arg(long, default_value_t = 0, value_name = "PIXELS")]
    size: u32,
    #[command(flatten)]
    engine: super::EngineArgs,
    /// No progress bar; print only errors.
    #[arg(short, long)]
    quiet: bool,
}

fn stability_range(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=0.99).contains(&v) => Ok(v),
        Ok(v) => Err(format!("{v} is outside 0..0.99")),
        Err(e) => Err(e.to_string()),
    }
}

/// Encoders and muxer for an output extension.
struct Container {
    video: &'static str,
    audio: &'static str,
    mux: &'static str,
}

fn container(path: &Path) -> Option<Container> {
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

/// Checks what can be checked before any pipeline runs, so that errors get their exit codes.
fn preflight(args: &VideoArgs, outputs: &[PathBuf]) -> Result<()> {
    // Load every style now (through the cache, so the element finds them there) to report a
    // bad one with its exit code before any pipeline starts.
    let model = args.engine.load_model()?;
    let loader = args.engine.style_loader(&model);
    loader.load(&args.style.style)?;
    if let Some(spec) = &args.style.mask_style {
        loader.load(spec)?;
    }
    if let Some(mask) = &args.style.mask {
        image_io::load_image(mask, "mask image")?;
    }
    for output in outputs {
        if container(output).is_none() {
            return Err(Error::InvalidArgument(format!(
                "{}: unknown video format; use .mp4, .mkv or .webm",
                output.display()
            )));
        }
    }
    Ok(())
}

pub fn run(args: VideoArgs) -> u8 {
    let outputs = super::output_paths(
        &args.inputs,
        &args.style,
        args.output.as_ref(),
        args.out_dir.as_ref(),
        &args.format,
    )
    .and_then(|o| preflight(&args, &o).map(|_| o));
    let outputs = match outputs {
        Ok(o) => o,
        Err(e) => return report(&e),
    };
    let started = gst::init()
        .map_err(|e| e.to_string())
        .and_then(|_| gstdinstyle::plugin_register_static().map_err(|e| e.to_string()));
    if let Err(e) = started {
        eprintln!("dinstyle: error: GStreamer could not start: {e}");
        return exit::UNAVAILABLE;
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130); // a second Ctrl-C: give up at once
        }
    });
    let mut worst = 0;
    for (input, output) in args.inputs.iter().zip(&outputs) {
        if interrupted.load(Ordering::SeqCst) {
            break;
        }
        match transcode(&args, input, output, &interrupted) {
            Ok(frames) => {
                if !args.quiet {
                    eprintln!(
                        "{} -> {} ({frames} frames)",
                        input.display(),
                        output.display()
                    );
                }
                println!("{}", output.display());
            }
            Err((code, msg)) => {
                eprintln!("dinstyle: error: {}: {msg}", input.display());
                worst = worst.max(code);
            }
        }
    }
    if interrupted.load(Ordering::SeqCst) {
        eprintln!("dinstyle: interrupted; what was painted so far is a playable file");
        return 130;
    }
    worst
}

type Failure = (u8, String);

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

fn build(args: &VideoArgs, input: &Path, tmp: &Path) -> std::result::Result<gst::Pipeline, String> {
    let c = container(tmp).ok_or("unknown video format")?;
    let quote = |p: &Path| format!("\"{}\"", p.display().to_string().replace('"', "\\\""));
    let model = args
        .engine
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
        args.size,
        args.engine.style_size,
        args.engine.device,
    );
    let pipeline = gst::parse::launch(&desc)
        .map_err(|e| e.to_string())?
        .downcast::<gst::Pipeline>()
        .map_err(|_| "not a pipeline")?;
    let element = pipeline.by_name("style").ok_or("no dinstyle element")?;
    let controls = &args.style;
    element.set_property("style", controls.style.to_string());
    element.set_property("alpha", controls.alpha);
    element.set_property("preserve-colour", controls.preserve_colour);
    element.set_property("stability", args.stability);
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
) -> std::result::Result<(), String> {
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

/// Runs one file to the end; returns the number of painted frames.
fn transcode(
    args: &VideoArgs,
    input: &Path,
    output: &Path,
    interrupted: &AtomicBool,
) -> std::result::Result<u64, Failure> {
    if let Err(e) = std::fs::File::open(input) {
        return Err((exit::NO_INPUT, format!("cannot open: {e}")));
    }
    let name = output.file_name().unwrap_or_default().to_string_lossy();
    let tmp = output.with_file_name(format!(
        ".{name}.part.{}",
        output.extension().unwrap_or_default().to_string_lossy()
    ));
    if let Err(e) = std::fs::File::create(&tmp) {
        return Err((
            exit::CANT_CREATE,
            format!("cannot write {}: {e}", output.display()),
        ));
    }
    let result = run_pipeline(args, input, &tmp, interrupted);
    match result {
        Ok(frames) => std::fs::rename(&tmp, output).map(|_| frames).map_err(|e| {
            (
                exit::CANT_CREATE,
                format!("cannot write {}: {e}", output.display()),
            )
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn run_pipeline(
    args: &VideoArgs,
    input: &Path,
    tmp: &Path,
    interrupted: &AtomicBool,
) -> std::result::Result<u64, Failure> {
    let pipeline = build(args, input, tmp).map_err(|e| (exit::SOFTWARE, e))?;
    let frames = Arc::new(AtomicU64::new(0));
    if let Some(src) = pipeline.by_name("style").and_then(|s| s.static_pad("src")) {
        let f = frames.clone();
        src.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
            f.fetch_add(1, Ordering::Relaxed);
            gst::PadProbeReturn::Ok
        });
    }
    let bar = if args.quiet {
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
        .ok_or((exit::SOFTWARE, "no bus".to_string()))?;
    let outcome = (|| {
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|_| (exit::SOFTWARE, "the pipeline did not start".to_string()))?;
        let mut eos_sent = false;
        loop {
            if interrupted.load(Ordering::SeqCst) && !eos_sent {
                // Finish the file properly: what is painted so far stays playable.
                pipeline.send_event(gst::event::Eos::new());
                eos_sent = true;
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
                        return Err((code, text));
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
    outcome.map(|_| frames.load(Ordering::Relaxed))
}

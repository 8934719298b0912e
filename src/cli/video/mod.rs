//! `dinstyle video`: paint video files, named on the command line or listed in a manifest that
//! any number of processes (Kubernetes Indexed Job pods) share out between them, each painting
//! its shard; `--summarize` merges their reports.

mod batch;
mod manifest;
mod pipeline;
mod report;
mod shard;
mod sidecar;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Args;
use dinstyle::{image_io, Error, Result, StyleSpec};

use super::{exit, report, StyleControls};
use pipeline::{Failure, OnInterrupt};

#[derive(Args, Debug)]
pub struct VideoArgs {
    /// Video files to paint (anything GStreamer can decode).
    #[arg(value_name = "VIDEO", required_unless_present_any = ["manifest", "summarize"],
          conflicts_with_all = ["manifest", "summarize"])]
    inputs: Vec<PathBuf>,
    #[arg(short, long, value_name = "STYLE", help = super::STYLE_HELP,
          required_unless_present_any = ["manifest", "summarize"])]
    style: Option<StyleSpec>,
    #[command(flatten)]
    controls: StyleControls,
    /// Output file (only with a single input); .mp4 (H.264 + AAC), .mkv (H.264 + AAC) or
    /// .webm (VP8 + Opus).
    #[arg(short, long, value_name = "FILE", conflicts_with_all = ["out_dir", "manifest"])]
    output: Option<PathBuf>,
    /// Folder for the results, named <video>-<style>.<format> [default: .]
    #[arg(long, value_name = "DIR", conflicts_with = "manifest")]
    out_dir: Option<PathBuf>,
    /// Container for results written to --out-dir.
    #[arg(long, default_value = "mp4", value_parser = ["mp4", "mkv", "webm"],
          conflicts_with = "manifest")]
    format: String,
    /// Against flicker: weight of past frames in a moving average of the network's
    /// normalisation statistics (0 = off, 0.9 = strong); restarts on scene cuts.
    #[arg(long, default_value_t = 0.0, value_name = "S", value_parser = stability_range)]
    stability: f64,
    /// Stylize at this shorter side and scale back: strokes in proportion to the picture, and
    /// faster; 0: at the video's own size (finer strokes).
    #[arg(long, default_value_t = dinstyle::DEFAULT_PROCESSING_SIZE, value_name = "PIXELS")]
    size: u32,
    /// Share of the frames' fine detail, lost when they are painted at --size, put back on the
    /// painting's light after scaling up (0: softer, 1: all of it).
    #[arg(long, default_value_t = dinstyle::DEFAULT_DETAIL, value_name = "D",
          value_parser = crate::image::unit_interval)]
    detail: f64,
    /// Share of the fine strokes of a second painting at the video's own size added to frames
    /// painted at --size (0: none; 1: all of them, sharper texture, each frame painted twice).
    #[arg(long, default_value_t = dinstyle::DEFAULT_TEXTURE, value_name = "T",
          value_parser = crate::image::unit_interval)]
    texture: f64,
    #[command(flatten)]
    engine: super::EngineArgs,
    #[command(flatten)]
    batch: batch::BatchArgs,
    /// No progress bar; print only errors.
    #[arg(short, long)]
    quiet: bool,
}

pub(crate) fn stability_range(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=0.99).contains(&v) => Ok(v),
        Ok(v) => Err(format!("{v} is outside 0..0.99")),
        Err(e) => Err(e.to_string()),
    }
}

/// How one file is painted: the style and every option that changes the pixels.
#[derive(Debug, Clone)]
pub struct Paint {
    pub style: StyleSpec,
    pub controls: StyleControls,
    pub stability: f64,
    pub size: u32,
    pub detail: f64,
    pub texture: f64,
    pub style_size: u32,
}

impl VideoArgs {
    /// The command line's settings, without a style when it gives none (a manifest may).
    fn paint(&self) -> Option<Paint> {
        Some(Paint {
            style: self.style.clone()?,
            controls: self.controls.clone(),
            stability: self.stability,
            size: self.size,
            detail: self.detail,
            texture: self.texture,
            style_size: self.engine.style_size,
        })
    }
}

pub fn run(args: VideoArgs) -> u8 {
    if let Some(dir) = &args.batch.summarize {
        return report::summarize(dir, args.batch.manifest.as_deref(), args.batch.json);
    }
    if let Some(manifest) = &args.batch.manifest {
        return batch::run(&args, manifest);
    }
    run_files(&args)
}

/// Checks what can be checked before any pipeline runs, so that errors get their exit codes:
/// loads every style (through the cache, where the element then finds it) and the mask.
fn preflight(paint: &Paint, loader: &dinstyle::StyleLoader) -> Result<()> {
    loader.load(&paint.style)?;
    if let Some(spec) = &paint.controls.mask_style {
        loader.load(spec)?;
    }
    if let Some(mask) = &paint.controls.mask {
        image_io::load_image(mask, "mask image")?;
    }
    Ok(())
}

/// Refuses outputs with no container we can write.
fn check_containers<'a>(outputs: impl IntoIterator<Item = &'a PathBuf>) -> Result<()> {
    for output in outputs {
        if pipeline::container(output).is_none() {
            return Err(Error::InvalidArgument(format!(
                "{}: unknown video format; use .mp4, .mkv or .webm",
                output.display()
            )));
        }
    }
    Ok(())
}

/// Sets a flag on Ctrl-C and SIGTERM; a second one exits at once.
fn interrupt_flag() -> Arc<AtomicBool> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    interrupted
}

/// The files named on the command line, one after another.
fn run_files(args: &VideoArgs) -> u8 {
    let Some(paint) = args.paint() else {
        return report(&Error::InvalidArgument("--style is required".into()));
    };
    let checked = super::output_paths(
        &args.inputs,
        &paint.style,
        &paint.controls,
        args.output.as_ref(),
        args.out_dir.as_ref(),
        &args.format,
    )
    .and_then(|outputs| {
        check_containers(&outputs)?;
        let model = args.engine.load_model()?;
        preflight(&paint, &args.engine.style_loader(&model))?;
        Ok(outputs)
    });
    let outputs = match checked {
        Ok(o) => o,
        Err(e) => return report(&e),
    };
    if let Err(e) = pipeline::start_gstreamer() {
        eprintln!("dinstyle: error: GStreamer could not start: {e}");
        return exit::UNAVAILABLE;
    }
    let interrupted = interrupt_flag();
    let mut worst = 0;
    for (input, output) in args.inputs.iter().zip(&outputs) {
        if interrupted.load(Ordering::SeqCst) {
            break;
        }
        let painted = pipeline::transcode(
            &paint,
            &args.engine,
            input,
            output,
            args.quiet,
            OnInterrupt::Finish,
            &interrupted,
        );
        match painted {
            Ok(p) => {
                if !args.quiet {
                    let (i, o) = (input.display(), output.display());
                    eprintln!("{i} -> {o} ({} frames)", p.frames);
                }
                println!("{}", output.display());
            }
            Err(failure) => {
                let (code, msg) = match failure {
                    Failure::Error(code, msg) => (code, msg),
                    Failure::Busy => (
                        exit::TEMP_FAIL,
                        format!("{} is being written by another process", output.display()),
                    ),
                    Failure::Interrupted => (130, "interrupted".to_string()),
                };
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

//! `dinstyle bench`: frames per second of the content path per resolution and device, and the
//! style encoding time on its own. Warm-up frames are excluded; medians are reported.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use dinstyle::cpu::{CpuKernels, CpuNet, FrameIn, FrameOut, Workspace};
use dinstyle::frame::{Packed, PixelLayout};
use dinstyle::{image_io, DinModel, Error, Result, StyleKernels};
use image::RgbImage;

use super::report;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Frame sizes: 360p, 720p, 1080p, 4k or WxH, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "360p,720p,1080p,4k", value_parser = parse_size)]
    sizes: Vec<(usize, usize)>,
    /// Frames timed per size, after the warm-up (fewer if --seconds runs out first).
    #[arg(long, default_value_t = 50)]
    frames: usize,
    /// Untimed frames before timing starts, per size.
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Time budget per size, in seconds (at least 5 frames are always timed).
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    /// Style image [default: a generated pattern; the speed does not depend on the picture].
    #[arg(long, value_name = "IMAGE")]
    style: Option<PathBuf>,
    /// What to time: the CPU engine, or the op-by-op Candle graph (CPU or CUDA).
    #[arg(long, value_enum, default_value = "auto")]
    path: BenchPath,
    /// Also time a video file end to end through GStreamer (decode, videoconvert, the element),
    /// against the same pipeline without the element.
    #[arg(long, value_name = "VIDEO")]
    pipeline: Option<PathBuf>,
    /// Print comma-separated values instead of a table.
    #[arg(long)]
    csv: bool,
    #[command(flatten)]
    engine: super::EngineArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BenchPath {
    /// The CPU engine on the CPU, the Candle graph elsewhere.
    Auto,
    /// `dinstyle::cpu`: packed 8-bit frames in and out.
    Engine,
    /// `DinModel::stylize` (the Candle graph) with the frame's upload and download.
    Graph,
}

fn parse_size(s: &str) -> std::result::Result<(usize, usize), String> {
    let named = match s.to_ascii_lowercase().as_str() {
        "360p" => Some((640, 360)),
        "720p" => Some((1280, 720)),
        "1080p" => Some((1920, 1080)),
        "4k" | "2160p" => Some((3840, 2160)),
        _ => None,
    };
    if let Some(size) = named {
        return Ok(size);
    }
    let (w, h) = s
        .split_once('x')
        .ok_or_else(|| format!("'{s}' is not 360p, 720p, 1080p, 4k or WxH"))?;
    let dim = |v: &str| match v.parse::<usize>() {
        Ok(n) if (1..=16384).contains(&n) => Ok(n),
        _ => Err(format!("'{v}' in '{s}' is not a side between 1 and 16384")),
    };
    Ok((dim(w)?, dim(h)?))
}

/// A frame with detail everywhere (gradients and a fine checker), as packed RGBx.
fn test_frame(w: usize, h: usize) -> Vec<u8> {
    let mut data = vec![255u8; w * h * 4];
    for (i, px) in data.chunks_exact_mut(4).enumerate() {
        let (x, y) = (i % w, i / w);
        px[0] = (x * 255 / w.max(2)) as u8;
        px[1] = (y * 255 / h.max(2)) as u8;
        px[2] = if (x / 8 + y / 8) % 2 == 0 { 40 } else { 220 };
    }
    data
}

/// Median, 10th and 90th percentile of `times`, in milliseconds.
fn summary(mut times: Vec<Duration>) -> [f64; 3] {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    [at(0.5), at(0.1), at(0.9)]
}

/// Style encodings timed at most: one per style in real use, so a few give a stable median.
const STYLE_RUNS: usize = 10;

/// Times `run` `frames` times after the warm-up, or fewer if the time budget runs out.
fn time_frames(
    args: &BenchArgs,
    frames: usize,
    mut run: impl FnMut() -> Result<()>,
) -> Result<Vec<Duration>> {
    for _ in 0..args.warmup {
        run()?;
    }
    let budget = Instant::now();
    let mut times = Vec::with_capacity(frames);
    while times.len() < frames.max(1)
        && (times.len() < 5 || budget.elapsed().as_secs_f64() < args.seconds)
    {
        let start = Instant::now();
        run()?;
        times.push(start.elapsed());
    }
    Ok(times)
}

fn style_image(args: &BenchArgs) -> Result<RgbImage> {
    let img = match &args.style {
        Some(path) => image_io::load_image(path, "style image")?.rgb,
        None => RgbImage::from_fn(512, 384, |x, y| {
            let v = ((x as f32 * 0.05).sin() * (y as f32 * 0.08).cos() * 100.0 + 128.0) as u8;
            image::Rgb([v, (x / 2) as u8, 255 - (y / 2) as u8])
        }),
    };
    Ok(image_io::fit_style(&img, args.engine.style_size))
}

pub fn run(args: BenchArgs) -> u8 {
    match bench(&args) {
        Ok(()) => 0,
        Err(e) => report(&e),
    }
}

fn bench(args: &BenchArgs) -> Result<()> {
    if let Some(video) = args.pipeline.as_ref().filter(|v| !v.is_file()) {
        return Err(Error::Io {
            what: "video",
            path: video.clone(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    let device = dinstyle::parse_device(&args.engine.device)?;
    let model = match &args.engine.model {
        Some(path) => DinModel::load(path, &device)?,
        None => DinModel::bundled(&device)?,
    };
    let cpu = match device.is_cpu() {
        true => Some(CpuNet::new(&model)?),
        false => None,
    };
    let path = match (args.path, cpu.as_ref()) {
        (BenchPath::Auto, Some(_)) => BenchPath::Engine,
        (BenchPath::Auto, None) => BenchPath::Graph,
        (BenchPath::Engine, None) => {
            return Err(Error::InvalidArgument(
                "--path engine runs on the CPU: add --device cpu".into(),
            ))
        }
        (p, _) => p,
    };
    let style = image_io::to_tensor(&style_image(args)?, &device)?;
    let mut kernels: Option<StyleKernels> = None;
    let style_times = time_frames(args, args.frames.min(STYLE_RUNS), || {
        let k = model.encode_style(&style)?;
        device.synchronize()?;
        kernels = Some(k);
        Ok(())
    })?;
    let kernels = kernels.expect("at least one style encoding ran");
    let threads = rayon::current_num_threads();
    let where_ = match (path, cpu.as_ref()) {
        (BenchPath::Engine, Some(net)) => {
            format!("cpu engine ({}; {threads} threads)", net.level().name())
        }
        _ => format!("candle graph on {}", dinstyle::device::device_name(&device)),
    };
    let [enc, ..] = summary(style_times);
    if args.csv {
        println!("path,width,height,frames,median_ms,p10_ms,p90_ms,fps");
        println!(
            "style-encoding {where_},{0},{0},1,{enc:.3},,,",
            args.engine.style_size
        );
    } else {
        println!("dinstyle bench: {where_}");
        println!(
            "style encoding at {} px: {enc:.1} ms (median)",
            args.engine.style_size
        );
        println!(
            "{:>11}  {:>6}  {:>9}  {:>7}  {:>7}  {:>7}",
            "size", "frames", "median ms", "p10", "p90", "fps"
        );
    }
    let cpu_kernels = CpuKernels::new(&kernels)?;
    let mut ws = Workspace::new();
    let layout = PixelLayout::RGBX;
    for &(w, h) in &args.sizes {
        let frame = test_frame(w, h);
        let mut out = frame.clone();
        let times = match (path, cpu.as_ref()) {
            (BenchPath::Engine, Some(net)) => time_frames(args, args.frames, || {
                let src = FrameIn::Packed(Packed {
                    data: &frame,
                    stride: 4 * w,
                    width: w,
                    height: h,
                    layout,
                });
                let dst = FrameOut::Packed(Packed {
                    data: &mut out,
                    stride: 4 * w,
                    width: w,
                    height: h,
                    layout,
                });
                Ok(net.stylize(src, dst, (w, h), &cpu_kernels, &mut ws)?)
            })?,
            _ => {
                let rgb = RgbImage::from_fn(w as u32, h as u32, |x, y| {
                    let i = 4 * (y as usize * w + x as usize);
                    image::Rgb([frame[i], frame[i + 1], frame[i + 2]])
                });
                time_frames(args, args.frames, || {
                    let t = image_io::to_tensor(&rgb, &device)?;
                    let y = model.stylize(&t, &kernels)?;
                    image_io::from_tensor(&y)?;
                    Ok(())
                })?
            }
        };
        let n = times.len();
        let [med, p10, p90] = summary(times);
        if args.csv {
            println!(
                "{where_},{w},{h},{n},{med:.3},{p10:.3},{p90:.3},{:.2}",
                1e3 / med
            );
        } else {
            println!(
                "{:>11}  {n:>6}  {med:>9.1}  {p10:>7.1}  {p90:>7.1}  {:>7.1}",
                format!("{w}x{h}"),
                1e3 / med
            );
        }
    }
    if let Some(video) = &args.pipeline {
        bench_pipeline(args, video)?;
    }
    Ok(())
}

fn bench_pipeline(args: &BenchArgs, video: &std::path::Path) -> Result<()> {
    let dir = tempfile_dir()?;
    let style = match &args.style {
        Some(s) => s.clone(),
        None => {
            let path = dir.join("style.png");
            image_io::save_image(&style_image(args)?, None, &path)?;
            path
        }
    };
    let fail = |e: String| {
        Error::Compute(candle_core::Error::msg(format!(
            "pipeline on '{}': {e}",
            video.display()
        )))
    };
    let (decoded, bare) = pipeline_fps(video, None).map_err(fail)?;
    let (painted, took) = pipeline_fps(video, Some((&style, &args.engine.device))).map_err(fail)?;
    let _ = std::fs::remove_dir_all(&dir);
    let name = video.display();
    if args.csv {
        println!(
            "pipeline decode-only {name},,,{decoded},{:.3},,,{:.2}",
            bare * 1e3 / decoded as f64,
            decoded as f64 / bare
        );
        println!(
            "pipeline dinstyle {name},,,{painted},{:.3},,,{:.2}",
            took * 1e3 / painted as f64,
            painted as f64 / took
        );
    } else {
        println!("end to end, filesrc ! decodebin ! videoconvert ! dinstyle ! fakesink, '{name}':");
        println!(
            "  without dinstyle: {decoded} frames in {bare:.2} s ({:.1} fps)",
            decoded as f64 / bare
        );
        println!(
            "  with dinstyle:    {painted} frames in {took:.2} s ({:.1} fps)",
            painted as f64 / took
        );
    }
    Ok(())
}

/// A fresh private folder for the generated style image.
fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("dinstyle-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::Write {
        path: dir.clone(),
        reason: e.to_string(),
    })?;
    Ok(dir)
}

/// Frames through `filesrc ! decodebin ! videoconvert ! [dinstyle] ! fakesink` per second of
/// wall time, with the element or without it (the decoding cost alone).
fn pipeline_fps(
    file: &std::path::Path,
    element: Option<(&std::path::Path, &str)>,
) -> std::result::Result<(u64, f64), String> {
    use gst::prelude::*;
    gst::init().map_err(|e| e.to_string())?;
    gstdinstyle::plugin_register_static().map_err(|e| e.to_string())?;
    let quote =
        |p: &std::path::Path| format!("\"{}\"", p.display().to_string().replace('"', "\\\""));
    let stage = match element {
        Some((style, device)) => format!("dinstyle style={} device={device} ! ", quote(style)),
        None => String::new(),
    };
    let desc = format!(
        "filesrc location={} ! decodebin ! videoconvert ! {stage}fakesink name=sink sync=false",
        quote(file)
    );
    let pipeline = gst::parse::launch(&desc)
        .map_err(|e| e.to_string())?
        .downcast::<gst::Pipeline>()
        .map_err(|_| "not a pipeline".to_string())?;
    let frames = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sink = pipeline.by_name("sink").ok_or("no sink")?;
    let counter = frames.clone();
    sink.static_pad("sink").ok_or("no sink pad")?.add_probe(
        gst::PadProbeType::BUFFER,
        move |_, _| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            gst::PadProbeReturn::Ok
        },
    );
    let start = Instant::now();
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| e.to_string())?;
    let bus = pipeline.bus().ok_or("no bus")?;
    let outcome = loop {
        let Some(msg) = bus.timed_pop(gst::ClockTime::NONE) else {
            continue;
        };
        match msg.view() {
            gst::MessageView::Eos(_) => break Ok(()),
            gst::MessageView::Error(e) => break Err(format!("{} ({:?})", e.error(), e.debug())),
            _ => {}
        }
    };
    let took = start.elapsed().as_secs_f64();
    let _ = pipeline.set_state(gst::State::Null);
    outcome?;
    let n = frames.load(std::sync::atomic::Ordering::Relaxed);
    Ok((n, took))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("720p"), Ok((1280, 720)));
        assert_eq!(parse_size("4K"), Ok((3840, 2160)));
        assert_eq!(parse_size("33x7"), Ok((33, 7)));
        assert!(parse_size("0x7").is_err());
        assert!(parse_size("big").is_err());
    }

    #[test]
    fn percentiles() {
        let ms = |v: u64| Duration::from_millis(v);
        assert_eq!(summary((1..=11).rev().map(ms).collect()), [6.0, 2.0, 10.0]);
    }
}

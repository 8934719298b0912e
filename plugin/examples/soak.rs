//! Soak: the element in a live pipeline for a long time, with its styles and properties changed
//! on a schedule, resident memory and fps sampled at a fixed interval. Fails (exit 1) when
//! memory grows after the warm-up. `benches/soak.sh` runs it for an hour; the test suite runs
//! the same code for two minutes (`tests/soak.rs`).
//!
//!     cargo run --release -p gst-plugin-dinstyle --example soak -- SECONDS RESULTS.tsv

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gst::prelude::*;

/// What a soak measured: one row per sample.
pub struct Sample {
    pub seconds: f64,
    /// The interval's peak, read at every poll: a point sample can miss what a short-lived
    /// state (a mask, a cross-fade) holds, and then a later sample reads it as growth.
    pub rss_mib: f64,
    pub fps: f64,
    pub change: String,
}

pub struct Soak {
    pub duration: Duration,
    pub interval: Duration,
    /// Samples before this are the warm-up (model, styles, caches, buffer pools settle). At least
    /// one pass of the schedule, so that its peak has seen every state the later samples see.
    pub warm_up: Duration,
    /// Growth allowed after the warm-up, in MiB.
    pub tolerance_mib: f64,
}

/// Resident memory of this process, in MiB.
pub fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The property changes, in turn: every style kind, strength, mask, stability, cross-fades.
fn schedule(dir: &Path) -> Vec<(&'static str, gst::glib::Value)> {
    let image = dir.join("style.png");
    image::RgbImage::from_fn(96, 80, |x, y| {
        image::Rgb(match ((x + 2 * y) / 9) % 2 {
            0 => [200, 40, 30],
            _ => [240, 210, 60],
        })
    })
    .save(&image)
    .expect("write the style image");
    let mask = dir.join("mask.png");
    image::GrayImage::from_fn(16, 9, |x, _| image::Luma([if x < 8 { 0 } else { 255 }]))
        .save(&mask)
        .expect("write the mask");
    let kernels =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/presets/pere-tanguy.dinstyle");
    let s = |p: &Path| p.to_str().unwrap().to_owned().to_value();
    vec![
        ("style", "preset:the-harvest".to_value()),
        ("alpha", 0.6f64.to_value()),
        ("style", s(&image)),
        ("mask", s(&mask)),
        ("mask-style", "preset:cafe-terrace".to_value()),
        ("stability", 0.5f64.to_value()),
        ("style", s(&kernels)),
        ("preserve-colour", true.to_value()),
        ("transition-frames", 15u32.to_value()),
        (
            "style",
            "preset:the-night-cafe:0.5,preset:langlois-bridge:0.5".to_value(),
        ),
        ("alpha", 1.0f64.to_value()),
        ("mask", None::<String>.to_value()),
        ("mask-style", None::<String>.to_value()),
        ("preserve-colour", false.to_value()),
        ("stability", 0.0f64.to_value()),
        ("transition-frames", 0u32.to_value()),
        ("style", "preset:the-night-cafe".to_value()),
    ]
}

impl Soak {
    /// Runs the pipeline; `on_sample` sees every sample as it is taken.
    pub fn run(&self, mut on_sample: impl FnMut(&Sample)) -> Result<Vec<Sample>, String> {
        gst::init().map_err(|e| e.to_string())?;
        gstdinstyle::plugin_register_static().map_err(|e| e.to_string())?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let pipeline = gst::parse::launch(
            "videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1 \
             ! dinstyle name=d style=preset:the-night-cafe processing-size=270 \
             ! fakesink name=sink sync=true signal-handoffs=true",
        )
        .map_err(|e| e.to_string())?
        .downcast::<gst::Pipeline>()
        .unwrap();
        let element = pipeline.by_name("d").unwrap();
        let frames = Arc::new(AtomicU64::new(0));
        let counter = frames.clone();
        pipeline
            .by_name("sink")
            .unwrap()
            .connect("handoff", false, move |_| {
                counter.fetch_add(1, Ordering::Relaxed);
                None
            });
        let changes = schedule(dir.path());
        let change_every = self.interval / 5;
        let schedule_pass = change_every * changes.len() as u32;
        if self.warm_up < schedule_pass {
            return Err(format!(
                "a warm-up of {:?} does not see the whole schedule ({schedule_pass:?})",
                self.warm_up
            ));
        }
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| e.to_string())?;
        let bus = pipeline.bus().unwrap();
        let start = Instant::now();
        let mut samples = Vec::new();
        let (mut next_sample, mut counted) = (self.interval, 0);
        let mut next_change = change_every;
        let mut last_change = String::new();
        let mut interval_peak = f64::NAN;
        let result = loop {
            if let Some(msg) = bus.timed_pop_filtered(
                gst::ClockTime::from_mseconds(50),
                &[gst::MessageType::Error, gst::MessageType::Eos],
            ) {
                break Err(format!("the pipeline stopped: {msg:?}"));
            }
            let now = start.elapsed();
            interval_peak = interval_peak.max(rss_mib());
            if now >= next_change {
                let (name, value) =
                    &changes[(now.as_millis() / change_every.as_millis()) as usize % changes.len()];
                element.set_property_from_value(name, value);
                last_change = format!(
                    "{name}={}",
                    value.serialize().map_or("?".into(), |v| v.to_string())
                );
                next_change += change_every;
            }
            if now >= next_sample {
                let total = frames.load(Ordering::Relaxed);
                let sample = Sample {
                    seconds: now.as_secs_f64(),
                    rss_mib: std::mem::replace(&mut interval_peak, f64::NAN),
                    fps: (total - counted) as f64 / self.interval.as_secs_f64(),
                    change: last_change.clone(),
                };
                counted = total;
                on_sample(&sample);
                samples.push(sample);
                next_sample += self.interval;
            }
            if now >= self.duration {
                break Ok(());
            }
        };
        pipeline
            .set_state(gst::State::Null)
            .map_err(|e| e.to_string())?;
        result.map(|_| samples)
    }

    /// Memory after the warm-up against the warm-up's peak: `Err` says how much it grew.
    pub fn check(&self, samples: &[Sample]) -> Result<String, String> {
        // by count, not by time stamp: the sample due at the warm-up's end is taken a poll late
        let warm = (self.warm_up.as_secs_f64() / self.interval.as_secs_f64()).round() as usize;
        let peak =
            |it: &mut dyn Iterator<Item = &Sample>| it.map(|s| s.rss_mib).fold(f64::NAN, f64::max);
        let warm_peak = peak(&mut samples.iter().take(warm));
        let later = samples.iter().skip(warm).collect::<Vec<_>>();
        if later.is_empty() || warm_peak.is_nan() {
            return Err("too short: no samples after the warm-up".into());
        }
        let later_peak = peak(&mut later.iter().copied());
        let last = later.last().unwrap().rss_mib;
        let fps = later.iter().map(|s| s.fps).sum::<f64>() / later.len() as f64;
        let summary = format!(
            "warm-up peak {warm_peak:.1} MiB, later peak {later_peak:.1} MiB, last {last:.1} MiB, \
             mean fps after warm-up {fps:.1}"
        );
        match later_peak - warm_peak > self.tolerance_mib {
            true => Err(format!("memory grew after the warm-up: {summary}")),
            false => Ok(summary),
        }
    }
}

/// The machine, for the results file.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores, {cpu}")
}

#[allow(dead_code)] // the test suite includes this file for `Soak` alone
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3600);
    let out = args.get(2).cloned().unwrap_or_else(|| "soak.tsv".into());
    let soak = Soak {
        duration: Duration::from_secs(seconds),
        interval: Duration::from_secs(10),
        warm_up: Duration::from_secs((seconds / 10).clamp(40, 300)),
        tolerance_mib: 8.0,
    };
    let mut file = std::fs::File::create(&out).expect("create the results file");
    let head = format!(
        "# dinstyle soak: {seconds} s, 640x360 live at 30 fps, processing-size 270\n# machine: {}\n# date: {}\n",
        machine(),
        std::process::Command::new("date")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    );
    writeln!(file, "{head}seconds\trss_mib\tfps\tlast_change").unwrap();
    eprint!("{head}");
    let samples = soak.run(|s| {
        writeln!(
            file,
            "{:.0}\t{:.1}\t{:.1}\t{}",
            s.seconds, s.rss_mib, s.fps, s.change
        )
        .unwrap();
        file.flush().unwrap();
        eprintln!(
            "{:>6.0} s  {:>7.1} MiB  {:>5.1} fps  {}",
            s.seconds, s.rss_mib, s.fps, s.change
        );
    });
    let verdict = samples.and_then(|s| soak.check(&s));
    let line = match &verdict {
        Ok(summary) => format!("# PASS: {summary}"),
        Err(why) => format!("# FAIL: {why}"),
    };
    writeln!(file, "{line}").unwrap();
    eprintln!("{line}");
    std::process::exit(if verdict.is_ok() { 0 } else { 1 });
}

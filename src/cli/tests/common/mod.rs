//! Running the `dinstyle` binary and GStreamer pipelines from the integration tests.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use gst::prelude::*;

/// Runs `dinstyle ARGS` in `dir`, with a style cache of the tests' own (not the user's).
pub fn dinstyle(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dinstyle"))
        .args(args)
        .current_dir(dir)
        .env(
            "DINSTYLE_CACHE_DIR",
            std::env::temp_dir().join("dinstyle-cli-test-cache"),
        )
        .output()
        .expect("run dinstyle")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A pipeline from a `gst-launch` description (GStreamer initialised, the element registered).
#[allow(dead_code)] // not every test file runs pipelines
pub fn launch(description: &str) -> gst::Pipeline {
    gst::init().unwrap();
    gstdinstyle::plugin_register_static().unwrap();
    gst::parse::launch(description)
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap()
}

/// Plays `pipeline` to its end; panics on an error message.
#[allow(dead_code)]
pub fn run(pipeline: &gst::Pipeline) {
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(120)) {
        match msg.view() {
            gst::MessageView::Eos(..) => break,
            gst::MessageView::Error(e) => panic!("{}", e.error()),
            _ => (),
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
}

/// A 20-frame 96x64 H.264 clip, with a sine tone when `audio`.
#[allow(dead_code)]
pub fn clip(path: &Path, audio: bool) {
    clip_of(path, audio, 20, 96, 64);
}

/// A `frames`-frame H.264 clip at 20 fps, with a sine tone when `audio`.
#[allow(dead_code)]
pub fn clip_of(path: &Path, audio: bool, frames: u32, width: u32, height: u32) {
    let audio = if audio {
        "audiotestsrc num-buffers=30 ! audioconvert ! avenc_aac ! mux."
    } else {
        ""
    };
    run(&launch(&format!(
        "videotestsrc num-buffers={frames} pattern=smpte ! video/x-raw,width={width},height={height},framerate=20/1 \
         ! videoconvert ! video/x-raw,format=I420 ! x264enc ! h264parse ! mp4mux name=mux \
         ! filesink location={} {audio}",
        path.display()
    )));
}

/// Decoded (video frames, audio buffers) of a file.
#[allow(dead_code)]
pub fn streams(path: &Path) -> (usize, usize) {
    let p = launch(&format!(
        "filesrc location={} ! decodebin name=dec",
        path.display()
    ));
    let counts = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let (c, weak) = (counts.clone(), p.downgrade());
    p.by_name("dec").unwrap().connect_pad_added(move |_, pad| {
        let pipeline = weak.upgrade().unwrap();
        let caps = pad.current_caps().unwrap();
        let i = usize::from(caps.structure(0).unwrap().name().starts_with("audio/"));
        let sink = gst::ElementFactory::make("fakesink").build().unwrap();
        pipeline.add(&sink).unwrap();
        sink.sync_state_with_parent().unwrap();
        pad.link(&sink.static_pad("sink").unwrap()).unwrap();
        let c = c.clone();
        sink.static_pad("sink")
            .unwrap()
            .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                c[i].fetch_add(1, Ordering::SeqCst);
                gst::PadProbeReturn::Ok
            });
    });
    run(&p);
    (
        counts[0].load(Ordering::SeqCst),
        counts[1].load(Ordering::SeqCst),
    )
}

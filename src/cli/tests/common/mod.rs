//! Running the `dinstyle` binary and GStreamer pipelines from the integration tests.

use std::path::Path;
use std::process::{Command, Output};

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
    use gst::prelude::*;
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
    use gst::prelude::*;
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

//! Helpers shared by the element's tests: plugin registration, procedural paintings and
//! frames, harnesses and pipelines.
#![allow(dead_code)]

pub mod hostile;

use std::path::{Path, PathBuf};

use gst::prelude::*;
use gst_video::prelude::*;
use gst_video::VideoFormat;

/// Registers the plugin once, with the style cache in a folder of its own (not the user's).
pub fn init() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let cache =
            std::env::temp_dir().join(format!("dinstyle-test-cache-{}", std::process::id()));
        std::env::set_var("DINSTYLE_CACHE_DIR", &cache);
        gst::init().expect("GStreamer initialises");
        gstdinstyle::plugin_register_static().expect("the plugin registers");
    });
}

/// The style cache the tests' element uses.
pub fn cache_dir() -> PathBuf {
    init();
    PathBuf::from(std::env::var_os("DINSTYLE_CACHE_DIR").unwrap())
}

/// Procedural two-colour "paintings": ours to use, clearly different from each other.
pub fn painting(dir: &Path, name: &str, a: [u8; 3], b: [u8; 3]) -> PathBuf {
    let img = image::RgbImage::from_fn(96, 80, |x, y| {
        image::Rgb(if ((x + 2 * y) / 9) % 2 == 0 { a } else { b })
    });
    let path = dir.join(name);
    img.save(&path).unwrap();
    path
}

pub struct Styles {
    pub _dir: tempfile::TempDir,
    pub blue: PathBuf,
    pub red: PathBuf,
    pub corrupt: PathBuf,
}

pub fn styles() -> Styles {
    let dir = tempfile::tempdir().unwrap();
    let corrupt = dir.path().join("corrupt.jpg");
    std::fs::write(&corrupt, b"\xff\xd8\xff\xe0 not really a jpeg").unwrap();
    Styles {
        blue: painting(dir.path(), "blue.png", [30, 40, 170], [120, 60, 200]),
        red: painting(dir.path(), "red.png", [200, 30, 20], [240, 200, 40]),
        corrupt,
        _dir: dir,
    }
}

/// A frame with a gradient and a block, and alpha = x (so every pixel's alpha is known).
pub fn frame(format: VideoFormat, w: u32, h: u32) -> gst::Buffer {
    let info = gst_video::VideoInfo::builder(format, w, h).build().unwrap();
    let mut buffer = gst::Buffer::with_size(info.size()).unwrap();
    {
        let buffer = buffer.get_mut().unwrap();
        let mut vf = gst_video::VideoFrameRef::from_buffer_ref_writable(buffer, &info).unwrap();
        let stride = vf.plane_stride()[0] as usize;
        let bpp = info.format_info().pixel_stride()[0] as usize;
        let data = vf.plane_data_mut(0).unwrap();
        for y in 0..h as usize {
            for x in 0..w as usize {
                let px = &mut data[y * stride + x * bpp..][..bpp];
                for (c, v) in px.iter_mut().enumerate() {
                    *v = ((x * 7 + y * 3 + c * 50) % 256) as u8;
                }
                if (w / 3..w / 2).contains(&(x as u32)) {
                    px[..3].fill(230);
                }
                if info.format_info().has_alpha() {
                    let a = info.format_info().poffset()[3] as usize;
                    px[a] = (x * 255 / w.max(1) as usize) as u8;
                }
            }
        }
    }
    buffer
}

pub fn caps(format: VideoFormat, w: u32, h: u32) -> gst::Caps {
    gst_video::VideoInfo::builder(format, w, h)
        .fps(gst::Fraction::new(30, 1))
        .build()
        .unwrap()
        .to_caps()
        .unwrap()
}

pub fn harness(style: &Path, format: VideoFormat, w: u32, height: u32) -> gst_check::Harness {
    init();
    let element = gst::ElementFactory::make("dinstyle")
        .property("style", style.to_str().unwrap())
        .build()
        .unwrap();
    let mut h = gst_check::Harness::with_element(&element, Some("sink"), Some("src"));
    h.set_src_caps(caps(format, w, height));
    h
}

pub fn bytes(buffer: &gst::Buffer) -> Vec<u8> {
    buffer.map_readable().unwrap().as_slice().to_vec()
}

pub fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).abs())
        .sum::<f64>()
        / a.len() as f64
}

/// Runs a pipeline to EOS or error; returns the error message, if any.
pub fn run(pipeline: &gst::Element) -> Option<String> {
    let bus = pipeline.bus().unwrap();
    let started = pipeline.set_state(gst::State::Playing);
    let mut error = None;
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(120)) {
        match msg.view() {
            gst::MessageView::Eos(..) => break,
            gst::MessageView::Error(e) => {
                error = Some(e.error().to_string());
                break;
            }
            _ => (),
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    if error.is_none() && started.is_err() {
        error = Some("state change failed without a message".into());
    }
    error
}

/// Runs a pipeline whose fakesink is named `sink`; returns how many buffers reached it.
pub fn count_frames(pipeline: &gst::Element) -> usize {
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    let bin = pipeline.downcast_ref::<gst::Bin>().unwrap();
    let sink = bin.by_name("sink").unwrap();
    sink.set_property("signal-handoffs", true);
    sink.connect("handoff", false, move |_| {
        c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        None
    });
    assert_eq!(run(pipeline), None);
    count.load(std::sync::atomic::Ordering::SeqCst)
}

pub fn launch(description: &str) -> gst::Element {
    init();
    gst::parse::launch(description).unwrap()
}

/// Starts the element with each set of properties on a short test source; the error it posts
/// must contain the expected text.
pub fn assert_start_errors(cases: &[(String, &str)]) {
    for (props, expected) in cases {
        let p = launch(&format!(
            "videotestsrc num-buffers=2 ! video/x-raw,width=32,height=24 ! dinstyle {props} ! fakesink"
        ));
        let err = run(&p).unwrap_or_else(|| panic!("{props}: no error"));
        assert!(
            err.contains(expected),
            "{props}: '{err}' lacks '{expected}'"
        );
    }
}

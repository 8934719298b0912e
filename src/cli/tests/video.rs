//! `dinstyle video` end to end on clips the test generates: every frame painted, audio kept,
//! containers from the extension, clear errors and exit codes.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{dinstyle, launch, run, stderr};
use gst::prelude::*;

const STYLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/styles/vangogh_the_night_cafe_1888.webp"
);

/// A 20-frame 96x64 H.264 clip, with a sine tone when `audio`.
fn clip(path: &Path, audio: bool) {
    let audio = if audio {
        "audiotestsrc num-buffers=30 ! audioconvert ! avenc_aac ! mux."
    } else {
        ""
    };
    run(&launch(&format!(
        "videotestsrc num-buffers=20 pattern=smpte ! video/x-raw,width=96,height=64,framerate=20/1 \
         ! videoconvert ! video/x-raw,format=I420 ! x264enc ! h264parse ! mp4mux name=mux \
         ! filesink location={} {audio}",
        path.display()
    )));
}

/// Decoded (video frames, audio buffers) of a file.
fn streams(path: &Path) -> (usize, usize) {
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

#[test]
fn paints_every_frame_and_keeps_the_audio() {
    let dir = tempfile::tempdir().unwrap();
    clip(&dir.path().join("in.mp4"), true);
    for out in ["out.mp4", "out.mkv", "out.webm"] {
        let r = dinstyle(
            &[
                "video", "in.mp4", "--style", STYLE, "-o", out, "--size", "32", "-q",
            ],
            dir.path(),
        );
        assert!(r.status.success(), "{out}: {}", stderr(&r));
        let (frames, audio) = streams(&dir.path().join(out));
        assert_eq!(frames, 20, "{out}: frames lost");
        assert!(audio > 0, "{out}: audio dropped");
    }
}

#[test]
fn video_without_audio_and_out_dir() {
    let dir = tempfile::tempdir().unwrap();
    clip(&dir.path().join("silent.mp4"), false);
    let r = dinstyle(
        &[
            "video",
            "silent.mp4",
            "--style",
            STYLE,
            "--out-dir",
            "res",
            "-q",
        ],
        dir.path(),
    );
    assert!(r.status.success(), "{}", stderr(&r));
    let out = dir
        .path()
        .join("res/silent-vangogh_the_night_cafe_1888.mp4");
    assert_eq!(streams(&out), (20, 0));
}

#[test]
fn errors_have_exit_codes_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    clip(&dir.path().join("in.mp4"), false);
    std::fs::write(dir.path().join("notes.mp4"), "not a video").unwrap();
    let cases: [(&[&str], i32); 5] = [
        (
            &["video", "missing.mp4", "--style", STYLE, "-o", "a.mp4"],
            66,
        ),
        (
            &["video", "in.mp4", "--style", STYLE, "-o", "no/dir/a.mp4"],
            73,
        ),
        (&["video", "in.mp4", "--style", STYLE, "-o", "a.avi"], 2),
        (&["video", "notes.mp4", "--style", STYLE, "-o", "a.mp4"], 65),
        (
            &["video", "in.mp4", "--style", "missing.jpg", "-o", "a.mp4"],
            66,
        ),
    ];
    for (args, code) in cases {
        let r = dinstyle(args, dir.path());
        let err = stderr(&r);
        assert_eq!(r.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains("dinstyle: error:"), "{args:?}: {err}");
    }
    let mut left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["in.mp4", "notes.mp4"], "partial outputs left behind");
}

#[test]
fn style_controls_reach_the_element() {
    let dir = tempfile::tempdir().unwrap();
    clip(&dir.path().join("in.mp4"), false);
    image::GrayImage::from_fn(8, 8, |x, _| image::Luma([if x < 4 { 255 } else { 0 }]))
        .save(dir.path().join("mask.png"))
        .unwrap();
    let r = dinstyle(
        &[
            "video",
            "in.mp4",
            "--style",
            &format!("{STYLE}:0.5,preset:the-harvest:0.5"),
            "--alpha",
            "0.8",
            "--preserve-colour",
            "--mask",
            "mask.png",
            "--mask-style",
            "preset:church-at-auvers",
            "--stability",
            "0.8",
            "-o",
            "out.mp4",
            "-q",
        ],
        dir.path(),
    );
    assert!(r.status.success(), "{}", stderr(&r));
    assert_eq!(streams(&dir.path().join("out.mp4")), (20, 0));
    let r = dinstyle(
        &["video", "in.mp4", "--style", "preset:nope", "-o", "x.mp4"],
        dir.path(),
    );
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    let r = dinstyle(
        &[
            "video",
            "in.mp4",
            "--style",
            STYLE,
            "--stability",
            "1.5",
            "-o",
            "x.mp4",
        ],
        dir.path(),
    );
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
}

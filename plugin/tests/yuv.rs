//! The YUV formats of webcams and decoders (YUY2, NV12, I420) go through the element without a
//! `videoconvert`: painted like the same frames in RGB, every frame kept, on real clips too.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use common::{count_frames, launch, mean_abs_diff, run, styles};
use gst::prelude::*;

/// The frames reaching the appsink named `sink` of `description`, as bytes.
fn frames_of(description: &str) -> Vec<Vec<u8>> {
    let pipeline = launch(description);
    let bin = pipeline.downcast_ref::<gst::Bin>().unwrap();
    let sink = bin.by_name("sink").unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    sink.set_property("signal-handoffs", true);
    sink.connect("handoff", false, move |values| {
        let buffer = values[1].get::<gst::Buffer>().unwrap();
        g.lock()
            .unwrap()
            .push(buffer.map_readable().unwrap().to_vec());
        None
    });
    assert_eq!(run(&pipeline), None, "{description}");
    let frames = got.lock().unwrap().clone();
    frames
}

#[test]
fn yuv_frames_are_painted_like_rgb_frames() {
    let s = styles();
    let style = s.blue.display();
    for format in ["YUY2", "NV12", "I420"] {
        // 64x36: rows without padding bytes (which nobody writes, so they would be compared
        // as garbage); odd sizes are the library's tests' business (tests/painter_yuv.rs).
        let source = format!(
            "videotestsrc num-buffers=2 pattern=pinwheel ! video/x-raw,format={format},width=64,height=36"
        );
        let sink = "fakesink name=sink";
        let plain = frames_of(&format!("{source} ! {sink}"));
        let direct = frames_of(&format!(
            "{source} ! dinstyle style={style} ! video/x-raw,format={format} ! {sink}"
        ));
        let through_rgb = frames_of(&format!(
            "{source} ! videoconvert ! video/x-raw,format=RGB ! dinstyle style={style} \
             ! videoconvert ! video/x-raw,format={format} ! {sink}"
        ));
        assert_eq!(direct.len(), 2, "{format}");
        for ((p, d), r) in plain.iter().zip(&direct).zip(&through_rgb) {
            assert_eq!(d.len(), p.len(), "{format}: frame size changed");
            let (painted, agrees) = (mean_abs_diff(p, d), mean_abs_diff(d, r));
            assert!(painted > 5.0, "{format}: not painted ({painted:.2})");
            // The two paths differ only in their converters' rounding and chroma filters:
            // under half a level on average here, against 40-50 for the painting itself.
            assert!(
                agrees < 2.0,
                "{format}: {agrees:.2} from the RGB path, painted {painted:.2}"
            );
        }
    }
}

/// Real clips from ../shared/data/video, when that folder exists (it is not ours to commit):
/// decoded, scaled in the decoder's own YUV format (no conversion) and painted, every frame kept
/// (the sink does not sync, so that QoS drops no late frame on a busy machine).
#[test]
fn real_clips_in_yuv_when_available() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/video");
    // An MPEG-4 AVI (the RGB test in dinstyle.rs decodes the H.264 MP4).
    let clips = ["vtest_480x360.avi"];
    let s = styles();
    for clip in clips.map(|c| dir.join(c)) {
        if !clip.exists() {
            eprintln!("skipped: {} not found", clip.display());
            continue;
        }
        let frames = |element: &str| {
            count_frames(&launch(&format!(
                "filesrc location={} ! decodebin ! videoscale \
                 ! video/x-raw,format={{I420,NV12,YUY2}},width=160,height=90 {element}! fakesink name=sink sync=false",
                clip.display()
            )))
        };
        let plain = frames("");
        let painted = frames(&format!(
            "! dinstyle style={} processing-size=64 ",
            s.blue.display()
        ));
        assert!(
            plain > 10,
            "{}: only {plain} frames decoded",
            clip.display()
        );
        assert_eq!(painted, plain, "{}: frames were lost", clip.display());
    }
}

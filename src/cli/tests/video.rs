//! `dinstyle video` end to end on clips the test generates: every frame painted, audio kept,
//! containers from the extension, clear errors and exit codes.

mod common;

use common::{clip, dinstyle, stderr, streams};

const STYLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/styles/vangogh_the_night_cafe_1888.webp"
);

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

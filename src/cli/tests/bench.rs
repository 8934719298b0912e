//! `dinstyle bench`: one row per size with a frame count and a positive rate, clear errors.
//! (The figures themselves belong in benches/RESULTS.md, not in assertions.)

mod common;

use common::{dinstyle, stderr};

#[test]
fn reports_every_size_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dinstyle(
        &[
            "bench",
            "--sizes",
            "33x17,1x1",
            "--frames",
            "2",
            "--warmup",
            "0",
            "--csv",
            "--device",
            "cpu",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(2)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    for (row, (w, h)) in rows.iter().zip([("33", "17"), ("1", "1")]) {
        assert_eq!((row[1], row[2]), (w, h), "{text}");
        assert!(row[3].parse::<usize>().unwrap() >= 2, "{text}");
        assert!(row[7].parse::<f64>().unwrap() > 0.0, "{text}");
    }
}

#[test]
fn bad_arguments_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dinstyle(&["bench", "--sizes", "huge"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not 360p, 720p, 1080p, 4k or WxH"),
        "{}",
        stderr(&out)
    );
    let out = dinstyle(
        &[
            "bench",
            "--sizes",
            "8x8",
            "--pipeline",
            "missing.mp4",
            "--device",
            "cpu",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(66), "{}", stderr(&out));
}

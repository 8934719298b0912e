//! Hostile inputs end to end: a decompression bomb, an endless file and a truncated JPEG, as
//! the style and as the photo, each refused with an error that names the file and the limit,
//! at the memory of an ordinary run (one test, so that the peak of the children is ours alone).

mod common;

use std::path::Path;

use common::{dinstyle, stderr};
use hostile::{huge_header, png_bomb, truncated_jpeg};
use image::{Rgb, RgbImage};

#[path = "../../../plugin/tests/common/hostile.rs"]
mod hostile;

/// The peak resident memory of every child waited for so far, in MiB.
fn children_peak_mib() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        assert_eq!(
            libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()),
            0
        );
        usage.assume_init()
    };
    usage.ru_maxrss as f64 / 1024.0 // kilobytes on Linux
}

/// `dinstyle image PHOTO --style STYLE -o out.png EXTRA...`
fn image_args<'a>(photo: &'a str, style: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    [&["image", photo, "--style", style, "-o", "out.png"], extra].concat()
}

/// [`refused`] with `file` as the style, then as the photo.
fn refused_as_style_and_photo(dir: &Path, file: &str, expect: &[&str]) {
    refused(dir, &image_args("photo.png", file, &[]), expect);
    refused(dir, &image_args(file, "style.png", &[]), expect);
}

/// Runs dinstyle, expects a failure whose message holds every one of `expect`, and nothing
/// written.
fn refused(dir: &Path, args: &[&str], expect: &[&str]) {
    let out = dinstyle(args, dir);
    let err = stderr(&out);
    assert!(!out.status.success(), "{args:?} succeeded:\n{err}");
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    for e in expect {
        assert!(err.contains(e), "{args:?}: no {e:?} in:\n{err}");
    }
    assert!(!dir.join("out.png").exists(), "{args:?} wrote a result");
}

#[test]
fn hostile_inputs_are_refused_with_clear_errors_at_flat_memory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    RgbImage::from_fn(64, 48, |x, y| Rgb([x as u8 * 4, y as u8 * 5, 90]))
        .save(d.join("photo.png"))
        .unwrap();
    RgbImage::from_fn(64, 64, |x, y| Rgb([200, (x * y) as u8, 40]))
        .save(d.join("style.png"))
        .unwrap();
    std::fs::write(d.join("bomb.png"), png_bomb(40000)).unwrap();
    std::fs::write(d.join("cut.jpg"), truncated_jpeg(5000)).unwrap();

    // an ordinary run, for the memory it takes
    let ok = dinstyle(
        &["image", "photo.png", "--style", "style.png", "-o", "ok.png"],
        d,
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    let ordinary = children_peak_mib();

    let bomb = [
        "bomb.png",
        "40000x40000",
        "megapixels",
        "DINSTYLE_MAX_PIXELS",
    ];
    refused_as_style_and_photo(d, "bomb.png", &bomb);
    refused_as_style_and_photo(d, "/dev/zero", &["/dev/zero", "not one of"]);
    refused_as_style_and_photo(d, "cut.jpg", &["cut.jpg", "truncated"]);
    // kernel and model files: an endless one, and a header over its cap
    std::fs::write(d.join("huge.dinstyle"), huge_header()).unwrap();
    std::fs::write(d.join("huge.safetensors"), huge_header()).unwrap();
    let header = ["huge", "over the limit of 1 MiB"];
    refused(d, &image_args("photo.png", "huge.dinstyle", &[]), &header);
    let model = |file| image_args("photo.png", "style.png", &["--model", file]);
    refused(d, &model("huge.safetensors"), &header);
    refused(d, &model("/dev/zero"), &["/dev/zero", "not a safetensors"]);

    let peak = children_peak_mib();
    eprintln!("peak resident memory: ordinary run {ordinary:.0} MiB, hostile inputs {peak:.0} MiB");
    // 3 x 40000^2 bytes (4.5 GiB) if the bomb were believed; an ordinary run is ~100 MiB
    assert!(
        peak < ordinary + 200.0,
        "hostile inputs took {peak:.0} MiB, an ordinary run {ordinary:.0} MiB"
    );
}

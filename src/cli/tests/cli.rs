//! `dinstyle image` end to end: results written, inputs never lost, clear errors, exit codes.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{dinstyle, stderr};
use image::{Rgb, RgbImage, Rgba, RgbaImage};

/// A procedural "photo": sky gradient, a house-like block, a sun.
fn photo(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let sun = ((fx - 0.75).powi(2) + (fy - 0.25).powi(2)).sqrt() < 0.1;
        let house = (0.2..0.5).contains(&fx) && fy > 0.5;
        match (sun, house) {
            (true, _) => Rgb([250, 220, 60]),
            (_, true) => Rgb([150, 60, 40]),
            _ if fy > 0.7 => Rgb([40, (120.0 + 60.0 * fx) as u8, 50]),
            _ => Rgb([(90.0 + 80.0 * fy) as u8, (150.0 + 60.0 * fy) as u8, 230]),
        }
    })
}

/// A procedural "painting": diagonal coloured stripes.
fn painting() -> RgbImage {
    RgbImage::from_fn(96, 80, |x, y| {
        let band = ((x + 2 * y) / 9) % 3;
        [Rgb([200, 40, 30]), Rgb([30, 30, 160]), Rgb([230, 200, 40])][band as usize]
    })
}

struct Scene {
    dir: tempfile::TempDir,
}

impl Scene {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        photo(64, 48).save(dir.path().join("photo.png")).unwrap();
        photo(40, 30).save(dir.path().join("small.jpg")).unwrap();
        painting().save(dir.path().join("style.png")).unwrap();
        Scene { dir }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn run(&self, args: &[&str]) -> Output {
        dinstyle(args, self.dir.path())
    }
}

#[test]
fn stylizes_a_photo() {
    let s = Scene::new();
    let out = s.run(&[
        "image",
        "photo.png",
        "--style",
        "style.png",
        "-o",
        "out.png",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let result = image::open(s.path("out.png")).unwrap().to_rgb8();
    assert_eq!(result.dimensions(), (64, 48));
    assert_ne!(result, photo(64, 48), "the output is the photo unchanged");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "out.png");
}

#[test]
fn several_photos_into_a_folder() {
    let s = Scene::new();
    let out = s.run(&[
        "image",
        "photo.png",
        "small.jpg",
        "--style",
        "style.png",
        "--out-dir",
        "res",
        "--format",
        "jpg",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        image::open(s.path("res/photo-style.jpg")).unwrap().width(),
        64
    );
    assert_eq!(
        image::open(s.path("res/small-style.jpg")).unwrap().width(),
        40
    );
}

#[test]
fn size_limits_the_longest_side() {
    let s = Scene::new();
    let out = s.run(&[
        "image",
        "photo.png",
        "--style",
        "style.png",
        "--size",
        "32",
        "-o",
        "o.png",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        image::open(s.path("o.png")).unwrap().to_rgb8().dimensions(),
        (32, 24)
    );
}

#[test]
fn alpha_channel_is_kept() {
    let s = Scene::new();
    let rgba = RgbaImage::from_fn(20, 10, |x, _| Rgba([10, 200, 30, (x * 12) as u8]));
    rgba.save(s.path("cutout.png")).unwrap();
    let out = s.run(&["image", "cutout.png", "--style", "style.png", "-o", "o.png"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let result = image::open(s.path("o.png")).unwrap().to_rgba8();
    for (x, y, p) in result.enumerate_pixels() {
        assert_eq!(p[3], rgba.get_pixel(x, y)[3]);
    }
}

#[test]
fn missing_style_is_a_clear_error() {
    let s = Scene::new();
    let out = s.run(&["image", "photo.png", "--style", "nope.jpg", "-o", "o.png"]);
    assert_eq!(out.status.code(), Some(66));
    assert!(
        stderr(&out).contains("style image 'nope.jpg'"),
        "{}",
        stderr(&out)
    );
    assert!(!s.path("o.png").exists());
}

#[test]
fn corrupt_style_is_a_clear_error() {
    let s = Scene::new();
    std::fs::write(
        s.path("broken.jpg"),
        b"\xff\xd8\xff\xe0 this is not really a jpeg",
    )
    .unwrap();
    let out = s.run(&["image", "photo.png", "--style", "broken.jpg", "-o", "o.png"]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        stderr(&out).contains("is not an image dinstyle can read"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn one_bad_photo_does_not_stop_the_others() {
    let s = Scene::new();
    let out = s.run(&[
        "image",
        "missing.png",
        "photo.png",
        "--style",
        "style.png",
        "--out-dir",
        ".",
    ]);
    assert_eq!(out.status.code(), Some(66), "{}", stderr(&out));
    assert!(s.path("photo-style.png").exists());
    assert!(stderr(&out).contains("missing.png"));
}

#[test]
fn bad_arguments_exit_2() {
    let s = Scene::new();
    for args in [
        vec![
            "image",
            "photo.png",
            "small.jpg",
            "--style",
            "style.png",
            "-o",
            "x.png",
        ],
        vec![
            "image",
            "photo.png",
            "--style",
            "style.png",
            "--alpha",
            "1.5",
        ],
        vec![
            "image",
            "photo.png",
            "--style",
            "style.png",
            "-o",
            "photo.png",
        ],
        vec![
            "image",
            "photo.png",
            "--style",
            "style.png",
            "--device",
            "tpu",
        ],
        vec!["image", "--style", "style.png"],
    ] {
        let out = s.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    // The refused overwrite left the input intact.
    assert_eq!(
        image::open(s.path("photo.png")).unwrap().to_rgb8(),
        photo(64, 48)
    );
}

#[test]
fn unwritable_output_exits_73() {
    let s = Scene::new();
    for target in ["o.unknown", "no/such/dir/o.png"] {
        let out = s.run(&["image", "photo.png", "--style", "style.png", "-o", target]);
        assert_eq!(out.status.code(), Some(73), "{target}: {}", stderr(&out));
        assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
    }
}

#[test]
fn mismatched_or_corrupt_model_exits_65() {
    let s = Scene::new();
    std::fs::write(s.path("garbage.safetensors"), b"not a model").unwrap();
    // A valid safetensors file that is not a dinstyle model.
    let t =
        candle_core::Tensor::zeros(4, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
    candle_core::safetensors::save(
        &std::collections::HashMap::from([("w", t)]),
        s.path("other.safetensors"),
    )
    .unwrap();
    for model in ["garbage.safetensors", "other.safetensors"] {
        let out = s.run(&[
            "image",
            "photo.png",
            "--style",
            "style.png",
            "--model",
            model,
            "-o",
            "o.png",
        ]);
        assert_eq!(out.status.code(), Some(65), "{model}: {}", stderr(&out));
        assert!(stderr(&out).contains("does not match"), "{}", stderr(&out));
    }
}

#[cfg(not(feature = "cuda"))]
#[test]
fn absent_cuda_exits_69() {
    let s = Scene::new();
    let out = s.run(&[
        "image",
        "photo.png",
        "--style",
        "style.png",
        "--device",
        "cuda",
        "-o",
        "o.png",
    ]);
    assert_eq!(out.status.code(), Some(69), "{}", stderr(&out));
    assert!(stderr(&out).contains("cuda"), "{}", stderr(&out));
}

/// `--texture auto` (the default) gives a painting as much fine band as the style image has at
/// the photo's size: none for a flat style, some for a sharp one; other values are refused.
#[test]
fn texture_auto_follows_the_style_images_fine_band() {
    let s = Scene::new();
    RgbImage::from_pixel(96, 80, Rgb([180, 90, 40]))
        .save(s.path("flat.png"))
        .unwrap();
    let paint = |style: &str, texture: Option<&str>, out: &str| {
        let mut args = vec!["image", "photo.png", "--style", style, "-o", out];
        args.extend(["--processing-size", "24"]);
        args.extend(texture.map(|t| ["--texture", t]).into_iter().flatten());
        let run = s.run(&args);
        assert!(run.status.success(), "{}", stderr(&run));
        image::open(s.path(out)).unwrap().to_rgb8()
    };
    assert_eq!(
        paint("flat.png", None, "flat-auto.png"),
        paint("flat.png", Some("0"), "flat-0.png")
    );
    let sharp = paint("style.png", Some("auto"), "sharp-auto.png");
    assert_ne!(sharp, paint("style.png", Some("0"), "sharp-0.png"));
    assert_eq!(sharp, paint("style.png", None, "sharp-default.png"));
    for bad in ["1.5", "sharp", "-0.1"] {
        let args = [
            "image",
            "photo.png",
            "--style",
            "style.png",
            "--texture",
            bad,
        ];
        let out = s.run(&args);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
    }
}

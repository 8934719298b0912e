//! `dinstyle encode-style`, `dinstyle presets` and the style controls of `dinstyle image`.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{dinstyle, stderr};
use image::{Rgb, RgbImage};

struct Scene {
    dir: tempfile::TempDir,
}

impl Scene {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let photo = RgbImage::from_fn(64, 48, |x, y| {
            Rgb([(x * 4) as u8, (y * 5) as u8, if x > 30 { 200 } else { 60 }])
        });
        photo.save(dir.path().join("photo.png")).unwrap();
        let stripes = |a: [u8; 3], b: [u8; 3]| {
            RgbImage::from_fn(96, 80, move |x, y| {
                Rgb(if ((x + 2 * y) / 9) % 2 == 0 { a } else { b })
            })
        };
        stripes([200, 40, 30], [230, 200, 40])
            .save(dir.path().join("red.png"))
            .unwrap();
        stripes([30, 30, 160], [90, 160, 220])
            .save(dir.path().join("blue.png"))
            .unwrap();
        Scene { dir }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn run(&self, args: &[&str]) -> Output {
        dinstyle(args, self.dir.path())
    }
    /// Paints photo.png with extra arguments into `out`; returns its pixels.
    fn paint(&self, out: &str, args: &[&str]) -> RgbImage {
        let mut all = vec!["image", "photo.png", "-q", "-o", out];
        all.extend_from_slice(args);
        let o = self.run(&all);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        image::open(self.path(out)).unwrap().to_rgb8()
    }
}

fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f64 {
    let (a, b) = (a.as_raw(), b.as_raw());
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).abs())
        .sum::<f64>()
        / a.len() as f64
}

#[test]
fn encoded_kernel_files_paint_like_their_image() {
    let s = Scene::new();
    let o = s.run(&["encode-style", "red.png", "-o", "red.dinstyle"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "red.dinstyle");
    let by_image = s.paint("a.png", &["--style", "red.png"]);
    let by_kernels = s.paint("b.png", &["--style", "red.dinstyle"]);
    assert_eq!(by_image, by_kernels);
    // The default name follows the style.
    let o = s.run(&["encode-style", "blue.png"]);
    assert!(o.status.success() && s.path("blue.dinstyle").is_file());
}

#[test]
fn kernel_files_of_another_model_are_refused_with_65() {
    let s = Scene::new();
    let o = s.run(&["encode-style", "red.png", "-o", "red.dinstyle"]);
    assert!(o.status.success());
    // The bundled model with one weight byte changed: same network, another identity.
    let model = s.path("other.safetensors");
    let mut bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/din-mobile.safetensors"
    ))
    .unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&model, bytes).unwrap();
    let o = s.run(&[
        "image",
        "photo.png",
        "--style",
        "red.dinstyle",
        "--model",
        "other.safetensors",
        "-o",
        "x.png",
    ]);
    assert_eq!(o.status.code(), Some(65), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("red.dinstyle") && stderr(&o).contains("encode-style"),
        "{}",
        stderr(&o)
    );
    assert!(!s.path("x.png").exists());
    let o = s.run(&[
        "image",
        "photo.png",
        "--style",
        "preset:the-harvest",
        "--model",
        "other.safetensors",
        "-o",
        "x.png",
    ]);
    assert_eq!(o.status.code(), Some(65), "{}", stderr(&o));
    assert!(stderr(&o).contains("bundled model"), "{}", stderr(&o));
}

#[test]
fn presets_are_listed_and_usable() {
    let s = Scene::new();
    let o = s.run(&["presets"]);
    let listing = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success()
            && listing.contains("the-harvest")
            && listing.contains("Vincent van Gogh")
    );
    let photo = image::open(s.path("photo.png")).unwrap().to_rgb8();
    let painted = s.paint("p.png", &["--style", "preset:the-night-cafe"]);
    assert!(mean_abs_diff(&painted, &photo) > 10.0);
    let o = s.run(&[
        "image",
        "photo.png",
        "--style",
        "preset:starry",
        "-o",
        "x.png",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("the-harvest"), "{}", stderr(&o));
}

#[test]
fn mixes_masks_and_colour_preservation() {
    let s = Scene::new();
    let photo = image::open(s.path("photo.png")).unwrap().to_rgb8();
    let red = s.paint("red-out.png", &["--style", "red.png"]);
    let blue = s.paint("blue-out.png", &["--style", "blue.png"]);
    let mixed = s.paint("mix.png", &["--style", "red.png:0.5,blue.png:0.5"]);
    let apart = mean_abs_diff(&red, &blue);
    assert!(mean_abs_diff(&mixed, &red) < apart && mean_abs_diff(&mixed, &blue) < apart);

    image::GrayImage::from_fn(64, 48, |x, _| image::Luma([if x < 32 { 255 } else { 0 }]))
        .save(s.path("mask.png"))
        .unwrap();
    let masked = s.paint(
        "m.png",
        &[
            "--style",
            "red.png",
            "--mask",
            "mask.png",
            "--mask-style",
            "blue.png",
        ],
    );
    for (x, y, p) in masked.enumerate_pixels() {
        let want = if x < 32 {
            red.get_pixel(x, y)
        } else {
            blue.get_pixel(x, y)
        };
        assert_eq!(p, want, "pixel {x},{y}");
    }
    let kept = s.paint("c.png", &["--style", "red.png", "--preserve-colour"]);
    // Chroma (R - G, B - G) comes from the photo, light from the painting.
    let chroma = |img: &RgbImage| -> Vec<f64> {
        img.pixels()
            .flat_map(|p| [p[0] as f64 - p[1] as f64, p[2] as f64 - p[1] as f64])
            .collect()
    };
    let off = |a: &RgbImage| {
        let (a, b) = (chroma(a), chroma(&photo));
        a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64
    };
    eprintln!(
        "chroma off the photo's: painted {:.1}, preserved {:.1}",
        off(&red),
        off(&kept)
    );
    assert!(off(&kept) < off(&red) / 5.0);
    // Files named in the style arguments are never written over.
    let o = s.run(&[
        "image",
        "photo.png",
        "--style",
        "red.png",
        "--mask",
        "mask.png",
        "-o",
        "mask.png",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = s.run(&[
        "image",
        "photo.png",
        "--style",
        "red.png",
        "--mask",
        "nope.png",
        "-o",
        "x.png",
    ]);
    assert_eq!(o.status.code(), Some(66), "{}", stderr(&o));
}

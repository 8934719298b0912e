//! `dinstyle image` and the `dinstyle` element run the same painter: with the same settings
//! they give the same pixels, byte for byte (strength, mask, mask style, colour preservation).

mod common;

use std::path::Path;

use common::{dinstyle, launch, run, stderr};

const STYLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/styles/vangogh_the_night_cafe_1888.webp"
);

/// A 70x46 photo-like picture (an odd size: padding and cropping inside the network).
fn photo(path: &Path) {
    image::RgbImage::from_fn(70, 46, |x, y| {
        let v = ((x as f32 * 0.23).sin() * (y as f32 * 0.31).cos() * 100.0 + 128.0) as u8;
        image::Rgb([v, (x * 3) as u8, (200 - y * 2) as u8])
    })
    .save(path)
    .unwrap();
}

/// A mask: left half painted, right half not, a grey band between.
fn mask(path: &Path) {
    image::RgbImage::from_fn(35, 23, |x, _| match x {
        0..15 => image::Rgb([255; 3]),
        15..20 => image::Rgb([128; 3]),
        _ => image::Rgb([0; 3]),
    })
    .save(path)
    .unwrap();
}

/// Paints `input` through the element with `properties` into `output` (PNG, RGB).
fn element(input: &Path, output: &Path, properties: &str) {
    run(&launch(&format!(
        "filesrc location={} ! pngdec ! video/x-raw,format=RGB ! dinstyle {properties} \
         ! video/x-raw,format=RGB ! pngenc ! filesink location={}",
        input.display(),
        output.display()
    )));
}

#[test]
fn cli_and_element_paint_the_same_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let (input, mask_path) = (dir.path().join("photo.png"), dir.path().join("mask.png"));
    photo(&input);
    mask(&mask_path);
    let m = mask_path.display().to_string();
    let cases: [(&str, Vec<&str>, String); 3] = [
        ("plain", vec![], String::new()),
        (
            "alpha-colour",
            vec!["--alpha", "0.6", "--preserve-colour"],
            "alpha=0.6 preserve-colour=true".into(),
        ),
        (
            "mask-style",
            vec![
                "--mask",
                &m,
                "--mask-style",
                "preset:the-harvest",
                "--alpha",
                "0.8",
            ],
            format!("mask={m} mask-style=preset:the-harvest alpha=0.8"),
        ),
    ];
    for (name, cli_args, properties) in cases {
        let from_cli = dir.path().join(format!("{name}-cli.png"));
        let from_element = dir.path().join(format!("{name}-element.png"));
        let mut args = vec!["image", "photo.png", "--style", STYLE, "-o"];
        let out = from_cli.display().to_string();
        args.push(&out);
        args.extend(&cli_args);
        let run = dinstyle(&args, dir.path());
        assert!(run.status.success(), "{name}: {}", stderr(&run));
        element(
            &input,
            &from_element,
            &format!("style={STYLE} {properties}"),
        );
        let a = image::open(&from_cli).unwrap().to_rgb8();
        let b = image::open(&from_element).unwrap().to_rgb8();
        assert_eq!(a.dimensions(), b.dimensions(), "{name}");
        let differing = a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count();
        assert_eq!(differing, 0, "{name}: {differing} pixels differ");
        // The settings did something: each case differs from the plain one.
        if name != "plain" {
            let plain = image::open(dir.path().join("plain-cli.png"))
                .unwrap()
                .to_rgb8();
            assert_ne!(a, plain, "{name} looks like the plain painting");
        }
    }
}

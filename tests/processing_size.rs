//! The processing size: frames larger than it are painted at it and scaled back (the strokes
//! keep their size relative to the picture, with the upscaled style path's kernels when the model
//! has one), smaller ones are painted as they are; the detail the scale-down removed can be put
//! back on the painting, and the fine strokes of a second painting at full size added.

use std::sync::Arc;

use candle_core::Device;
use dinstyle::frame::Packed;
use dinstyle::{
    image_io, DinModel, PaintSettings, Painter, StyleKernels, DEFAULT_DETAIL,
    DEFAULT_PROCESSING_SIZE, DEFAULT_TEXTURE,
};
use image::RgbImage;

fn picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = ((x as f32 * 0.13).sin() * (y as f32 * 0.09).cos() * 110.0 + 128.0) as u8;
        image::Rgb([v, (x / 2) as u8, (250 - y / 2) as u8])
    })
}

/// A painter of the bundled model, and one that paints every frame with the kernels the first
/// paints scaled frames with.
fn painters() -> (Painter, Painter) {
    let model = Arc::new(DinModel::bundled(&Device::Cpu).unwrap());
    let style = image_io::to_tensor(&picture(96, 64), &Device::Cpu).unwrap();
    let kernels = model.encode_style(&style).unwrap();
    // the set for scaled frames, as the set for every frame (a model with the upscaled path
    // needs both sets)
    let upscaled = StyleKernels {
        upscaled: kernels.upscaled.clone(),
        ..kernels.for_frames(true).clone()
    };
    (
        Painter::new(model.clone(), kernels, 256).unwrap(),
        Painter::new(model, upscaled, 256).unwrap(),
    )
}

fn paint(painter: &mut Painter, settings: &PaintSettings, photo: &RgbImage) -> RgbImage {
    let mut out = photo.clone();
    painter.begin_frame(settings, (photo.width() as usize, photo.height() as usize));
    painter
        .paint(settings, Packed::rgb(photo), Packed::rgb_mut(&mut out))
        .unwrap();
    out
}

fn mean_difference(a: &RgbImage, b: &RgbImage) -> f64 {
    let sum: u64 = (a.as_raw().iter().zip(b.as_raw()))
        .map(|(x, y)| x.abs_diff(*y) as u64)
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

#[test]
fn larger_frames_are_painted_at_the_processing_size_by_default() {
    let (mut painter, mut upscaled) = painters();
    // Without the photo's detail put back (see `detail_comes_back_after_the_scale_up`).
    let default = PaintSettings {
        detail: 0.0,
        ..PaintSettings::default()
    };
    let full_size = PaintSettings {
        processing_size: 0,
        ..PaintSettings::default()
    };
    assert_eq!(default.processing_size, DEFAULT_PROCESSING_SIZE);

    let large = picture(480, 320);
    let painted = paint(&mut painter, &default, &large);
    // The same as painting the photo scaled to a shorter side of 288 (with the kernels for
    // frames painted smaller), then scaling back.
    let small = image_io::resample_rgb(&large, (432, 288));
    let by_hand = image_io::resample_rgb(&paint(&mut upscaled, &full_size, &small), (480, 320));
    assert_eq!(painted, by_hand);
    // ... and not the same as painting at full size.
    let at_full_size = paint(&mut painter, &full_size, &large);
    assert!(mean_difference(&painted, &at_full_size) > 1.0);

    // Frames already at most that size are painted as they are.
    let small_frame = picture(300, 200);
    assert_eq!(
        paint(&mut painter, &default, &small_frame),
        paint(&mut painter, &full_size, &small_frame)
    );
}

/// Luma minus the luma of the picture shrunk 2x and scaled back: its fine detail.
fn fine_detail(img: &RgbImage) -> Vec<f32> {
    let (w, h) = img.dimensions();
    let blurred = image_io::resample_rgb(&image_io::resample_rgb(img, (w / 2, h / 2)), (w, h));
    let luma = |p: &image::Rgb<u8>| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32;
    (img.pixels().zip(blurred.pixels()))
        .map(|(a, b)| luma(a) - luma(b))
        .collect()
}

#[test]
fn detail_comes_back_after_the_scale_up() {
    let (mut painter, _) = painters();
    assert_eq!(PaintSettings::default().detail, DEFAULT_DETAIL);
    // Sharp stripes two pixels wide: painted at half the size they are lost, and only the
    // detail add-back brings them back.
    let sharp = RgbImage::from_fn(320, 240, |x, y| {
        let v = if (x / 2 + y / 8) % 2 == 0 { 200 } else { 50 };
        image::Rgb([v, v / 2 + 60, 255 - v])
    });
    let photo_detail = fine_detail(&sharp);
    let miss = |amount: f64, painter: &mut Painter| {
        let settings = PaintSettings {
            processing_size: 120,
            detail: amount,
            ..PaintSettings::default()
        };
        let painted = fine_detail(&paint(painter, &settings, &sharp));
        let sum: f32 = (painted.iter().zip(&photo_detail))
            .map(|(a, b)| (a - b).abs())
            .sum();
        sum / painted.len() as f32
    };
    let (none, half, all) = (
        miss(0.0, &mut painter),
        miss(0.5, &mut painter),
        miss(1.0, &mut painter),
    );
    assert!(half < 0.9 * none && all < 0.9 * half, "{none} {half} {all}");
    // Frames painted at their own size keep all their detail already: nothing is added.
    let small = picture(100, 80);
    let with = |detail| PaintSettings {
        detail,
        ..PaintSettings::default()
    };
    assert_eq!(
        paint(&mut painter, &with(1.0), &small),
        paint(&mut painter, &with(0.0), &small)
    );
}

/// Sharp edges, where the painting at full size has strokes the smaller one cannot hold.
fn edges() -> RgbImage {
    RgbImage::from_fn(320, 240, |x, y| {
        let v = if (x / 3 + y / 5) % 2 == 0 { 210 } else { 40 };
        image::Rgb([v, (x / 2) as u8, 255 - v])
    })
}

#[test]
fn texture_adds_the_fine_band_of_a_painting_at_full_size() {
    let (mut painter, _) = painters();
    assert_eq!(PaintSettings::default().texture, DEFAULT_TEXTURE);
    let photo = edges();
    let with = |processing_size, texture| PaintSettings {
        processing_size,
        detail: 0.0,
        texture,
        ..PaintSettings::default()
    };
    let plain = paint(&mut painter, &with(120, 0.0), &photo);
    let textured = paint(&mut painter, &with(120, 1.0), &photo);
    // By hand: the painting at full size (the main path's kernels) minus its copy scaled down
    // to the processing size and back, added to the painting at the processing size.
    let full = paint(&mut painter, &with(0, 0.0), &photo);
    let low = image_io::resample_rgb(&image_io::resample_rgb(&full, (160, 120)), (320, 240));
    let by_hand: Vec<u8> = (plain.as_raw().iter())
        .zip(full.as_raw())
        .zip(low.as_raw())
        .map(|((&p, &f), &l)| (p as f32 + f as f32 - l as f32 + 0.5) as u8)
        .collect();
    assert_eq!(textured.as_raw(), &by_hand);
    assert!(mean_difference(&textured, &plain) > 1.0);
    // A texture between adds part of the band; frames painted at their own size are unchanged.
    let half = paint(&mut painter, &with(120, 0.5), &photo);
    let (to_half, to_all) = (
        mean_difference(&half, &plain),
        mean_difference(&textured, &plain),
    );
    assert!(
        to_half > 0.3 * to_all && to_half < 0.7 * to_all,
        "{to_half} {to_all}"
    );
    let small = picture(100, 80);
    assert_eq!(
        paint(&mut painter, &with(120, 1.0), &small),
        paint(&mut painter, &with(120, 0.0), &small)
    );
}

/// `texture_level`: each frame gets the share of the fine band (instead of `texture`) that
/// brings its painting's fine band to the level asked for (`dinstyle image --texture auto` asks
/// for a multiple of the style image's at the frame's size).
#[test]
fn a_texture_level_chooses_the_share_that_reaches_it() {
    use dinstyle::painter::texture::fine_band_level;
    let (mut painter, _) = painters();
    let photo = edges();
    let with = |texture, texture_level| PaintSettings {
        processing_size: 120,
        texture,
        texture_level,
        ..PaintSettings::default()
    };
    let level = |picture: &RgbImage| fine_band_level(picture, 120);
    let none = paint(&mut painter, &with(0.0, None), &photo);
    let all = paint(&mut painter, &with(1.0, None), &photo);
    let (lowest, highest) = (level(&none), level(&all));
    assert!(highest > lowest + 2.0, "{lowest} {highest}");
    // a level between: reached within the rounding of the bytes, whatever `texture` says
    for (share, texture) in [(0.3, 1.0), (0.6, 0.0), (1.0, 0.2)] {
        let want = lowest + share * (highest - lowest);
        let got = level(&paint(&mut painter, &with(texture, Some(want)), &photo));
        assert!(
            (got - want).abs() < 0.05 * (highest - lowest),
            "{want} {got}"
        );
    }
    // beyond what all of it gives: more than all, up to the most a matched frame gets
    let most = paint(&mut painter, &with(0.0, Some(1e6)), &photo);
    assert!(level(&most) > highest + 0.3 * (highest - lowest));
    // no level (or none to reach): `texture` as given
    assert_eq!(
        paint(&mut painter, &with(0.4, Some(0.0)), &photo),
        paint(&mut painter, &with(0.4, None), &photo)
    );
    // a frame painted at its own size: unchanged
    let small = picture(100, 80);
    assert_eq!(
        paint(&mut painter, &with(0.0, Some(50.0)), &small),
        paint(&mut painter, &with(0.0, None), &small)
    );
}

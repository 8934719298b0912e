//! A model with an upscaled style path (`Config::upscaled_style_path`), with random weights: the
//! second path is the style path under `upscaled.`, frames painted smaller and scaled up take its
//! kernels and frames at their own size the main ones, and the two sets travel together through
//! mixing and kernel files.

use std::collections::HashMap;
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use dinstyle::frame::Packed;
use dinstyle::styles::{kernels_from_bytes, kernels_to_bytes, KernelFileInfo};
use dinstyle::{image_io, Config, DinModel, PaintSettings, Painter, StyleKernels};
use image::RgbImage;

fn config() -> Config {
    Config {
        upscaled_style_path: true,
        ..Config::din_modulated()
    }
}

/// Every weight a fixed pseudo-random value in +-0.05 (the same on every run: unseeded draws
/// sometimes saturate the picture, and two saturated pictures are equal), by name.
fn random_weights(config: &Config) -> HashMap<String, Tensor> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    DinModel::new(config.clone(), vb).unwrap(); // creates the variables
    let data = varmap.data().lock().unwrap();
    data.iter()
        .map(|(name, var)| {
            let seed = name
                .bytes()
                .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
            let values: Vec<f32> = (0..var.elem_count())
                .map(|i| {
                    0.05 * ((i as f32 * 12.9898 + seed as f32 * 0.001).sin() * 43758.547).fract()
                })
                .collect();
            let values = Tensor::from_vec(values, var.shape(), &Device::Cpu).unwrap();
            (name.clone(), values)
        })
        .collect()
}

fn model(config: Config, weights: HashMap<String, Tensor>) -> DinModel {
    DinModel::new(
        config,
        VarBuilder::from_tensors(weights, DType::F32, &Device::Cpu),
    )
    .unwrap()
}

fn picture(w: u32, h: u32, seed: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = |k: u32| ((x * (7 + k) + y * (3 + 2 * k) + seed * 31) % 251) as u8;
        image::Rgb([v(0), v(1), v(2)])
    })
}

fn encode(model: &DinModel, seed: u32) -> StyleKernels {
    let t = image_io::to_tensor(&picture(48, 40, seed), &Device::Cpu).unwrap();
    model.encode_style(&t).unwrap()
}

fn max_difference(a: &Tensor, b: &Tensor) -> f32 {
    let d = (a - b).unwrap().abs().unwrap().flatten_all().unwrap();
    d.max(0).unwrap().to_scalar::<f32>().unwrap()
}

/// The largest difference between two sets of kernels (layers and modulation).
fn kernels_difference(a: &StyleKernels, b: &StyleKernels) -> f32 {
    let mut worst = 0f32;
    for (x, y) in a.layers.iter().zip(&b.layers) {
        worst = worst.max(max_difference(&x.weight, &y.weight));
        worst = worst.max(max_difference(&x.bias, &y.bias));
    }
    let (m, n) = (
        a.modulation.as_ref().unwrap(),
        b.modulation.as_ref().unwrap(),
    );
    worst
        .max(max_difference(&m.scale, &n.scale))
        .max(max_difference(&m.shift, &n.shift))
}

/// One set of kernels as a style with both sets alike.
fn both(k: &StyleKernels) -> StyleKernels {
    StyleKernels {
        upscaled: Some(Box::new(k.clone())),
        ..k.clone()
    }
}

#[test]
fn the_upscaled_kernels_come_from_the_style_path_under_upscaled() {
    let weights = random_weights(&config());
    let two_paths = model(config(), weights.clone());
    // The same weights with the upscaled path moved to the top: a model with one path.
    let mut moved: HashMap<String, Tensor> = weights
        .iter()
        .filter(|(k, _)| !k.starts_with("upscaled."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in &weights {
        if let Some(key) = k.strip_prefix("upscaled.") {
            moved.insert(key.to_owned(), v.clone());
        }
    }
    let one_path = model(Config::din_modulated(), moved);

    let kernels = encode(&two_paths, 1);
    let upscaled = kernels.upscaled.as_deref().expect("an upscaled set");
    let want = encode(&one_path, 1);
    assert!(want.upscaled.is_none());
    assert!(kernels_difference(upscaled, &want) < 1e-6);
    assert!(kernels_difference(&kernels, upscaled) > 1e-3);
    assert!(std::ptr::eq(kernels.for_frames(true), upscaled));
    assert!(std::ptr::eq(kernels.for_frames(false), &kernels));
    assert!(std::ptr::eq(want.for_frames(true), &want));
}

#[test]
fn frames_painted_smaller_take_the_upscaled_kernels_and_the_others_the_main_ones() {
    let m = Arc::new(model(config(), random_weights(&config())));
    let kernels = encode(&m, 2);
    let upscaled = kernels.upscaled.as_deref().unwrap().clone();
    let main = StyleKernels {
        upscaled: None,
        ..kernels.clone()
    };
    let paint = |kernels: StyleKernels, photo: &RgbImage| {
        let mut painter = Painter::new(m.clone(), kernels, 64).unwrap();
        let settings = PaintSettings {
            processing_size: 24,
            ..PaintSettings::default()
        };
        let mut out = photo.clone();
        painter.begin_frame(&settings, (photo.width() as usize, photo.height() as usize));
        painter
            .paint(&settings, Packed::rgb(photo), Packed::rgb_mut(&mut out))
            .unwrap();
        out
    };
    let large = picture(48, 32, 3); // shorter side above 24: painted at 24 and scaled up
    assert_eq!(
        paint(kernels.clone(), &large),
        paint(both(&upscaled), &large)
    );
    assert_ne!(paint(kernels.clone(), &large), paint(both(&main), &large));
    let small = picture(30, 20, 4); // painted at its own size
    assert_eq!(paint(kernels.clone(), &small), paint(both(&main), &small));
    assert_ne!(paint(kernels, &small), paint(both(&upscaled), &small));
}

#[test]
fn both_sets_are_mixed_and_kept_in_kernel_files() {
    let m = model(config(), random_weights(&config()));
    let (a, b) = (encode(&m, 5), encode(&m, 6));
    let half = StyleKernels::mix(&[(&a, 0.5), (&b, 0.5)]).unwrap();
    let want = StyleKernels::mix(&[
        (a.upscaled.as_deref().unwrap(), 0.5),
        (b.upscaled.as_deref().unwrap(), 0.5),
    ])
    .unwrap();
    assert!(kernels_difference(half.upscaled.as_deref().unwrap(), &want) < 1e-6);
    // a set without the upscaled kernels is another model's
    let plain = StyleKernels {
        upscaled: None,
        ..a.clone()
    };
    assert!(StyleKernels::mix(&[(&a, 0.5), (&plain, 0.5)]).is_err());

    let info = KernelFileInfo {
        model: m.identity().to_owned(),
        style_size: 64,
        source: "picture".into(),
    };
    let bytes = kernels_to_bytes(&a, &info).unwrap();
    let (read, _) = kernels_from_bytes(&bytes, "file", &m).unwrap();
    assert_eq!(kernels_difference(&read, &a), 0.0);
    let (got, want) = (read.upscaled.unwrap(), a.upscaled.unwrap());
    assert_eq!(kernels_difference(&got, &want), 0.0);
    // a file without them is refused by the model that needs them
    let bytes = kernels_to_bytes(&plain, &info).unwrap();
    let err = kernels_from_bytes(&bytes, "file", &m).unwrap_err();
    assert!(err.to_string().contains("no tensor upscaled."), "{err}");
}

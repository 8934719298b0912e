//! Any frame size works: tiny, odd, and real-world sizes come back at their own size.

use std::sync::Arc;

use candle_core::{Device, Tensor};
use dinstyle::engine::{engine_for, stylize, Engine};
use dinstyle::{DinModel, StyleKernels};

/// The engine the model's device gets (the CPU engine here), and a style's kernels.
fn setup() -> (Arc<dyn Engine>, StyleKernels) {
    let dev = Device::Cpu;
    let model = Arc::new(DinModel::bundled(&dev).unwrap());
    let style = Tensor::rand(0f32, 1f32, (1, 3, 64, 80), &dev).unwrap();
    let kernels = model.encode_style(&style).unwrap();
    (engine_for(&model).unwrap(), kernels)
}

fn assert_valid(out: &Tensor, h: usize, w: usize) {
    assert_eq!(out.dims(), &[1, 3, h, w], "{w}x{h}");
    let v = out.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert!(
        v.iter().all(|x| x.is_finite()),
        "{w}x{h}: non-finite output"
    );
}

#[test]
fn tiny_and_odd_sizes() {
    let (engine, kernels) = setup();
    for (w, h) in [(1, 1), (2, 1), (1, 3), (7, 5), (5, 7), (9, 4), (33, 17)] {
        let frame = Tensor::rand(0f32, 1f32, (1, 3, h, w), &Device::Cpu).unwrap();
        assert_valid(&stylize(&*engine, &frame, &kernels).unwrap(), h, w);
    }
}

#[test]
fn laptop_screen_size() {
    let (engine, kernels) = setup();
    let frame = Tensor::rand(0f32, 1f32, (1, 3, 768, 1366), &Device::Cpu).unwrap();
    assert_valid(&stylize(&*engine, &frame, &kernels).unwrap(), 768, 1366);
}

#[test]
fn style_images_of_any_size() {
    let dev = Device::Cpu;
    let model = Arc::new(DinModel::bundled(&dev).unwrap());
    let engine = engine_for(&model).unwrap();
    for (w, h) in [(1, 1), (3, 2), (256, 256), (300, 97)] {
        let style = Tensor::rand(0f32, 1f32, (1, 3, h, w), &dev).unwrap();
        let k = model.encode_style(&style).unwrap();
        let frame = Tensor::rand(0f32, 1f32, (1, 3, 16, 16), &dev).unwrap();
        assert_valid(&stylize(&*engine, &frame, &k).unwrap(), 16, 16);
    }
}

#[test]
fn batched_frames_match_single_frames() {
    let (engine, kernels) = setup();
    let a = Tensor::rand(0f32, 1f32, (1, 3, 20, 28), &Device::Cpu).unwrap();
    let b = Tensor::rand(0f32, 1f32, (1, 3, 20, 28), &Device::Cpu).unwrap();
    let both = stylize(&*engine, &Tensor::cat(&[&a, &b], 0).unwrap(), &kernels).unwrap();
    for (i, single) in [a, b].iter().enumerate() {
        let one = stylize(&*engine, single, &kernels).unwrap();
        let diff = (both.narrow(0, i, 1).unwrap() - one)
            .unwrap()
            .abs()
            .unwrap();
        let max = diff.max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(max < 1e-4, "frame {i} differs by {max} in a batch");
    }
}

#[test]
fn rejects_non_rgb_input() {
    let (engine, kernels) = setup();
    let gray = Tensor::rand(0f32, 1f32, (1, 1, 8, 8), &Device::Cpu).unwrap();
    assert!(stylize(&*engine, &gray, &kernels).is_err());
    let model = DinModel::bundled(&Device::Cpu).unwrap();
    assert!(model.encode_style(&gray).is_err());
}

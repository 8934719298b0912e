//! Any frame size works: tiny, odd, and real-world sizes come back at their own size.

use candle_core::{Device, Tensor};
use dinstyle::{DinModel, StyleKernels};

fn setup() -> (DinModel, StyleKernels) {
    let dev = Device::Cpu;
    let model = DinModel::bundled(&dev).unwrap();
    let style = Tensor::rand(0f32, 1f32, (1, 3, 64, 80), &dev).unwrap();
    let kernels = model.encode_style(&style).unwrap();
    (model, kernels)
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
    let (model, kernels) = setup();
    for (w, h) in [(1, 1), (2, 1), (1, 3), (7, 5), (5, 7), (9, 4), (33, 17)] {
        let frame = Tensor::rand(0f32, 1f32, (1, 3, h, w), &Device::Cpu).unwrap();
        assert_valid(&model.stylize(&frame, &kernels).unwrap(), h, w);
    }
}

#[test]
fn laptop_screen_size() {
    let (model, kernels) = setup();
    let frame = Tensor::rand(0f32, 1f32, (1, 3, 768, 1366), &Device::Cpu).unwrap();
    assert_valid(&model.stylize(&frame, &kernels).unwrap(), 768, 1366);
}

#[test]
fn style_images_of_any_size() {
    let dev = Device::Cpu;
    let model = DinModel::bundled(&dev).unwrap();
    for (w, h) in [(1, 1), (3, 2), (256, 256), (300, 97)] {
        let style = Tensor::rand(0f32, 1f32, (1, 3, h, w), &dev).unwrap();
        let k = model.encode_style(&style).unwrap();
        let frame = Tensor::rand(0f32, 1f32, (1, 3, 16, 16), &dev).unwrap();
        assert_valid(&model.stylize(&frame, &k).unwrap(), 16, 16);
    }
}

#[test]
fn batched_frames_match_single_frames() {
    let (model, kernels) = setup();
    let a = Tensor::rand(0f32, 1f32, (1, 3, 20, 28), &Device::Cpu).unwrap();
    let b = Tensor::rand(0f32, 1f32, (1, 3, 20, 28), &Device::Cpu).unwrap();
    let both = model
        .stylize(&Tensor::cat(&[&a, &b], 0).unwrap(), &kernels)
        .unwrap();
    for (i, single) in [a, b].iter().enumerate() {
        let one = model.stylize(single, &kernels).unwrap();
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
    let (model, kernels) = setup();
    let gray = Tensor::rand(0f32, 1f32, (1, 1, 8, 8), &Device::Cpu).unwrap();
    assert!(model.stylize(&gray, &kernels).is_err());
    assert!(model.encode_style(&gray).is_err());
}

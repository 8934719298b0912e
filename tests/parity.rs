//! Parity of the Rust network with the PyTorch one that trained it.
//!
//! Reference: `tests/fixtures/parity.safetensors`, written by `models/train/export.py` together
//! with the bundled model: PyTorch in float64 on the same f16-rounded weights, for a 13x10
//! content and a 24x20 style image (procedural, sizes that exercise padding and cropping), and
//! for a model with an upscaled style path its kernels and output too.
//! Criterion: `||rust - torch|| / ||torch|| < 1e-4` with Rust computing in f32.

use candle_core::{Device, Tensor};
use dinstyle::cpu::{simd::Level, CpuNet};
use dinstyle::engine::{engine_for, stylize};
use dinstyle::{DinModel, StyleKernels};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/parity.safetensors"
);

fn relative_error(got: &Tensor, want: &Tensor) -> f64 {
    assert_eq!(got.dims(), want.dims());
    let norm = |t: &Tensor| {
        t.sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
            .sqrt() as f64
    };
    norm(&(got - want).unwrap()) / norm(want)
}

fn check(what: &str, got: &Tensor, want: &Tensor) {
    let err = relative_error(got, want);
    eprintln!("{what}: relative error {err:.2e}");
    assert!(err < 1e-4, "{what}: relative error {err:e} >= 1e-4");
}

#[test]
fn bundled_model_matches_pytorch() {
    let dev = Device::Cpu;
    let fixture = candle_core::safetensors::load(FIXTURE, &dev).expect("parity fixture");
    let model = std::sync::Arc::new(DinModel::bundled(&dev).expect("bundled model"));
    let engine = engine_for(&model).expect("the CPU engine");

    let kernels = model.encode_style(&fixture["style"]).unwrap();
    check_kernels(&kernels, &fixture, "");
    let content = &fixture["content"];
    match (&kernels.upscaled, fixture.get("output_upscaled")) {
        (Some(upscaled), Some(want)) => {
            check_kernels(upscaled, &fixture, "upscaled.");
            let got = stylize(&*engine, content, kernels.for_frames(true)).unwrap();
            check("stylized output (upscaled style path)", &got, want);
        }
        (None, None) => {}
        _ => panic!("the model and the fixture disagree on the upscaled style path"),
    }
    // Every engine: the CPU engine at each instruction set this CPU has, and the Candle graph.
    for level in Level::supported() {
        let cpu = CpuNet::new(&model).unwrap().with_level(level);
        check(
            &format!("stylized output (CPU engine, {})", level.name()),
            &stylize(&cpu, content, &kernels).unwrap(),
            &fixture["output"],
        );
    }
    check(
        "stylized output (Candle graph)",
        &model.stylize(content, &kernels).unwrap(),
        &fixture["output"],
    );

    let own = model.encode_style(content).unwrap();
    let half: StyleKernels = kernels.with_alpha(&own, 0.5).unwrap();
    check(
        "output at alpha 0.5",
        &stylize(&*engine, content, &half).unwrap(),
        &fixture["output_alpha_0.5"],
    );
}

/// One set of kernels against the fixture's tensors under `prefix`.
fn check_kernels(
    kernels: &StyleKernels,
    fixture: &std::collections::HashMap<String, Tensor>,
    prefix: &str,
) {
    for (i, layer) in kernels.layers.iter().enumerate() {
        let key = |what: &str| format!("{prefix}din{}.{what}", i + 1);
        check(&key("weight"), &layer.weight, &fixture[&key("weight")]);
        check(&key("bias"), &layer.bias, &fixture[&key("bias")]);
    }
    match (
        &kernels.modulation,
        fixture.get(&format!("{prefix}modulation.scale")),
    ) {
        (Some(m), Some(scale)) => {
            check(&format!("{prefix}modulation scale"), &m.scale, scale);
            let shift = &fixture[&format!("{prefix}modulation.shift")];
            check(&format!("{prefix}modulation shift"), &m.shift, shift);
        }
        (None, None) => {}
        _ => panic!("the model and the fixture disagree on the decoder modulation"),
    }
}

//! The bodies of the `cargo fuzz` targets in `fuzz/`: every parser that reads what users hand
//! to dinstyle. They live here so that `tests/fuzz_corpus.rs` replays the corpora, and every
//! input a fuzzer ever crashed on, with the normal test suite on stable Rust. Each body must
//! return (an `Err` is fine) for any input: a panic, a hang or a huge allocation is a bug.

use std::path::Path;
use std::sync::OnceLock;

use candle_core::Device;

use crate::styles::kernels_from_bytes;
use crate::{image_io, DinModel, StyleSpec};

/// The names of the targets, as `fuzz/fuzz_targets/*.rs` and `fuzz/corpus/*` spell them.
pub const TARGETS: [&str; 4] = ["style_spec", "image_file", "kernel_file", "model_file"];

/// Runs target `name` on `data`.
pub fn run(name: &str, data: &[u8]) {
    match name {
        "style_spec" => style_spec(data),
        "image_file" => image_file(data),
        "kernel_file" => kernel_file(data),
        "model_file" => model_file(data),
        other => panic!("no fuzz target {other}"),
    }
}

/// A style specification (`a.jpg:0.7,preset:harvest:0.3`): parsed, and printed back.
pub fn style_spec(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(spec) = text.parse::<StyleSpec>() {
            let again: StyleSpec = spec
                .to_string()
                .parse()
                .expect("a printed spec parses again");
            let sources = |s: &StyleSpec| {
                s.parts
                    .iter()
                    .map(|(src, _)| src.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                sources(&again),
                sources(&spec),
                "{text:?} printed as {spec}"
            );
        }
    }
}

/// An image file (style, photo or mask) through the project's decoder and its limits.
pub fn image_file(data: &[u8]) {
    let _ = image_io::decode_image(data, Path::new("fuzz"), "image");
}

fn bundled() -> &'static DinModel {
    static MODEL: OnceLock<DinModel> = OnceLock::new();
    MODEL.get_or_init(|| DinModel::bundled(&Device::Cpu).expect("the bundled model loads"))
}

/// A style kernel file for the bundled model (the corpus starts from the presets, which pass
/// the model check, so mutations reach the tensors).
pub fn kernel_file(data: &[u8]) {
    let _ = kernels_from_bytes(data, "fuzz", bundled());
}

/// A model file (the corpus starts from small models of every config).
pub fn model_file(data: &[u8]) {
    let _ = DinModel::from_safetensors(data.to_vec(), "fuzz", &Device::Cpu);
}

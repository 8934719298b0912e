//! Replays the fuzzers' seeds (`fuzz/seeds/TARGET`, valid files), their minimised corpora
//! (`fuzz/corpus/TARGET`) and every input a fuzzer crashed on (`fuzz/regressions/TARGET`, each
//! fix's regression input) through the same target bodies (`dinstyle::fuzzing`), on stable Rust
//! with the normal test suite.

use std::path::{Path, PathBuf};

use candle_core::Device;
use dinstyle::fuzzing::{run, TARGETS};
use dinstyle::DinModel;

fn inputs(folder: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(folder)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

#[test]
fn corpora_and_regressions_replay_without_a_panic() {
    for target in TARGETS {
        let corpus = inputs("corpus", target);
        assert!(!corpus.is_empty(), "no corpus for {target}");
        let seeds = inputs("seeds", target);
        assert!(!seeds.is_empty(), "no seeds for {target}");
        for path in seeds
            .iter()
            .chain(&corpus)
            .chain(&inputs("regressions", target))
        {
            let data = std::fs::read(path).unwrap();
            let run = std::panic::catch_unwind(|| run(target, &data));
            assert!(run.is_ok(), "{target} panicked on {}", path.display());
        }
    }
}

/// The seeds are valid files, so that the fuzzers' mutations start past the first checks.
#[test]
fn model_seeds_load_and_paint() {
    let seeds = inputs("seeds", "model_file");
    assert_eq!(seeds.len(), 3);
    for path in &seeds {
        let bytes = std::fs::read(path).unwrap();
        let model = DinModel::from_safetensors(bytes, &path.display().to_string(), &Device::Cpu)
            .unwrap_or_else(|e| panic!("{e}"));
        let image = candle_core::Tensor::rand(0f32, 1f32, (1, 3, 12, 9), &Device::Cpu).unwrap();
        let kernels = model.encode_style(&image).unwrap();
        let out = model.stylize(&image, &kernels).unwrap();
        assert_eq!(out.dims(), &[1, 3, 12, 9], "{}", path.display());
    }
}

#[test]
fn image_and_kernel_seeds_are_valid() {
    let model = DinModel::bundled(&Device::Cpu).unwrap();
    for path in inputs("seeds", "kernel_file") {
        let bytes = std::fs::read(&path).unwrap();
        dinstyle::styles::kernels_from_bytes(&bytes, "seed", &model).unwrap();
    }
    for path in inputs("seeds", "image_file") {
        let bytes = std::fs::read(&path).unwrap();
        let decoded = dinstyle::image_io::decode_image(&bytes, &path, "seed");
        // the cut JPEG is the one seed that must fail
        let cut = path.file_name().is_some_and(|n| n == "cut.jpg");
        assert_eq!(decoded.is_ok(), !cut, "{}", path.display());
    }
}

//! Styles as users give them: kernel files, the style cache, presets and weighted mixes, with
//! the bundled model and the publishable paintings in `assets/styles`.

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use dinstyle::styles::{
    kernels_from_bytes, kernels_to_bytes, load_kernels, presets, save_kernels, KernelFileInfo,
};
use dinstyle::{image_io, DinModel, Error, StyleCache, StyleKernels, StyleLoader, StyleSpec};

const HARVEST: &str = "assets/styles/vangogh_the_harvest_1888.webp";
const NIGHT_CAFE: &str = "assets/styles/vangogh_the_night_cafe_1888.webp";

fn asset(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn values(k: &StyleKernels) -> Vec<f32> {
    k.layers
        .iter()
        .flat_map(|l| [&l.weight, &l.bias])
        .flat_map(|t| t.flatten_all().unwrap().to_vec1::<f32>().unwrap())
        .collect()
}

fn max_diff(a: &StyleKernels, b: &StyleKernels) -> f32 {
    let (a, b) = (values(a), values(b));
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn model() -> DinModel {
    DinModel::bundled(&Device::Cpu).unwrap()
}

fn encode(model: &DinModel, path: &str) -> StyleKernels {
    StyleLoader::new(model, 256, StyleCache::disabled())
        .load(&StyleSpec::single(dinstyle::StyleSource::Image(asset(
            path,
        ))))
        .unwrap()
}

fn info(model: &DinModel) -> KernelFileInfo {
    KernelFileInfo {
        model: model.identity().to_owned(),
        style_size: 256,
        source: "test".into(),
    }
}

/// The bundled model with one weight byte changed: same architecture, another identity.
fn other_model() -> DinModel {
    let mut bytes = dinstyle::BUNDLED_MODEL.to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    DinModel::from_safetensors(bytes, "changed model", &Device::Cpu).unwrap()
}

#[test]
fn the_model_identity_is_a_hash_of_its_file() {
    let m = model();
    assert_eq!(m.identity().len(), 32);
    assert_eq!(m.identity(), model().identity());
    assert_ne!(m.identity(), other_model().identity());
}

#[test]
fn kernel_files_round_trip_exactly() {
    let m = model();
    let kernels = encode(&m, HARVEST);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("harvest.dinstyle");
    save_kernels(&path, &kernels, &info(&m)).unwrap();
    let (back, read) = load_kernels(&path, &m).unwrap();
    assert_eq!(read, info(&m));
    assert_eq!(max_diff(&kernels, &back), 0.0);
}

#[test]
fn kernel_files_of_another_model_are_refused() {
    let m = model();
    let bytes = kernels_to_bytes(&encode(&m, HARVEST), &info(&m)).unwrap();
    let err = kernels_from_bytes(&bytes, "'h.dinstyle'", &other_model()).unwrap_err();
    assert!(matches!(err, Error::Kernels { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("'h.dinstyle'") && msg.contains(m.identity()),
        "{msg}"
    );
    assert!(msg.contains("dinstyle encode-style"), "{msg}");
}

#[test]
fn damaged_kernel_files_are_errors_not_panics() {
    let m = model();
    let good = kernels_to_bytes(&encode(&m, HARVEST), &info(&m)).unwrap();
    let not_safetensors = b"GIF89a and then some".to_vec();
    let truncated = good[..good.len() - 100].to_vec();
    let model_file = dinstyle::BUNDLED_MODEL.to_vec();
    for (bytes, why) in [
        (not_safetensors, "not a dinstyle kernel file"),
        (truncated, "damaged"),
        (model_file, "not a dinstyle kernel file"),
        (Vec::new(), "not a dinstyle kernel file"),
    ] {
        let err = kernels_from_bytes(&bytes, "'x'", &m)
            .unwrap_err()
            .to_string();
        assert!(err.contains(why), "{why}: {err}");
    }
    // A missing file is an I/O error naming it.
    let err = load_kernels(Path::new("/nonexistent/a.dinstyle"), &m).unwrap_err();
    assert!(matches!(err, Error::Io { .. }) && err.to_string().contains("a.dinstyle"));
}

#[test]
fn kernel_files_with_wrong_shapes_or_values_are_refused() {
    let m = model();
    let mut kernels = encode(&m, HARVEST);
    // Layer 1 with the shape of layer 2.
    kernels.layers[0] = kernels.layers[1].clone();
    let bytes = kernels_to_bytes(&kernels, &info(&m)).unwrap();
    let err = kernels_from_bytes(&bytes, "'x'", &m)
        .unwrap_err()
        .to_string();
    assert!(err.contains("din1.weight"), "{err}");

    let mut kernels = encode(&m, HARVEST);
    let bias = &kernels.layers[2].bias;
    kernels.layers[2].bias = (bias / 0.0).unwrap();
    let bytes = kernels_to_bytes(&kernels, &info(&m)).unwrap();
    let err = kernels_from_bytes(&bytes, "'x'", &m)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not finite"), "{err}");
}

#[test]
fn the_cache_is_keyed_by_content_model_and_size() {
    let m = model();
    let dir = tempfile::tempdir().unwrap();
    let cache = StyleCache::at(dir.path());
    let spec: StyleSpec = asset(HARVEST).to_str().unwrap().parse().unwrap();
    let loader = StyleLoader::new(&m, 256, cache.clone());
    let first = loader.load(&spec).unwrap();
    let entries = || std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(entries(), 1);
    assert_eq!(max_diff(&first, &encode(&m, HARVEST)), 0.0);

    // The cache is what answers: an entry replaced by another style's kernels is returned.
    let entry = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let other = encode(&m, NIGHT_CAFE);
    std::fs::write(&entry, kernels_to_bytes(&other, &info(&m)).unwrap()).unwrap();
    assert_eq!(max_diff(&loader.load(&spec).unwrap(), &other), 0.0);

    // The same bytes under another name hit the same entry; another size or model does not.
    let copy = dir.path().join("copy.png");
    std::fs::copy(asset(HARVEST), &copy).unwrap();
    let by_copy: StyleSpec = copy.to_str().unwrap().parse().unwrap();
    assert_eq!(max_diff(&loader.load(&by_copy).unwrap(), &other), 0.0);
    std::fs::remove_file(&copy).unwrap();
    StyleLoader::new(&m, 128, cache.clone())
        .load(&spec)
        .unwrap();
    StyleLoader::new(&other_model(), 256, cache.clone())
        .load(&spec)
        .unwrap();
    assert_eq!(entries(), 3);

    // A damaged entry is dropped and the style encoded again.
    std::fs::write(&entry, b"junk").unwrap();
    assert_eq!(max_diff(&loader.load(&spec).unwrap(), &first), 0.0);
}

#[test]
fn an_unwritable_cache_only_costs_the_encoding() {
    let m = model();
    let file = tempfile::NamedTempFile::new().unwrap();
    // A cache folder below a regular file cannot be created.
    let loader = StyleLoader::new(&m, 256, StyleCache::at(file.path().join("cache")));
    let spec: StyleSpec = asset(HARVEST).to_str().unwrap().parse().unwrap();
    assert_eq!(
        max_diff(&loader.load(&spec).unwrap(), &encode(&m, HARVEST)),
        0.0
    );
}

#[test]
fn presets_are_their_paintings_encoded_by_the_bundled_model() {
    let m = model();
    assert!(presets::PRESETS.len() >= 5);
    for p in presets::PRESETS {
        let kernels = presets::load(p.name, &m).unwrap();
        // Same encoder, same image: only the order of floating-point sums may differ.
        let diff = max_diff(&kernels, &encode(&m, p.image));
        assert!(
            diff < 1e-4,
            "preset {} is stale ({diff}): run models/presets/make.sh",
            p.name
        );
        assert!(asset(p.image).is_file());
    }
}

#[test]
fn presets_explain_themselves() {
    let err = presets::load("starry", &model()).unwrap_err().to_string();
    assert!(
        err.contains("no preset 'starry'") && err.contains("the-harvest"),
        "{err}"
    );
    let err = presets::load("the-harvest", &other_model())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bundled model") && err.contains(HARVEST),
        "{err}"
    );
}

#[test]
fn mixes_interpolate_the_kernels() {
    let m = model();
    let loader = StyleLoader::new(&m, 256, StyleCache::disabled());
    let (h, n) = (asset(HARVEST), asset(NIGHT_CAFE));
    let (h, n) = (h.to_str().unwrap(), n.to_str().unwrap());
    let load = |s: String| loader.load(&s.parse().unwrap()).unwrap();
    let harvest = encode(&m, HARVEST);
    let cafe = encode(&m, NIGHT_CAFE);
    assert!(max_diff(&load(format!("{h}:1,{n}:0")), &harvest) < 1e-6);
    let half = load(format!("{h},{n}"));
    let mean = StyleKernels::mix(&[(&harvest, 0.5), (&cafe, 0.5)]).unwrap();
    assert!(max_diff(&half, &mean) < 1e-6);
    // Kernel files and presets mix like images.
    let mixed = load(format!("{h}:0.25,preset:the-night-cafe:0.75"));
    let want = StyleKernels::mix(&[(&harvest, 0.25), (&cafe, 0.75)]).unwrap();
    assert!(max_diff(&mixed, &want) < 1e-5);

    // The painting moves from one style to the other as the weight does.
    let photo = image_io::load_image(&asset("assets/photos/chelsea.png"), "photo").unwrap();
    let photo = image_io::resize_short_side(&photo.rgb, 96);
    let photo = image_io::to_tensor(&photo, &Device::Cpu).unwrap();
    let paint = |k: &StyleKernels| m.stylize(&photo, k).unwrap();
    let dist = |a: &Tensor, b: &Tensor| {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .mean_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    };
    let (a, b) = (paint(&harvest), paint(&cafe));
    let d: Vec<f32> = [0.0, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .map(|&w| {
            let k = load(format!("{h}:{},{n}:{w}", 1.0 - w));
            dist(&paint(&k), &a)
        })
        .collect();
    eprintln!("mean |mix - harvest| for night-cafe weights 0..1: {d:?}");
    assert!(d.windows(2).all(|p| p[1] > p[0]), "not monotone: {d:?}");
    assert!((d[4] - dist(&b, &a)).abs() < 1e-4);
}

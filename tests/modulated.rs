//! A model with a style-modulated decoder and PReLU parameter networks (`Config::din_modulated`),
//! with random weights: the CPU engine follows the Candle graph, style kernels keep their
//! modulation through mixing and kernel files, and kernels of another model are refused.
//! (`parity.rs` checks the shipped model against PyTorch.)

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use dinstyle::cpu::{CpuKernels, CpuNet, FrameIn, FrameOut, Workspace};
use dinstyle::styles::{kernels_from_bytes, kernels_to_bytes, KernelFileInfo};
use dinstyle::{image_io, Config, DinModel, StyleKernels};

/// A model of `config` whose every weight is drawn from N(0, 0.1^2) (the slopes of the PReLUs
/// and the modulation included).
fn random_model(config: Config) -> DinModel {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    DinModel::new(config.clone(), vb.clone()).unwrap(); // creates the variables
    for var in varmap.all_vars() {
        let values = Tensor::randn(0f32, 0.1, var.shape(), &Device::Cpu).unwrap();
        var.set(&values).unwrap();
    }
    // Built again: the CPU engine copies the weights when it is made.
    DinModel::new(config, vb).unwrap()
}

fn picture(w: u32, h: u32, seed: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        let v = |k: u32| ((x * (7 + k) + y * (3 + 2 * k) + seed * 31) % 251) as u8;
        image::Rgb([v(0), v(1), v(2)])
    })
}

fn encode(model: &DinModel, seed: u32) -> StyleKernels {
    let t = image_io::to_tensor(&picture(48, 40, seed), &Device::Cpu).unwrap();
    model.encode_style(&t).unwrap()
}

fn relative_error(got: &Tensor, want: &Tensor) -> f32 {
    let diff = (got - want).unwrap().sqr().unwrap().sum_all().unwrap();
    let norm = want.sqr().unwrap().sum_all().unwrap();
    (diff.to_scalar::<f32>().unwrap() / norm.to_scalar::<f32>().unwrap()).sqrt()
}

fn cpu_engine(model: &DinModel, frame: &Tensor, kernels: &StyleKernels) -> Tensor {
    let (_, _, h, w) = frame.dims4().unwrap();
    let input = frame.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let mut out = vec![0f32; input.len()];
    CpuNet::new(model)
        .unwrap()
        .stylize(
            FrameIn::Planar(&input),
            FrameOut::Planar(&mut out),
            (w, h),
            &CpuKernels::new(kernels).unwrap(),
            &mut Workspace::new(),
        )
        .unwrap();
    Tensor::from_vec(out, frame.dims(), &Device::Cpu).unwrap()
}

#[test]
fn cpu_engine_follows_the_graph_of_a_modulated_model() {
    let model = random_model(Config::din_modulated());
    let style = encode(&model, 1);
    let modulation = style
        .modulation
        .as_ref()
        .expect("a modulated model's kernels");
    let bound = model.config().modulation_bound as f32;
    let largest = modulation.scale.abs().unwrap().max_all().unwrap();
    assert!(
        largest.to_scalar::<f32>().unwrap() <= bound,
        "scale past the bound"
    );
    for (w, h) in [(13, 10), (33, 17), (64, 36)] {
        let frame = image_io::to_tensor(&picture(w, h, 5), &Device::Cpu).unwrap();
        let want = model.stylize(&frame, &style).unwrap();
        let err = relative_error(&cpu_engine(&model, &frame, &style), &want);
        assert!(err < 1e-4, "{w}x{h}: relative error {err}");
    }
    // The modulation matters: without it (another style's), the picture changes.
    let frame = image_io::to_tensor(&picture(33, 17, 5), &Device::Cpu).unwrap();
    let mut other = style.clone();
    other.modulation = encode(&model, 2).modulation;
    let a = model.stylize(&frame, &style).unwrap();
    let b = model.stylize(&frame, &other).unwrap();
    assert!(
        relative_error(&b, &a) > 1e-3,
        "the modulation changed nothing"
    );
}

#[test]
fn mixed_kernels_mix_the_modulation() {
    let model = random_model(Config::din_modulated());
    let (a, b) = (encode(&model, 1), encode(&model, 2));
    let half = StyleKernels::mix(&[(&a, 0.5), (&b, 0.5)]).unwrap();
    let scale = |k: &StyleKernels| k.modulation.as_ref().unwrap().scale.clone();
    let want = ((scale(&a) + scale(&b)).unwrap() * 0.5).unwrap();
    assert!(relative_error(&scale(&half), &want) < 1e-6);
    // The CPU engine paints the mix as the graph does.
    let frame = image_io::to_tensor(&picture(20, 12, 3), &Device::Cpu).unwrap();
    let mixed_cpu = CpuKernels::new(&half).unwrap();
    let input = frame.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let mut out = vec![0f32; input.len()];
    CpuNet::new(&model)
        .unwrap()
        .stylize(
            FrameIn::Planar(&input),
            FrameOut::Planar(&mut out),
            (20, 12),
            &mixed_cpu,
            &mut Workspace::new(),
        )
        .unwrap();
    let got = Tensor::from_vec(out, frame.dims(), &Device::Cpu).unwrap();
    let want = model.stylize(&frame, &half).unwrap();
    assert!(relative_error(&got, &want) < 1e-4);
}

#[test]
fn kernel_files_keep_the_modulation_and_models_do_not_mix() {
    let modulated = random_model(Config::din_modulated());
    let plain = random_model(Config::din_mobile());
    let style = encode(&modulated, 1);
    let info = KernelFileInfo {
        model: modulated.identity().to_owned(),
        style_size: 48,
        source: "test".into(),
    };
    let bytes = kernels_to_bytes(&style, &info).unwrap();
    let (back, _) = kernels_from_bytes(&bytes, "test", &modulated).unwrap();
    let scale = |k: &StyleKernels| k.modulation.as_ref().unwrap().scale.clone();
    assert!(relative_error(&scale(&back), &scale(&style)) < 1e-7);
    // The plain model has no modulation to give these kernels: an error, not a silent skip.
    let frame = image_io::to_tensor(&picture(16, 16, 1), &Device::Cpu).unwrap();
    assert!(plain.stylize(&frame, &style).is_err());
    assert!(StyleKernels::mix(&[(&style, 0.5), (&encode(&plain, 1), 0.5)]).is_err());
    let input = vec![0.5f32; 3 * 16 * 16];
    let mut out = vec![0f32; input.len()];
    let refused = CpuNet::new(&plain).unwrap().stylize(
        FrameIn::Planar(&input),
        FrameOut::Planar(&mut out),
        (16, 16),
        &CpuKernels::new(&style).unwrap(),
        &mut Workspace::new(),
    );
    assert!(refused.is_err());
}

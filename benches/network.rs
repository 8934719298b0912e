//! Criterion benchmarks of the CPU path: the whole content path per instruction set, the
//! op-by-op Candle graph it replaces, and the row kernels at the shapes of a 640x360 frame.
//!
//!     cargo bench --bench network                # everything
//!     cargo bench --bench network -- network/    # the network only
//!
//! Figures and the machine they were taken on: `benches/RESULTS.md`.

use candle_core::Device;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use dinstyle::cpu::simd::Level;
use dinstyle::cpu::{rows, CpuKernels, CpuNet, FrameIn, FrameOut, Workspace};
use dinstyle::frame::{Packed, PixelLayout};
use dinstyle::{image_io, DinModel};

fn frame(w: usize, h: usize) -> Vec<u8> {
    (0..w * h * 4).map(|i| (i * 7 % 251) as u8).collect()
}

fn network(c: &mut Criterion) {
    let model = DinModel::bundled(&Device::Cpu).unwrap();
    let style = image::RgbImage::from_fn(341, 256, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let style = model
        .encode_style(&image_io::to_tensor(&style, &Device::Cpu).unwrap())
        .unwrap();
    let kernels = CpuKernels::new(&style).unwrap();
    let mut group = c.benchmark_group("network");
    group.sample_size(20);
    for (w, h) in [(640, 360), (1280, 720)] {
        let input = frame(w, h);
        let mut out = input.clone();
        group.throughput(Throughput::Elements(1));
        for level in Level::supported() {
            let net = CpuNet::new(&model).unwrap().with_level(level);
            let mut ws = Workspace::new();
            group.bench_function(
                BenchmarkId::new(format!("engine-{}", level.name()), format!("{w}x{h}")),
                |b| {
                    b.iter(|| {
                        let src = FrameIn::Packed(Packed {
                            data: &input,
                            stride: 4 * w,
                            width: w,
                            height: h,
                            layout: PixelLayout::RGBX,
                        });
                        let dst = FrameOut::Packed(Packed {
                            data: &mut out,
                            stride: 4 * w,
                            width: w,
                            height: h,
                            layout: PixelLayout::RGBX,
                        });
                        net.stylize(src, dst, (w, h), &kernels, &mut ws).unwrap()
                    })
                },
            );
        }
    }
    // The Candle graph, op by op (what the engine replaced), at 360p only: it is slow.
    let (w, h) = (640, 360);
    let t = image_io::to_tensor(&image::RgbImage::new(w, h), &Device::Cpu).unwrap();
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("candle-graph", format!("{w}x{h}")), |b| {
        b.iter(|| model.stylize(&t, &style).unwrap())
    });
    group.finish();
}

fn row_kernels(c: &mut Criterion) {
    let level = Level::get();
    let mut group = c.benchmark_group(format!("rows-{}", level.name()));
    // A row of the 1/4 scale (160 pixels, 64 channels): the residual blocks' 1x1 convolution.
    let (w, ch) = (160, 64);
    let src = vec![0.5f32; ch * w];
    let weight = rows::PointwiseWeights::new(vec![0.01f32; ch * ch], ch);
    let bias = vec![0.1f32; ch];
    let mut dst = vec![0f32; ch * w];
    group.throughput(Throughput::Elements((w * ch * ch) as u64));
    group.bench_function("pointwise-64x64x160", |b| {
        b.iter(|| {
            rows::pointwise_row(
                level,
                &src,
                w,
                &weight,
                Some(&bias),
                false,
                true,
                false,
                &mut dst,
            )
        })
    });
    // The same product through the maintained `gemm` crate (no threads: rows are the parallel
    // unit), bias and ReLU left out, so it does less than the row above.
    let plain = weight.weight().to_vec();
    group.bench_function("pointwise-64x64x160-gemm-crate", |b| {
        b.iter(|| unsafe {
            // SAFETY: all three matrices are row-major with the strides given, and in bounds.
            gemm::gemm(
                ch,
                w,
                ch,
                dst.as_mut_ptr(),
                1,
                w as isize,
                false,
                plain.as_ptr(),
                1,
                ch as isize,
                src.as_ptr(),
                1,
                w as isize,
                0.0f32,
                1.0f32,
                false,
                false,
                false,
                gemm::Parallelism::None,
            )
        })
    });
    // A full-scale row (640 pixels, 16 channels): depthwise 3x3, stride 1 and 2.
    let (w, ch) = (640, 16);
    let row = vec![0.5f32; ch * w];
    let dw = vec![0.1f32; ch * 9];
    let b16 = vec![0.0f32; ch];
    let mut out = vec![0f32; ch * w];
    let mut scratch = Vec::new();
    for stride in [1, 2] {
        let wo = (w - 1) / stride + 1;
        group.throughput(Throughput::Elements((wo * ch * 9) as u64));
        group.bench_function(format!("depthwise-16x640-stride{stride}"), |b| {
            b.iter(|| {
                let rows = [&row[..], &row[..], &row[..]];
                rows::depthwise_row(
                    level,
                    rows,
                    w,
                    stride,
                    &dw,
                    &b16,
                    true,
                    &mut scratch,
                    &mut out[..ch * wo],
                )
            })
        });
    }
    // The stem: dense 3x3, 3 -> 16 channels, over a reflect-padded 640-pixel row.
    let padded = vec![0.5f32; 3 * (w + 2)];
    let stem = rows::Dense3x3Weights::new(vec![0.1f32; 16 * 3 * 9], 3);
    group.throughput(Throughput::Elements((w * 16 * 27) as u64));
    group.bench_function("dense3x3-3to16x640", |b| {
        b.iter(|| {
            let rows = [&padded[..], &padded[..], &padded[..]];
            rows::dense3x3_row(level, rows, w, &stem, &b16, true, &mut out)
        })
    });
    group.finish();
}

criterion_group!(benches, network, row_kernels);
criterion_main!(benches);

//! `dinstyle image`: stylize photos with any style image.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use dinstyle::{image_io, DinModel, Result, StyleKernels};

use super::{output_paths, report};

#[derive(Args, Debug)]
pub struct ImageArgs {
    /// Photos to stylize.
    #[arg(required = true, value_name = "IMAGE")]
    inputs: Vec<PathBuf>,
    /// Style image: a painting, a texture, any picture.
    #[arg(short, long, value_name = "IMAGE")]
    style: PathBuf,
    /// Content-style trade-off: 1 paints fully in the style, 0 gives the photo back.
    #[arg(short, long, default_value_t = 1.0, value_parser = unit_interval)]
    alpha: f64,
    /// Output file (only with a single input).
    #[arg(short, long, value_name = "FILE", conflicts_with = "out_dir")]
    output: Option<PathBuf>,
    /// Folder for the results, named <photo>-<style>.<format> [default: .]
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Image format of results written to --out-dir.
    #[arg(long, default_value = "png", value_parser = ["png", "jpg", "webp", "bmp", "tiff"])]
    format: String,
    /// Longest side to stylize at: larger photos are scaled down first (0 keeps every size).
    #[arg(long, default_value_t = 1024, value_name = "PIXELS")]
    size: u32,
    #[command(flatten)]
    engine: super::EngineArgs,
    /// Print only errors.
    #[arg(short, long)]
    quiet: bool,
}

pub(crate) fn unit_interval(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        Ok(v) => Err(format!("{v} is outside 0..1")),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs the command; the exit code is that of the first failure (every input is still tried).
pub fn run(args: ImageArgs) -> u8 {
    let outputs = match output_paths(
        &args.inputs,
        &args.style,
        args.output.as_ref(),
        args.out_dir.as_ref(),
        &args.format,
    ) {
        Ok(o) => o,
        Err(e) => return report(&e),
    };
    let setup = || -> Result<(DinModel, StyleKernels)> {
        let device = dinstyle::parse_device(&args.engine.device)?;
        let model = match &args.engine.model {
            Some(path) => DinModel::load(path, &device)?,
            None => DinModel::bundled(&device)?,
        };
        let style = image_io::load_image(&args.style, "style image")?;
        let style = image_io::fit_style(&style.rgb, args.engine.style_size);
        let kernels = model.encode_style(&image_io::to_tensor(&style, &device)?)?;
        Ok((model, kernels))
    };
    let (model, kernels) = match setup() {
        Ok(s) => s,
        Err(e) => return report(&e),
    };
    let mut code = 0;
    for (input, output) in args.inputs.iter().zip(&outputs) {
        let start = Instant::now();
        match stylize_file(&model, &kernels, input, output, &args) {
            Ok((w, h)) => {
                if !args.quiet {
                    eprintln!(
                        "{} -> {} ({w}x{h}, {:.2} s)",
                        input.display(),
                        output.display(),
                        start.elapsed().as_secs_f64()
                    );
                }
                println!("{}", output.display());
            }
            Err(e) => {
                let c = report(&e);
                if code == 0 {
                    code = c;
                }
            }
        }
    }
    if code != 0 && args.inputs.len() > 1 {
        eprintln!("dinstyle: some images failed (see above)");
    }
    code
}

fn stylize_file(
    model: &DinModel,
    kernels: &StyleKernels,
    input: &Path,
    output: &Path,
    args: &ImageArgs,
) -> Result<(u32, u32)> {
    let device = model.device();
    let photo = image_io::load_image(input, "image")?;
    let rgb = image_io::limit_long_side(&photo.rgb, args.size);
    let frame = image_io::to_tensor(&rgb, device)?;
    let mixed;
    let kernels = if args.alpha < 1.0 {
        let own_style = image_io::fit_style(&rgb, args.engine.style_size);
        let own = model.encode_style(&image_io::to_tensor(&own_style, device)?)?;
        mixed = kernels.with_alpha(&own, args.alpha)?;
        &mixed
    } else {
        kernels
    };
    let out = image_io::from_tensor(&model.stylize(&frame, kernels)?)?;
    let alpha = photo
        .alpha
        .map(|a| image_io::resize_to(&a, rgb.dimensions()));
    image_io::save_image(&out, alpha.as_ref(), output)?;
    Ok(rgb.dimensions())
}

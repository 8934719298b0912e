//! `dinstyle image`: stylize photos with any style image.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use dinstyle::{image_io, DinModel, Error, Result, StyleKernels};

use super::report;

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

pub(crate) fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "image".into())
}

/// Where each input's result goes; refuses to overwrite an input or to write two results to
/// the same file.
fn output_paths(args: &ImageArgs) -> Result<Vec<PathBuf>> {
    if args.output.is_some() && args.inputs.len() > 1 {
        return Err(Error::InvalidArgument(
            "-o/--output takes a single input; use --out-dir for several".into(),
        ));
    }
    let outputs: Vec<PathBuf> = match &args.output {
        Some(o) => vec![o.clone()],
        None => {
            let dir = args.out_dir.clone().unwrap_or_else(|| PathBuf::from("."));
            let style = stem(&args.style);
            args.inputs
                .iter()
                .map(|p| dir.join(format!("{}-{style}.{}", stem(p), args.format)))
                .collect()
        }
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    let protected: HashSet<PathBuf> = args
        .inputs
        .iter()
        .chain([&args.style])
        .map(|p| canonical(p))
        .collect();
    let mut seen = HashSet::new();
    for out in &outputs {
        let key = canonical(out);
        if protected.contains(&key) {
            return Err(Error::InvalidArgument(format!(
                "refusing to overwrite input '{}' with a result",
                out.display()
            )));
        }
        if !seen.insert(key) {
            return Err(Error::InvalidArgument(format!(
                "two inputs would both be written to '{}': rename one or run them separately",
                out.display()
            )));
        }
    }
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::Write {
            path: dir.clone(),
            reason: e.to_string(),
        })?;
    }
    Ok(outputs)
}

/// Runs the command; the exit code is that of the first failure (every input is still tried).
pub fn run(args: ImageArgs) -> u8 {
    let outputs = match output_paths(&args) {
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

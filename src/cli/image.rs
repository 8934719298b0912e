//! `dinstyle image`: stylize photos with any style image.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use dinstyle::frame::Packed;
use dinstyle::painter::texture::matched_texture_level;
use dinstyle::painter::PainterEvent;
use dinstyle::{image_io, Error, PaintSettings, Painter, Result, StyleSource, StyleSpec};
use image::RgbImage;

use super::{output_paths, report};

#[derive(Args, Debug)]
pub struct ImageArgs {
    /// Photos to stylize.
    #[arg(required = true, value_name = "IMAGE")]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    style: super::StyleArgs,
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
    /// Stylize at this shorter side and scale back, so that strokes keep their size relative to
    /// the picture (photos already smaller are painted as they are); 0: at the photo's own size
    /// (finer strokes).
    #[arg(long, default_value_t = dinstyle::DEFAULT_PROCESSING_SIZE, value_name = "PIXELS")]
    processing_size: u32,
    /// Share of the photo's fine detail, lost when it is painted at --processing-size, put
    /// back on the painting's light after scaling up (0: softer, 1: all of it).
    #[arg(long, default_value_t = dinstyle::DEFAULT_DETAIL, value_name = "D",
          value_parser = unit_interval)]
    detail: f64,
    /// Share of the fine strokes of a second painting at the photo's own size added to a photo
    /// painted at --processing-size (0: none, one painting; 1: all of them, sharper texture);
    /// auto: as many as give the painting more fine detail (1.6x) than the style image
    /// has at the photo's size, up to 2 (a style given as a kernel file or preset gets 0.5).
    #[arg(long, default_value = "auto", value_name = "T|auto", value_parser = texture_choice)]
    texture: TextureChoice,
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

/// `--texture`: a fixed share of the full-size painting's fine band, or one matched to the style.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TextureChoice {
    Share(f64),
    MatchStyle,
}

fn texture_choice(s: &str) -> std::result::Result<TextureChoice, String> {
    match s {
        "auto" => Ok(TextureChoice::MatchStyle),
        _ => unit_interval(s).map(TextureChoice::Share),
    }
}

/// The style's pictures, kept to match `--texture auto` to each photo's size: every part of
/// the style with its weight, or `None` where a part has no picture (a kernel file, a preset).
struct StylePictures(Option<Vec<(RgbImage, f64)>>);

/// Style pictures are kept at most this long side: a painting shown at a photo's size is rarely
/// larger, and a huge one would otherwise be held in memory for the whole batch.
const STYLE_PICTURE_SIDE: u32 = 4096;

impl StylePictures {
    fn load(spec: &StyleSpec) -> Result<Self> {
        let mut parts = Vec::new();
        for (source, weight) in &spec.parts {
            let StyleSource::Image(path) = source else {
                return Ok(Self(None));
            };
            let picture = image_io::load_image(path, "style image")?;
            parts.push((
                image_io::limit_long_side(&picture.rgb, STYLE_PICTURE_SIDE),
                *weight,
            ));
        }
        Ok(Self(Some(parts)))
    }

    /// The settings' `texture` and `texture_level` for a photo of `size`.
    fn texture(
        &self,
        choice: TextureChoice,
        size: (u32, u32),
        processing: u32,
    ) -> (f64, Option<f32>) {
        let parts = match (choice, &self.0) {
            (TextureChoice::Share(share), _) => return (share, None),
            (TextureChoice::MatchStyle, None) => return (dinstyle::DEFAULT_IMAGE_TEXTURE, None),
            (TextureChoice::MatchStyle, Some(parts)) => parts,
        };
        let total: f64 = parts.iter().map(|(_, w)| w).sum();
        let level = parts.iter().try_fold(0.0, |sum, (picture, weight)| {
            matched_texture_level(picture, size, processing)
                .map(|level| sum + level as f64 * weight / total.max(f64::EPSILON))
        });
        // a style without a fine band (level 0) gets none: `texture` 0 stands where no level does
        (0.0, level.map(|l| l as f32))
    }
}

/// Runs the command; the exit code is that of the first failure (every input is still tried).
pub fn run(args: ImageArgs) -> u8 {
    let outputs = match output_paths(
        &args.inputs,
        &args.style.style,
        &args.style.controls,
        args.output.as_ref(),
        args.out_dir.as_ref(),
        &args.format,
    ) {
        Ok(o) => o,
        Err(e) => return report(&e),
    };
    // The model and the styles, loaded once for every photo.
    let setup = || -> Result<Painter> {
        let model = args.engine.load_model()?;
        let loader = args.engine.style_loader(&model);
        let kernels = loader.load(&args.style.style)?;
        let mask_kernels = args
            .style
            .controls
            .mask_style
            .as_ref()
            .map(|s| loader.load(s))
            .transpose()?;
        if let Some(mask) = &args.style.controls.mask {
            image_io::load_image(mask, "mask image")?;
        }
        let mut painter = Painter::new(Arc::new(model), kernels, args.engine.style_size)?;
        painter.set_mask_style(mask_kernels)?;
        painter.set_mask(args.style.controls.mask.as_deref());
        Ok(painter)
    };
    let mut painter = match setup() {
        Ok(p) => p,
        Err(e) => return report(&e),
    };
    let pictures = match args.texture {
        TextureChoice::MatchStyle => StylePictures::load(&args.style.style),
        TextureChoice::Share(_) => Ok(StylePictures(None)),
    };
    let pictures = match pictures {
        Ok(p) => p,
        Err(e) => return report(&e),
    };
    let mut code = 0;
    for (input, output) in args.inputs.iter().zip(&outputs) {
        let start = Instant::now();
        match stylize_file(&mut painter, &pictures, input, output, &args) {
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
    painter: &mut Painter,
    pictures: &StylePictures,
    input: &Path,
    output: &Path,
    args: &ImageArgs,
) -> Result<(u32, u32)> {
    let controls = &args.style.controls;
    let photo = image_io::load_image(input, "image")?;
    let rgb = image_io::limit_long_side(&photo.rgb, args.size);
    let size = (rgb.width() as usize, rgb.height() as usize);
    let (texture, texture_level) =
        pictures.texture(args.texture, rgb.dimensions(), args.processing_size);
    let settings = PaintSettings {
        alpha: controls.alpha,
        preserve_colour: controls.preserve_colour,
        processing_size: args.processing_size,
        detail: args.detail,
        texture,
        texture_level,
        ..PaintSettings::default()
    };
    for event in painter.begin_frame(&settings, size) {
        if let PainterEvent::MaskFailed { message } = event {
            return Err(Error::InvalidArgument(message));
        }
    }
    let mut out = rgb.clone();
    painter.paint(&settings, Packed::rgb(&rgb), Packed::rgb_mut(&mut out))?;
    let alpha = photo
        .alpha
        .map(|a| image_io::resize_to(&a, rgb.dimensions()));
    image_io::save_image(&out, alpha.as_ref(), output)?;
    Ok(rgb.dimensions())
}

//! `dinstyle`: arbitrary neural style transfer (Dynamic Instance Normalization) from the
//! command line: argument parsing, exit codes, and the subcommands. See `dinstyle --help`.

mod bench;
mod image;
mod styles;
mod video;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mimalloc::MiMalloc;

// The network allocates large short-lived buffers per frame; glibc's allocator returns them to
// the OS and page-faults them back in every time.
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

use clap::{Parser, Subcommand};
use dinstyle::{Error, Result, StyleSpec};

#[derive(Parser)]
#[command(
    name = "dinstyle",
    version,
    about = "Arbitrary neural style transfer (Dynamic Instance Normalization)",
    after_help = "Exit codes: 0 success, 2 bad arguments, 65 an input is not a readable image or \
                  the model does not match, 66 an input cannot be opened, 69 the device is not \
                  available, 70 internal error, 73 an output cannot be written, 75 a batch was \
                  interrupted (run it again to finish)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Paint photos in the style of any image.
    Image(image::ImageArgs),
    /// Paint video files in the style of any image (audio kept).
    Video(video::VideoArgs),
    /// Encode a style once into a kernel file (.dinstyle) for instant switching.
    EncodeStyle(styles::EncodeArgs),
    /// List the bundled style presets (use them as --style preset:NAME).
    Presets,
    /// Measure frames per second per resolution on this machine.
    Bench(bench::BenchArgs),
}

/// The style, for `image` (`video` makes it optional: a manifest may give one per file).
#[derive(clap::Args, Debug)]
pub struct StyleArgs {
    #[arg(short, long, value_name = "STYLE", help = STYLE_HELP)]
    pub style: StyleSpec,
    #[command(flatten)]
    pub controls: StyleControls,
}

/// `--style`'s help, shared by `image` and `video`.
pub const STYLE_HELP: &str = "The style: an image (painting, texture, any picture), a kernel file \
    from encode-style (.dinstyle), preset:NAME (see `dinstyle presets`), or a weighted mix of \
    these: \"a.jpg:0.7,preset:the-harvest:0.3\"";

/// The controls over the style, shared by `image` and `video`.
#[derive(clap::Args, Debug, Clone)]
pub struct StyleControls {
    /// Style strength (content-style trade-off in feature space): 1 paints fully in the
    /// style, 0 gives the input back.
    #[arg(short, long, default_value_t = 1.0, value_parser = image::unit_interval)]
    pub alpha: f64,
    /// Keep the input's colours: take only the style's strokes, texture and light.
    #[arg(long, visible_alias = "preserve-color")]
    pub preserve_colour: bool,
    /// Spatial control: a mask image, white where the style goes (scaled to each frame;
    /// greys blend); black areas keep the input, or take --mask-style.
    #[arg(long, value_name = "IMAGE")]
    pub mask: Option<PathBuf>,
    /// The style for the mask's black areas (same forms as --style).
    #[arg(long, value_name = "STYLE", requires = "mask")]
    pub mask_style: Option<StyleSpec>,
}

impl Default for StyleControls {
    /// The command line's defaults.
    fn default() -> Self {
        Self {
            alpha: 1.0,
            preserve_colour: false,
            mask: None,
            mask_style: None,
        }
    }
}

/// Every file a style and its controls read (never to be overwritten by a result).
pub fn style_inputs(style: Option<&StyleSpec>, controls: &StyleControls) -> Vec<PathBuf> {
    let specs = style.into_iter().chain(controls.mask_style.as_ref());
    specs
        .flat_map(|s| s.parts.iter().filter_map(|(src, _)| src.path()))
        .map(Path::to_path_buf)
        .chain(controls.mask.clone())
        .collect()
}

/// Options shared by the subcommands: the style's scale, the model, the device.
#[derive(clap::Args, Debug)]
pub struct EngineArgs {
    /// Shorter side the style image is scaled to: smaller gives larger strokes.
    #[arg(long, default_value_t = dinstyle::DEFAULT_STYLE_SIZE, value_name = "PIXELS",
          value_parser = clap::value_parser!(u32).range(16..=2048))]
    pub style_size: u32,
    /// Model file [default: the bundled din-mobile model].
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Where to run: auto, cpu, cuda or cuda:N.
    #[arg(long, default_value = "auto")]
    pub device: String,
}

impl EngineArgs {
    /// The model on the requested device.
    pub fn load_model(&self) -> Result<dinstyle::DinModel> {
        let device = dinstyle::parse_device(&self.device)?;
        match &self.model {
            Some(path) => dinstyle::DinModel::load(path, &device),
            None => dinstyle::DinModel::bundled(&device),
        }
    }

    /// Loads styles for the model, through the user's style cache.
    pub fn style_loader<'a>(&self, model: &'a dinstyle::DinModel) -> dinstyle::StyleLoader<'a> {
        dinstyle::StyleLoader::new(model, self.style_size, dinstyle::StyleCache::from_env())
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "image".into())
}

/// Where each input's result goes (`output`, or `<out_dir>/<input>-<style>.<format>`, creating
/// `out_dir`); refuses to overwrite an input or to write two results to the same file.
pub fn output_paths(
    inputs: &[PathBuf],
    style: &StyleSpec,
    controls: &StyleControls,
    output: Option<&PathBuf>,
    out_dir: Option<&PathBuf>,
    format: &str,
) -> Result<Vec<PathBuf>> {
    if output.is_some() && inputs.len() > 1 {
        return Err(Error::InvalidArgument(
            "-o/--output takes a single input; use --out-dir for several".into(),
        ));
    }
    let outputs: Vec<PathBuf> = match output {
        Some(o) => vec![o.clone()],
        None => {
            let dir = out_dir.cloned().unwrap_or_else(|| PathBuf::from("."));
            let style = style.name();
            inputs
                .iter()
                .map(|p| dir.join(format!("{}-{style}.{format}", stem(p))))
                .collect()
        }
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    let protected: HashSet<PathBuf> = inputs
        .iter()
        .chain(&style_inputs(Some(style), controls))
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
    if let Some(dir) = out_dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::Write {
            path: dir.clone(),
            reason: e.to_string(),
        })?;
    }
    Ok(outputs)
}

/// Exit codes, from BSD's sysexits.h so that scripts can tell failures apart.
pub mod exit {
    pub const USAGE: u8 = 2;
    pub const DATA_ERR: u8 = 65;
    pub const NO_INPUT: u8 = 66;
    pub const UNAVAILABLE: u8 = 69;
    pub const SOFTWARE: u8 = 70;
    pub const CANT_CREATE: u8 = 73;
    /// Interrupted, or another process holds the file: running again will finish the work.
    pub const TEMP_FAIL: u8 = 75;
}

/// The exit code a failure maps to.
pub fn exit_code(err: &Error) -> u8 {
    match err {
        Error::Io { .. } => exit::NO_INPUT,
        Error::BadImage { .. }
        | Error::Model { .. }
        | Error::Kernels { .. }
        | Error::Limit { .. } => exit::DATA_ERR,
        Error::Write { .. } => exit::CANT_CREATE,
        Error::Device(_) => exit::UNAVAILABLE,
        Error::InvalidArgument(_) => exit::USAGE,
        Error::Compute(_) => exit::SOFTWARE,
    }
}

/// Prints `err` and returns its exit code.
pub fn report(err: &Error) -> u8 {
    eprintln!("dinstyle: error: {err}");
    exit_code(err)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Image(args) => image::run(args),
        Command::Video(args) => video::run(args),
        Command::EncodeStyle(args) => styles::encode(args),
        Command::Presets => styles::presets(),
        Command::Bench(args) => bench::run(args),
    };
    ExitCode::from(code)
}

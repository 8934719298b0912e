//! `dinstyle encode-style` and `dinstyle presets`.

use std::path::PathBuf;

use clap::Args;
use dinstyle::styles::{presets, save_kernels, KernelFileInfo, KERNEL_FILE_EXTENSION};
use dinstyle::{Error, Result, StyleCache, StyleLoader, StyleSpec};

use super::report;

#[derive(Args, Debug)]
pub struct EncodeArgs {
    /// The style to encode: an image, preset:NAME, or a weighted mix ("a.jpg:0.7,b.jpg:0.3").
    #[arg(value_name = "STYLE")]
    style: StyleSpec,
    /// Kernel file to write [default: <style>.dinstyle in the current folder].
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    engine: super::EngineArgs,
}

/// Encodes a style into a kernel file tagged with the model's identity.
pub fn encode(args: EncodeArgs) -> u8 {
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.{KERNEL_FILE_EXTENSION}", args.style.name())));
    let run = || -> Result<()> {
        let model = args.engine.load_model()?;
        let inputs: Vec<_> = args
            .style
            .parts
            .iter()
            .filter_map(|(s, _)| s.path())
            .collect();
        let same = |p: &std::path::Path| std::fs::canonicalize(p).ok();
        if inputs
            .iter()
            .any(|p| same(p).is_some() && same(p) == same(&output))
        {
            return Err(Error::InvalidArgument(format!(
                "refusing to overwrite input '{}'",
                output.display()
            )));
        }
        // No cache: the file is what the user asked for, and it is made once.
        let loader = StyleLoader::new(&model, args.engine.style_size, StyleCache::disabled());
        let kernels = loader.load(&args.style)?;
        let info = KernelFileInfo {
            model: model.identity().to_owned(),
            style_size: args.engine.style_size,
            source: args.style.to_string(),
        };
        save_kernels(&output, &kernels, &info)
    };
    match run() {
        Ok(()) => {
            println!("{}", output.display());
            0
        }
        Err(e) => report(&e),
    }
}

/// Prints the bundled presets.
pub fn presets() -> u8 {
    println!("{:<18} {:<36} {:<20} year", "preset", "painting", "artist");
    for p in presets::PRESETS {
        println!(
            "{:<18} {:<36} {:<20} {}",
            p.name, p.painting, p.artist, p.year
        );
    }
    println!("\nUse one as --style preset:NAME (sources: models/presets/README.md).");
    0
}

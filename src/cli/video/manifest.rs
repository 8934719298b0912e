//! Batch manifests: a TSV file with one `INPUT<TAB>OUTPUT[<TAB>STYLE[<TAB>OPTION]...]` line per
//! video. An empty or missing STYLE takes the command line's `--style`; each further column is
//! one option as on the command line (`--alpha=0.7`, `--preserve-colour`, `--mask=faces.png`),
//! overriding the command line's for that file. Relative paths are relative to the manifest's
//! folder. Blank lines and lines starting with `#` are skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use dinstyle::{limits, Error, Result, StyleSource, StyleSpec};

use super::Paint;

/// A manifest is text, a line per video: a catalogue of a million files fits in 1 GiB.
const MAX_MANIFEST_BYTES: u64 = 1 << 30;

/// One line of a manifest.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Line number in the manifest, from 1.
    pub line: usize,
    pub input: PathBuf,
    pub output: PathBuf,
    pub paint: Paint,
}

/// The options a manifest line may set (the `video` options that change the pixels).
#[derive(Parser, Debug, Default)]
#[command(no_binary_name = true, disable_help_flag = true)]
struct LineOptions {
    #[arg(long, value_parser = crate::image::unit_interval)]
    alpha: Option<f64>,
    #[arg(long, visible_alias = "preserve-color", num_args = 0..=1, default_missing_value = "true")]
    preserve_colour: Option<bool>,
    #[arg(long)]
    mask: Option<PathBuf>,
    #[arg(long)]
    mask_style: Option<StyleSpec>,
    #[arg(long, value_parser = super::stability_range)]
    stability: Option<f64>,
    #[arg(long)]
    size: Option<u32>,
    #[arg(long, value_parser = crate::image::unit_interval)]
    detail: Option<f64>,
    #[arg(long, value_parser = crate::image::unit_interval)]
    texture: Option<f64>,
    #[arg(long, value_parser = clap::value_parser!(u32).range(16..=2048))]
    style_size: Option<u32>,
}

/// Reads a manifest; `base` holds the command line's settings (its style may be absent).
pub fn read(path: &Path, base: &Paint, base_style: Option<&StyleSpec>) -> Result<Vec<Entry>> {
    let bytes = limits::read_file(path, "manifest", MAX_MANIFEST_BYTES, limits::any_head)?;
    let text = String::from_utf8(bytes).map_err(|_| bad(path, 0, "not UTF-8 text".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text); // a byte-order mark
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let entry =
            parse_line(line, i + 1, dir, base, base_style).map_err(|why| bad(path, i + 1, why))?;
        entries.push(entry);
    }
    if entries.is_empty() {
        return Err(bad(path, 0, "lists no videos".into()));
    }
    check_outputs(&entries).map_err(|(line, why)| bad(path, line, why))?;
    Ok(entries)
}

/// A style that never paints: fills `Paint` where a manifest line always brings its own (or,
/// for [`files`], where styles do not matter).
pub fn stand_in_style() -> StyleSpec {
    StyleSpec::single(StyleSource::Preset(String::new()))
}

/// Line number and input of every video a manifest lists, for checking reports against it.
pub fn files(path: &Path) -> Result<Vec<(usize, PathBuf)>> {
    let stand_in = stand_in_style();
    let base = Paint {
        style: stand_in.clone(),
        controls: crate::StyleControls::default(),
        stability: 0.0,
        size: dinstyle::DEFAULT_PROCESSING_SIZE,
        detail: dinstyle::DEFAULT_DETAIL,
        texture: dinstyle::DEFAULT_TEXTURE,
        style_size: dinstyle::DEFAULT_STYLE_SIZE,
    };
    let entries = read(path, &base, Some(&stand_in))?;
    Ok(entries.into_iter().map(|e| (e.line, e.input)).collect())
}

fn bad(path: &Path, line: usize, why: String) -> Error {
    let at = match line {
        0 => String::new(),
        n => format!(" line {n}"),
    };
    Error::InvalidArgument(format!("manifest {}{at}: {why}", path.display()))
}

fn parse_line(
    line: &str,
    number: usize,
    dir: &Path,
    base: &Paint,
    base_style: Option<&StyleSpec>,
) -> std::result::Result<Entry, String> {
    let columns: Vec<&str> = line.split('\t').collect();
    let [input, output, rest @ ..] = columns.as_slice() else {
        return Err("expected INPUT<TAB>OUTPUT[<TAB>STYLE[<TAB>OPTION]...]".into());
    };
    if input.is_empty() || output.is_empty() {
        return Err("empty INPUT or OUTPUT column".into());
    }
    let (style, options) = match rest {
        [] => (None, &[][..]),
        [style, options @ ..] => (Some(style.trim()).filter(|s| !s.is_empty()), options),
    };
    let style = match style {
        Some(s) => rebase_spec(s.parse().map_err(|e: Error| e.to_string())?, dir),
        None => base_style
            .cloned()
            .ok_or("no style: give --style, or a third column")?,
    };
    let options = LineOptions::try_parse_from(options.iter().map(|o| o.trim())).map_err(|e| {
        e.kind().as_str().unwrap_or("bad option").to_owned() + &options_hint(options)
    })?;
    let mut paint = Paint {
        style,
        ..base.clone()
    };
    let controls = &mut paint.controls;
    controls.alpha = options.alpha.unwrap_or(controls.alpha);
    controls.preserve_colour = options.preserve_colour.unwrap_or(controls.preserve_colour);
    if let Some(mask) = options.mask {
        controls.mask = Some(rebase(&mask, dir));
    }
    if let Some(spec) = options.mask_style {
        controls.mask_style = Some(rebase_spec(spec, dir));
    }
    if controls.mask_style.is_some() && controls.mask.is_none() {
        return Err("--mask-style needs a --mask".into());
    }
    paint.stability = options.stability.unwrap_or(paint.stability);
    paint.size = options.size.unwrap_or(paint.size);
    paint.detail = options.detail.unwrap_or(paint.detail);
    paint.texture = options.texture.unwrap_or(paint.texture);
    paint.style_size = options.style_size.unwrap_or(paint.style_size);
    Ok(Entry {
        line: number,
        input: rebase(Path::new(input), dir),
        output: rebase(Path::new(output), dir),
        paint,
    })
}

fn options_hint(options: &[&str]) -> String {
    format!(
        " in options {options:?} (one per column: --alpha=A, --preserve-colour, --mask=IMAGE, \
         --mask-style=STYLE, --stability=S, --size=PIXELS, --detail=D, --texture=T, \
         --style-size=PIXELS)"
    )
}

fn rebase(path: &Path, dir: &Path) -> PathBuf {
    match path.is_absolute() {
        true => path.to_owned(),
        false => dir.join(path),
    }
}

fn rebase_spec(spec: StyleSpec, dir: &Path) -> StyleSpec {
    let parts = spec.parts.into_iter().map(|(source, weight)| {
        let source = match source {
            StyleSource::Image(p) => StyleSource::Image(rebase(&p, dir)),
            StyleSource::KernelFile(p) => StyleSource::KernelFile(rebase(&p, dir)),
            preset => preset,
        };
        (source, weight)
    });
    StyleSpec {
        parts: parts.collect(),
    }
}

/// Every output once, none of them an input and each with a container we can write.
fn check_outputs(entries: &[Entry]) -> std::result::Result<(), (usize, String)> {
    let inputs: HashMap<&Path, usize> = entries
        .iter()
        .map(|e| (e.input.as_path(), e.line))
        .collect();
    let mut outputs: HashMap<&Path, usize> = HashMap::new();
    for e in entries {
        if super::pipeline::container(&e.output).is_none() {
            return Err((
                e.line,
                format!(
                    "{}: unknown video format; use .mp4, .mkv or .webm",
                    e.output.display()
                ),
            ));
        }
        if let Some(line) = inputs.get(e.output.as_path()) {
            return Err((
                e.line,
                format!("output {} is the input of line {line}", e.output.display()),
            ));
        }
        if let Some(line) = outputs.insert(&e.output, e.line) {
            return Err((
                e.line,
                format!(
                    "output {} is also the output of line {line}",
                    e.output.display()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StyleControls;

    fn base() -> Paint {
        Paint {
            style: "preset:the-harvest".parse().unwrap(),
            controls: StyleControls::default(),
            stability: 0.0,
            size: 0,
            detail: 0.5,
            texture: 0.0,
            style_size: 256,
        }
    }

    fn parse(text: &str, style: Option<&str>) -> Result<Vec<Entry>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch.tsv");
        std::fs::write(&path, text).unwrap();
        let style: Option<StyleSpec> = style.map(|s| s.parse().unwrap());
        read(&path, &base(), style.as_ref()).map(|entries| {
            let strip = |p: &Path| p.strip_prefix(dir.path()).unwrap_or(p).to_owned();
            entries
                .into_iter()
                .map(|e| Entry {
                    input: strip(&e.input),
                    output: strip(&e.output),
                    ..e
                })
                .collect()
        })
    }

    #[test]
    fn columns_override_the_command_line() {
        let text = "\u{feff}# a comment after a byte-order mark\n\
                    a.mp4\tout/a.mp4\n\
                    \n\
                    /abs/b.mkv\tb.webm\tpreset:the-starry-night\t--alpha=0.5\t--preserve-colour\r\n\
                    c.mp4\tc-painted.mkv\t\t--size=360\t--detail=0\t--texture=1\t--mask=m.png\t--mask-style=preset:x\n";
        let e = parse(text, Some("preset:the-harvest")).unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!((e[0].line, e[1].line, e[2].line), (2, 4, 5));
        assert_eq!(e[0].input, Path::new("a.mp4"));
        assert_eq!(e[0].output, Path::new("out/a.mp4"));
        assert_eq!(e[0].paint.style.to_string(), "preset:the-harvest");
        assert_eq!(e[1].input, Path::new("/abs/b.mkv"));
        assert_eq!(e[1].paint.style.to_string(), "preset:the-starry-night");
        assert_eq!(e[1].paint.controls.alpha, 0.5);
        assert!(e[1].paint.controls.preserve_colour);
        assert!(!e[0].paint.controls.preserve_colour);
        assert_eq!(e[2].paint.style.to_string(), "preset:the-harvest");
        assert_eq!((e[2].paint.size, e[0].paint.size), (360, 0));
        assert_eq!((e[2].paint.detail, e[0].paint.detail), (0.0, 0.5));
        assert_eq!((e[2].paint.texture, e[0].paint.texture), (1.0, 0.0));
        let mask = e[2].paint.controls.mask.as_ref().unwrap();
        assert!(mask.ends_with("m.png") && mask.is_absolute(), "{mask:?}");
    }

    #[test]
    fn bad_manifests_name_the_line() {
        let cases = [
            ("a.mp4\n", "line 1"),
            ("a.mp4\ta.mp4\n", "is the input of line 1"),
            ("a.mp4\tx.mp4\nb.mp4\tx.mp4\n", "also the output of line 1"),
            ("a.mp4\tx.avi\n", "unknown video format"),
            ("a.mp4\tx.mp4\t\t--alpha=2\n", "line 1"),
            ("a.mp4\tx.mp4\t\t--speed=2\n", "--style-size=PIXELS"),
            ("a.mp4\tx.mp4\t\t--mask-style=preset:x\n", "needs a --mask"),
            ("# nothing\n\n", "lists no videos"),
        ];
        for (text, expected) in cases {
            let err = parse(text, Some("preset:x")).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        let err = parse("a.mp4\tb.mp4\n", None).unwrap_err().to_string();
        assert!(err.contains("line 1: no style"), "{err}");
    }
}

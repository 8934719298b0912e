//! Style specifications as users write them: `painting.jpg`, `preset:night-cafe`,
//! `kernels.dinstyle`, or a weighted mix `a.jpg:0.7,preset:harvest:0.3`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::Error;

/// Extension of style kernel files written by `dinstyle encode-style`.
pub const KERNEL_FILE_EXTENSION: &str = "dinstyle";
const PRESET_PREFIX: &str = "preset:";

/// Where one style comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum StyleSource {
    /// An image file, encoded by the model's style encoder (or read from the cache).
    Image(PathBuf),
    /// Kernels encoded earlier (`.dinstyle`), no style encoder needed.
    KernelFile(PathBuf),
    /// One of the bundled presets, by name.
    Preset(String),
}

impl StyleSource {
    fn parse(s: &str) -> StyleSource {
        if let Some(name) = s.strip_prefix(PRESET_PREFIX) {
            return StyleSource::Preset(name.to_owned());
        }
        let path = PathBuf::from(s);
        let is_kernels = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case(KERNEL_FILE_EXTENSION));
        match is_kernels {
            true => StyleSource::KernelFile(path),
            false => StyleSource::Image(path),
        }
    }

    /// A short name for file names and messages (the file stem or the preset name).
    pub fn name(&self) -> String {
        match self {
            StyleSource::Image(p) | StyleSource::KernelFile(p) => p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "style".into()),
            StyleSource::Preset(n) => n.clone(),
        }
    }

    /// The file behind this source, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            StyleSource::Image(p) | StyleSource::KernelFile(p) => Some(p),
            StyleSource::Preset(_) => None,
        }
    }
}

impl fmt::Display for StyleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StyleSource::Image(p) | StyleSource::KernelFile(p) => write!(f, "{}", p.display()),
            StyleSource::Preset(n) => write!(f, "{PRESET_PREFIX}{n}"),
        }
    }
}

/// One or more styles with weights that sum to one.
#[derive(Debug, Clone, PartialEq)]
pub struct StyleSpec {
    pub parts: Vec<(StyleSource, f64)>,
}

impl StyleSpec {
    pub fn single(source: StyleSource) -> Self {
        Self {
            parts: vec![(source, 1.0)],
        }
    }

    /// A short name for result files: the styles' names joined with `+`.
    pub fn name(&self) -> String {
        let names: Vec<String> = self.parts.iter().map(|(s, _)| s.name()).collect();
        names.join("+")
    }
}

impl FromStr for StyleSpec {
    type Err = Error;

    /// `SOURCE[:WEIGHT][,SOURCE[:WEIGHT]...]`; weights default to 1 and are normalised to sum
    /// to one. A string naming an existing file is that one file, commas or not.
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |why: String| Error::InvalidArgument(format!("style '{s}': {why}"));
        if s.trim().is_empty() {
            return Err(bad("empty".into()));
        }
        if Path::new(s).is_file() {
            return Ok(Self::single(StyleSource::parse(s)));
        }
        let mut parts = Vec::new();
        for item in s.split(',').map(str::trim) {
            if item.is_empty() {
                return Err(bad("an empty entry between commas".into()));
            }
            let (source, weight) = match split_weight(item) {
                Some((src, w)) => (src, w),
                None => (item, 1.0),
            };
            if !weight.is_finite() || weight < 0.0 {
                return Err(bad(format!(
                    "weight {weight} of '{source}' must be 0 or more"
                )));
            }
            parts.push((StyleSource::parse(source), weight));
        }
        let total: f64 = parts.iter().map(|(_, w)| w).sum();
        if total <= 0.0 {
            return Err(bad("the weights add up to 0".into()));
        }
        for (_, w) in &mut parts {
            *w /= total;
        }
        Ok(Self { parts })
    }
}

/// `SOURCE:WEIGHT` split at its last colon, when what follows is a number.
fn split_weight(item: &str) -> Option<(&str, f64)> {
    let (src, w) = item.rsplit_once(':')?;
    let (src, w) = (src.trim(), w.trim().parse::<f64>().ok()?);
    (!src.is_empty()).then_some((src, w))
}

fn ends_like_a_weight(source: &str) -> bool {
    split_weight(source).is_some()
}

impl fmt::Display for StyleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (s, w)) in self.parts.iter().enumerate() {
            let sep = if i > 0 { "," } else { "" };
            // A lone source is written without its weight, unless its name ends like one
            // ("shot:2"): then ":1" keeps the name whole when the text is parsed again.
            match self.parts.len() {
                1 if !ends_like_a_weight(&s.to_string()) => write!(f, "{s}")?,
                1 => write!(f, "{s}:1")?,
                _ => write!(f, "{sep}{s}:{w}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> StyleSpec {
        s.parse().unwrap()
    }

    #[test]
    fn printed_specs_parse_back_to_the_same_sources() {
        // found by the style_spec fuzzer: a lone source whose name ends like a weight, and
        // spaces between a name and its weight
        for text in [
            "t:6:0.3",
            "shot:2",
            "a.jpg",
            "a.jpg:1,preset:x:3",
            "x:",
            "\u{13}  :  2 ",
        ] {
            let first = spec(text);
            let again = spec(&first.to_string());
            assert_eq!(again, first, "{text} -> {first}");
        }
    }

    #[test]
    fn single_sources() {
        assert_eq!(
            spec("a.jpg").parts,
            vec![(StyleSource::Image("a.jpg".into()), 1.0)]
        );
        assert_eq!(
            spec("k.DINSTYLE").parts[0].0,
            StyleSource::KernelFile("k.DINSTYLE".into())
        );
        assert_eq!(
            spec("preset:night-cafe").parts[0].0,
            StyleSource::Preset("night-cafe".into())
        );
    }

    #[test]
    fn weighted_mixes_are_normalised() {
        let s = spec("a.jpg:3, preset:harvest:1");
        assert_eq!(s.parts[0], (StyleSource::Image("a.jpg".into()), 0.75));
        assert_eq!(s.parts[1], (StyleSource::Preset("harvest".into()), 0.25));
        assert_eq!(spec("a.jpg,b.jpg").parts[1].1, 0.5);
        assert_eq!(s.name(), "a+harvest");
        assert_eq!(spec(&s.to_string()), s);
    }

    #[test]
    fn bad_specs_are_explained() {
        for (s, why) in [
            ("", "empty"),
            ("a.jpg,,b.jpg", "empty entry"),
            ("a.jpg:-1", "0 or more"),
            ("a.jpg:0,b.jpg:0", "add up to 0"),
            ("a.jpg:inf", "0 or more"),
        ] {
            let err = s.parse::<StyleSpec>().unwrap_err().to_string();
            assert!(err.contains(why), "{s:?}: {err}");
        }
    }

    #[test]
    fn an_existing_file_with_a_comma_is_one_style() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x,y:0.5.png");
        std::fs::write(&path, b"").unwrap();
        let s = spec(path.to_str().unwrap());
        assert_eq!(s.parts, vec![(StyleSource::Image(path), 1.0)]);
    }
}

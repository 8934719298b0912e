//! The record beside a finished output that lets a rerun skip it: the input's hash, the
//! settings' hash and what was written. An output counts as complete only when its sidecar
//! matches the input and settings of now and the file is the size the sidecar says; an output
//! without one (a run killed between the rename and the sidecar) is painted again.

use std::io::Read;
use std::path::{Path, PathBuf};

use dinstyle::{StyleSource, StyleSpec};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Paint;

/// Bumped when the meaning of a field changes: older sidecars then count as absent.
const FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sidecar {
    pub format: u32,
    pub input: PathBuf,
    pub input_sha256: String,
    /// Hash of `settings`.
    pub settings_sha256: String,
    /// Everything that decides the output's pixels and format, in words.
    pub settings: String,
    pub frames: u64,
    pub output_bytes: u64,
    pub seconds: f64,
}

/// What an output must have been made from to count as complete.
#[derive(Debug, Clone)]
pub struct Fingerprint {
    pub input_sha256: String,
    pub settings: String,
}

impl Fingerprint {
    /// Hashes the input and every file the settings read. Errors name the file.
    pub fn of(input: &Path, output: &Path, paint: &Paint, model: &str) -> Result<Self, String> {
        let input_sha256 = file_sha256(input).map_err(|e| format!("cannot read: {e}"))?;
        let c = &paint.controls;
        let mask = match &c.mask {
            Some(mask) => file_sha256(mask).map_err(|e| format!("mask {}: {e}", mask.display()))?,
            None => "none".into(),
        };
        let mask_style = match &c.mask_style {
            Some(spec) => spec_text(spec)?,
            None => "none".into(),
        };
        let settings = format!(
            "dinstyle {}; model {model}; style {}; alpha {}; preserve-colour {}; mask {mask}; \
             mask-style {mask_style}; stability {}; size {}; detail {}; texture {}; \
             style-size {}; container {}",
            env!("CARGO_PKG_VERSION"),
            spec_text(&paint.style)?,
            c.alpha,
            c.preserve_colour,
            paint.stability,
            paint.size,
            paint.detail,
            paint.texture,
            paint.style_size,
            output
                .extension()
                .unwrap_or_default()
                .to_string_lossy()
                .to_ascii_lowercase(),
        );
        Ok(Fingerprint {
            input_sha256,
            settings,
        })
    }

    pub fn settings_sha256(&self) -> String {
        hex(&Sha256::digest(self.settings.as_bytes()))
    }

    /// The sidecar of an output made from this fingerprint.
    pub fn sidecar(&self, input: &Path, frames: u64, output_bytes: u64, seconds: f64) -> Sidecar {
        Sidecar {
            format: FORMAT,
            input: input.to_owned(),
            input_sha256: self.input_sha256.clone(),
            settings_sha256: self.settings_sha256(),
            settings: self.settings.clone(),
            frames,
            output_bytes,
            seconds,
        }
    }
}

/// A style by content: files by their hash (a renamed file is the same style, an edited one
/// is not), presets by name (they are compiled into this version).
fn spec_text(spec: &StyleSpec) -> Result<String, String> {
    let parts = spec.parts.iter().map(|(source, weight)| {
        let what = match source {
            StyleSource::Preset(name) => format!("preset:{name}"),
            StyleSource::Image(p) | StyleSource::KernelFile(p) => {
                let sha = file_sha256(p).map_err(|e| format!("style {}: {e}", p.display()))?;
                format!("file:{sha}")
            }
        };
        Ok(format!("{what}:{weight}"))
    });
    Ok(parts.collect::<Result<Vec<_>, String>>()?.join(","))
}

fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buf)? {
            0 => return Ok(hex(&hasher.finalize())),
            n => hasher.update(&buf[..n]),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where an output's sidecar lives: a hidden file beside it.
pub fn path_of(output: &Path) -> PathBuf {
    let name = output.file_name().unwrap_or_default().to_string_lossy();
    output.with_file_name(format!(".{name}.dinstyle.json"))
}

/// The sidecar of a complete output made from `fingerprint`, if there is one.
pub fn complete(output: &Path, fingerprint: &Fingerprint) -> Option<Sidecar> {
    let text = std::fs::read(path_of(output)).ok()?;
    let sidecar: Sidecar = serde_json::from_slice(&text).ok()?;
    let size = std::fs::metadata(output).ok()?.len();
    let matches = sidecar.format == FORMAT
        && sidecar.input_sha256 == fingerprint.input_sha256
        && sidecar.settings_sha256 == fingerprint.settings_sha256()
        && sidecar.output_bytes == size
        && sidecar.frames > 0;
    matches.then_some(sidecar)
}

/// Writes the sidecar through a temporary file and a rename: it is whole or absent.
pub fn write(output: &Path, sidecar: &Sidecar) -> std::io::Result<()> {
    let path = path_of(output);
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(sidecar).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)
}

/// Removes an output's sidecar (before the output is replaced).
pub fn remove(output: &Path) {
    let _ = std::fs::remove_file(path_of(output));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StyleControls;

    fn paint(style: &str) -> Paint {
        Paint {
            style: style.parse().unwrap(),
            controls: StyleControls::default(),
            stability: 0.0,
            size: 0,
            detail: 0.5,
            texture: 0.0,
            style_size: 256,
        }
    }

    #[test]
    fn complete_only_when_everything_matches() {
        let dir = tempfile::tempdir().unwrap();
        let (input, output, style) = (
            dir.path().join("in.mp4"),
            dir.path().join("out.mp4"),
            dir.path().join("style.png"),
        );
        std::fs::write(&input, b"video").unwrap();
        std::fs::write(&style, b"painting").unwrap();
        std::fs::write(&output, b"painted video").unwrap();
        let p = paint(&style.display().to_string());
        let fp = Fingerprint::of(&input, &output, &p, "model-a").unwrap();
        assert!(complete(&output, &fp).is_none(), "no sidecar yet");
        write(&output, &fp.sidecar(&input, 20, 13, 1.5)).unwrap();
        assert_eq!(complete(&output, &fp).unwrap().frames, 20);

        let changed = [
            Fingerprint::of(&input, &output, &p, "model-b").unwrap(),
            Fingerprint::of(&input, &output.with_extension("mkv"), &p, "model-a").unwrap(),
            Fingerprint::of(
                &input,
                &output,
                &Paint {
                    size: 360,
                    ..p.clone()
                },
                "model-a",
            )
            .unwrap(),
            Fingerprint::of(
                &input,
                &output,
                &Paint {
                    detail: 1.0,
                    ..p.clone()
                },
                "model-a",
            )
            .unwrap(),
            Fingerprint::of(
                &input,
                &output,
                &Paint {
                    texture: 1.0,
                    ..p.clone()
                },
                "model-a",
            )
            .unwrap(),
        ];
        for other in &changed {
            assert!(complete(&output, other).is_none(), "{}", other.settings);
        }
        std::fs::write(&style, b"another painting").unwrap();
        let restyled = Fingerprint::of(&input, &output, &p, "model-a").unwrap();
        assert!(complete(&output, &restyled).is_none(), "style file edited");
        std::fs::write(&style, b"painting").unwrap();

        std::fs::write(&output, b"painted vid").unwrap();
        assert!(complete(&output, &fp).is_none(), "output cut short");
        std::fs::write(&output, b"painted video").unwrap();
        std::fs::write(&input, b"video 2").unwrap();
        let fp2 = Fingerprint::of(&input, &output, &p, "model-a").unwrap();
        assert!(complete(&output, &fp2).is_none(), "input changed");
        std::fs::write(path_of(&output), b"{ torn").unwrap();
        assert!(complete(&output, &fp).is_none(), "torn sidecar");
        assert!(Fingerprint::of(&dir.path().join("gone.mp4"), &output, &p, "m").is_err());
    }
}

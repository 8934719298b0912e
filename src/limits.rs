//! Caps on everything dinstyle reads: it runs inside other people's processes (OBS, a browser,
//! a recorder), and a hostile or broken file must cost an error, never the host's memory.
//!
//! | input | file size | after decoding |
//! |---|---|---|
//! | images (styles, photos, masks) | 4 bytes per allowed pixel, at least 64 MiB | `max_pixels()` pixels |
//! | style kernel files (`.dinstyle`, cache entries) | [`MAX_KERNEL_FILE_BYTES`] | header [`MAX_HEADER_BYTES`] |
//! | model files | [`MAX_MODEL_FILE_BYTES`] | header [`MAX_HEADER_BYTES`] |
//!
//! `DINSTYLE_MAX_PIXELS` raises or lowers the pixel cap (and the image file cap with it).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::{Error, Result};

/// Pixels an image may have unless `DINSTYLE_MAX_PIXELS` says otherwise: 100 megapixels,
/// more than any camera photo or painting scan a user paints with.
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;
/// The environment variable that overrides [`DEFAULT_MAX_PIXELS`].
pub const MAX_PIXELS_VAR: &str = "DINSTYLE_MAX_PIXELS";
/// Style kernel files: a few hundred kilobytes for every model dinstyle ships.
pub const MAX_KERNEL_FILE_BYTES: u64 = 16 << 20;
/// Model files: the shipped one is 5 MB.
pub const MAX_MODEL_FILE_BYTES: u64 = 512 << 20;
/// The JSON header of a safetensors file (kernels, models): a few kilobytes in ours.
pub const MAX_HEADER_BYTES: u64 = 1 << 20;

/// The pixel cap in force: `DINSTYLE_MAX_PIXELS` when it is a positive number, else the default.
pub fn max_pixels() -> u64 {
    std::env::var(MAX_PIXELS_VAR)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse::<u64>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_MAX_PIXELS)
}

/// The size an image file may have: 4 bytes per allowed pixel (an uncompressed RGBA image),
/// at least 64 MiB.
pub fn max_image_file_bytes() -> u64 {
    max_pixels().saturating_mul(4).max(64 << 20)
}

/// Reads a whole file of at most `max_bytes`, without ever holding more than that: a regular
/// file is checked by its size first, anything else (a pipe, `/dev/zero`) is read through a
/// bounded reader. `head_check` sees the first [`HEAD_BYTES`] (fewer if the file is shorter)
/// before the rest is read, so that a stream of the wrong kind fails at once. `what` names the
/// file's role in errors ("style image").
pub fn read_file(
    path: &Path,
    what: &'static str,
    max_bytes: u64,
    head_check: impl Fn(&[u8]) -> Result<()>,
) -> Result<Vec<u8>> {
    let io = |source| Error::Io {
        what,
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::other("it is a directory")));
    }
    if meta.is_file() && meta.len() > max_bytes {
        return Err(too_large(what, path, max_bytes));
    }
    let mut bytes = Vec::with_capacity(if meta.is_file() {
        meta.len() as usize
    } else {
        0
    });
    (&mut file)
        .take(HEAD_BYTES)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    head_check(&bytes)?;
    file.take((max_bytes + 1).saturating_sub(bytes.len() as u64))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(what, path, max_bytes));
    }
    Ok(bytes)
}

/// What [`read_file`]'s head check sees.
pub const HEAD_BYTES: u64 = 64;

/// A head check that accepts anything.
pub fn any_head(_: &[u8]) -> Result<()> {
    Ok(())
}

/// What is wrong with a safetensors file's first bytes, if anything: a header length over
/// [`MAX_HEADER_BYTES`], or no JSON object where the header starts. The reason to refuse the
/// file before reading the rest (`/dev/zero` fails here).
pub fn safetensors_head_problem(head: &[u8]) -> Option<String> {
    let len = u64::from_le_bytes(head.get(..8)?.try_into().ok()?);
    if len > MAX_HEADER_BYTES {
        return Some(format!(
            "its header declares {}, over the limit of {}",
            human_bytes(len),
            human_bytes(MAX_HEADER_BYTES)
        ));
    }
    match head.get(8) {
        Some(b'{') => None,
        Some(_) => Some("it is not a safetensors file (no JSON header)".into()),
        None => (len > 0).then(|| "it is truncated inside its header".into()),
    }
}

fn too_large(what: &'static str, path: &Path, max_bytes: u64) -> Error {
    Error::Limit {
        what,
        path: path.to_owned(),
        reason: format!(
            "is larger than {}, the limit for a {what}",
            human_bytes(max_bytes)
        ),
    }
}

/// The pixel check of a decoded image's declared size, before anything is allocated for it.
pub fn check_pixels(what: &'static str, path: &Path, (w, h): (u32, u32)) -> Result<()> {
    let pixels = w as u64 * h as u64;
    let max = max_pixels();
    if pixels > max {
        return Err(Error::Limit {
            what,
            path: path.to_owned(),
            reason: format!(
                "is {w}x{h} ({:.0} megapixels), over the limit of {} megapixels \
                 (raise it with {MAX_PIXELS_VAR}=PIXELS)",
                pixels as f64 / 1e6,
                max as f64 / 1e6
            ),
        });
    }
    Ok(())
}

/// The length of a safetensors file's JSON header, checked against [`MAX_HEADER_BYTES`] and
/// the file's size; `Err` carries the reason for the user.
pub fn check_safetensors_header(bytes: &[u8]) -> std::result::Result<(), String> {
    let Some(len) = bytes.get(..8) else {
        return Err(format!("it is only {} bytes long", bytes.len()));
    };
    if let Some(reason) = safetensors_head_problem(bytes) {
        return Err(reason);
    }
    let len = u64::from_le_bytes(len.try_into().expect("8 bytes"));
    if len > bytes.len() as u64 - 8 {
        return Err(format!(
            "it is truncated: the header declares {len} bytes, the file holds {}",
            bytes.len() - 8
        ));
    }
    Ok(())
}

/// `n` bytes for people: "16 MiB", "400 MB".
pub fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1_000_000 => format!("{:.0} MB", n as f64 / 1e6),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_read_stops_at_the_cap_of_an_endless_file() {
        let err = read_file(Path::new("/dev/zero"), "style image", 1 << 20, any_head).unwrap_err();
        assert!(matches!(err, Error::Limit { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("/dev/zero") && msg.contains("1 MiB"), "{msg}");
    }

    #[test]
    fn a_regular_file_over_the_cap_is_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.png");
        std::fs::write(&path, vec![0u8; 2048]).unwrap();
        assert!(read_file(&path, "style image", 2048, any_head).is_ok());
        let err = read_file(&path, "style image", 2047, any_head).unwrap_err();
        assert!(err.to_string().contains("big.png"), "{err}");
        assert!(read_file(dir.path(), "style image", 2047, any_head)
            .unwrap_err()
            .to_string()
            .contains("directory"));
    }

    #[test]
    fn pixel_cap_names_the_size_and_the_override() {
        let err = check_pixels("photo", Path::new("p.png"), (40000, 40000)).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("40000x40000") && msg.contains(MAX_PIXELS_VAR),
            "{msg}"
        );
        assert!(check_pixels("photo", Path::new("p.png"), (10000, 10000)).is_ok());
    }

    #[test]
    fn safetensors_header_is_checked_before_parsing() {
        let mut bytes = (2u64 << 20).to_le_bytes().to_vec();
        bytes.extend_from_slice(b"{}");
        assert!(check_safetensors_header(&bytes)
            .unwrap_err()
            .contains("limit"));
        let mut bytes = 100u64.to_le_bytes().to_vec();
        bytes.extend_from_slice(b"{}");
        assert!(check_safetensors_header(&bytes)
            .unwrap_err()
            .contains("truncated"));
        assert!(check_safetensors_header(b"abc").is_err());
        let mut bytes = 2u64.to_le_bytes().to_vec();
        bytes.extend_from_slice(b"{}");
        assert!(check_safetensors_header(&bytes).is_ok());
    }
}

//! Errors a user can act on: which file, what is wrong with it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {what} '{}': {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what} '{}' is not an image dinstyle can read: {reason}", path.display())]
    BadImage {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    /// An input over one of the caps of [`crate::limits`].
    #[error("{what} '{}' {reason}", path.display())]
    Limit {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("cannot write '{}': {reason}", path.display())]
    Write { path: PathBuf, reason: String },
    #[error("model {source_name} does not match this dinstyle: {reason}")]
    Model { source_name: String, reason: String },
    #[error("style kernels {source_name} cannot be used: {reason}")]
    Kernels { source_name: String, reason: String },
    #[error("device {0}")]
    Device(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("inference failed: {0}")]
    Compute(#[from] candle_core::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

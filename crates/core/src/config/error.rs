//! Errors found while reading and resolving configuration.

use std::path::PathBuf;

/// A configuration file or value bakeoff cannot use.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("invalid config {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid config {source_name}{}: {key}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Value {
        source_name: String,
        line: Option<usize>,
        key: String,
        message: String,
    },
}

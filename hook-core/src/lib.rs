//! The light half of maturin-hook: everything an import of a hooked package may need when no
//! full build is due, without the maturin crate.
//!
//! The pipeline every front end runs is check → decide → build → install → record. This
//! crate holds the part an import runs on its own, and the decision every front end shares:
//!
//! - [`request`]: what a front end asks for, where its build record lives, and its key;
//! - [`record`]: what a build recorded, and the check of its inputs against the file system;
//! - [`decision`]: the one decision (up to date, take over an editable install's build, replay
//!   cargo, or a full develop) and why;
//! - [`outcome`]: what the pipeline did, in one vocabulary for every front end;
//! - [`pipeline`]: the import's pipeline: decide, lock, decide again, replay or hand over;
//! - [`adopt`]: the builds of editable installs, which the decision takes over;
//! - [`store`]: the store of built extensions, whose builds the decision restores;
//! - [`replay`]: running the recorded cargo commands and installing their artifacts;
//! - [`report`]: the [`report::Reporter`] every front end implements (the library never prints);
//! - [`fingerprint`]: per-file stamps and hashes, cargo's dep-info;
//! - [`lock`]: one build of a project at a time;
//! - [`last_failure`]: the last failed build of a project, for `status`;
//! - [`build_environment`]: the environment variables a build depends on;
//! - [`cache_location`]: where the build cache is;
//! - [`dist_info`], [`project_discovery`]: which local projects an import could mean;
//! - [`atomic_write`]: the one way a file is replaced;
//! - [`trust`]: which files the hook believes, and its private directories;
//! - [`quick_check`]: the last "up to date" as plain data, which an import checks in Python;
//! - [`settings`]: the import hook's maturin settings, their grammar and spelling, in one table;
//! - [`python_literal`]: Python string literals, written and read back;
//! - `python` (feature `python`): what the runtime's two pyo3 modules share.
//!
//! `maturin_import_hook._fast` links only this crate, so an up-to-date import loads a small
//! library; `maturin-hook` (the CLI and `_native`) builds on it for full builds.

pub mod adopt;
pub mod atomic_write;
pub mod build_environment;
pub mod cache_location;
pub mod decision;
pub mod dist_info;
pub mod fingerprint;
pub mod interrupt;
pub mod last_failure;
pub mod lock;
pub mod outcome;
pub mod pipeline;
pub mod project_discovery;
#[cfg(feature = "python")]
pub mod python;
pub mod python_literal;
pub mod quick_check;
pub mod record;
pub mod replay;
pub mod report;
pub mod request;
pub mod settings;
pub mod store;
pub mod trust;

use anyhow::{Context, Result};
use serde::Serialize;
use std::path::Path;

/// How long ago `at` (seconds since the Unix epoch) was, for a person: `just now`, `3 min
/// ago`, `2 h ago`, `4 days ago`.
pub fn time_ago(at: u64) -> String {
    let age = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|now| now.as_secs().saturating_sub(at))
        .unwrap_or_default();
    match age {
        0..60 => "just now".to_string(),
        60..3600 => format!("{} min ago", age / 60),
        3600..86400 => format!("{} h ago", age / 3600),
        _ => format!("{} days ago", age / 86400),
    }
}

/// The first 16 hex digits of the sha256 of `bytes`: names of cache entries.
pub fn short_hash(bytes: &[u8]) -> String {
    let mut hash = fingerprint::sha256_hex(bytes);
    hash.truncate(16);
    hash
}

/// Writes `value` as JSON to `path` (see [`atomic_write`]), private to the user, creating its
/// directory.
pub fn write_json_atomically<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let dir = path.parent().context("cache file without a directory")?;
    trust::create_private_dir(dir)
        .with_context(|| format!("cannot create the build cache directory {}", dir.display()))?;
    let json = serde_json::to_vec(value)?;
    let options = atomic_write::Options {
        permissions: trust::PRIVATE_FILE,
        sync: false,
    };
    atomic_write::write(path, &json, options)
        .with_context(|| format!("cannot write {}", path.display()))
}

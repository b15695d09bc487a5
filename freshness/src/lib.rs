//! The light half of maturin-hook: everything an import of a hooked package may need when no
//! full build is due, without the maturin crate.
//!
//! - [`state`]: what a develop recorded about its build, and the freshness check against it;
//! - [`fingerprint`]: per-file stamps and hashes;
//! - [`quick_rebuild`]: replaying the recorded cargo command after a Rust-only change and
//!   putting the new artifact in place;
//! - [`lock`]: one build of a project at a time;
//! - [`build_environment`]: the environment variables a build depends on;
//! - [`cache_location`]: where the build cache and each build's state are;
//! - [`dist_info`]: installed distributions that link to a local project;
//! - [`project_discovery`]: which directory holds a maturin project, and its import name.
//!
//! `maturin_import_hook._fast` links only this crate, so an up-to-date import loads a small
//! library; `maturin-hook` (the CLI and `_native`) builds on it for full builds.

pub mod build_environment;
pub mod cache_location;
pub mod dist_info;
pub mod fingerprint;
pub mod lock;
pub mod project_discovery;
pub mod quick_rebuild;
pub mod state;

use anyhow::{Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// The first 16 hex digits of the sha256 of `bytes`: names of cache entries.
pub fn short_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `value` as JSON to `path` atomically (a temporary file renamed into place), so a
/// reader never sees half a file, even when the writer is killed.
pub fn write_json_atomically<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let dir = path.parent().context("cache file without a directory")?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the build cache directory {}", dir.display()))?;
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write to the build cache at {}", dir.display()))?;
    serde_json::to_writer(&mut file, value)?;
    file.flush()?;
    file.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

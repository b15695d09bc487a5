//! `maturin sdist`

use anyhow::{Context, Result};
use maturin::{BuildOptions, BuildOrchestrator, CargoOptions, OutputOptions};
use std::path::{Path, PathBuf};

pub fn sdist(manifest_path: Option<PathBuf>, out: Option<PathBuf>) -> Result<()> {
    // Optional path dependencies only end up in the sdist when their features are on.
    let all_features = has_local_path_dependencies(manifest_path.as_deref());
    write_sdist(manifest_path, out, all_features)?;
    Ok(())
}

/// Builds the project's source distribution into `out` (default: target/wheels) and
/// returns its path.
pub fn write_sdist(
    manifest_path: Option<PathBuf>,
    out: Option<PathBuf>,
    all_features: bool,
) -> Result<PathBuf> {
    let options = BuildOptions {
        output: OutputOptions {
            out,
            ..Default::default()
        },
        cargo: CargoOptions {
            manifest_path,
            all_features,
            ..Default::default()
        },
        ..Default::default()
    };
    let context = options
        .into_build_context()
        .strip(Some(false))
        .editable(false)
        .sdist_only(true)
        .build()?;
    let sdist = BuildOrchestrator::new(&context)
        .build_source_distribution()?
        .context("Failed to build source distribution, pyproject.toml not found")?;
    Ok(sdist.path)
}

/// Whether the crate depends on crates by local path. When cargo metadata cannot be read the
/// answer is no: the build context reports the real problem right after.
fn has_local_path_dependencies(manifest_path: Option<&Path>) -> bool {
    cargo_metadata::MetadataCommand::new()
        .manifest_path(manifest_path.unwrap_or(Path::new("Cargo.toml")))
        .verbose(true)
        .exec()
        .ok()
        .and_then(|metadata| maturin::find_path_deps(&metadata).ok())
        .is_some_and(|deps| !deps.is_empty())
}

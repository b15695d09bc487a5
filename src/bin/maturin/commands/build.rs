//! `maturin build`, and the sdist round trip that `build --sdist` and `publish` share.

use anyhow::{Context, Result};
use maturin::{BuildContext, BuildOptions, BuildOrchestrator};
use std::path::PathBuf;

/// `maturin build`
pub fn build(
    mut options: BuildOptions,
    release: bool,
    strip: Option<bool>,
    from_sdist: bool,
    pgo: bool,
) -> Result<()> {
    if release {
        options.cargo.profile = Some("release".to_string());
    }
    let unpacked = if from_sdist {
        Some(build_from_own_sdist(&mut options, strip)?)
    } else {
        None
    };
    let context = wheel_build_context(options, strip, unpacked.as_ref(), pgo)?;
    let wheels = BuildOrchestrator::new(&context).build_wheels()?;
    anyhow::ensure!(!wheels.is_empty(), "No wheels were built");
    Ok(())
}

/// The context of a (non-editable) wheel build, from the unpacked sdist when there is one.
pub fn wheel_build_context(
    options: BuildOptions,
    strip: Option<bool>,
    unpacked: Option<&UnpackedOwnSdist>,
    pgo: bool,
) -> Result<BuildContext> {
    options
        .into_build_context()
        .strip(strip)
        .editable(false)
        .pyproject_toml_path(unpacked.map(|u| u.pyproject_toml.clone()))
        .pgo(pgo)
        .build()
}

/// An sdist built from the project and unpacked into a temporary directory, which lives as
/// long as this value does.
pub struct UnpackedOwnSdist {
    pub sdist_path: PathBuf,
    pub pyproject_toml: PathBuf,
    _unpacked: maturin::UnpackedSdist,
}

/// Builds the project's sdist, unpacks it and points `options` at the unpacked sources, so
/// that the wheels prove the sdist is complete. Wheels still go where they would have gone.
pub fn build_from_own_sdist(
    options: &mut BuildOptions,
    strip: Option<bool>,
) -> Result<UnpackedOwnSdist> {
    let sdist_context = options
        .clone()
        .into_build_context()
        .strip(strip)
        .editable(false)
        .sdist_only(true)
        .build()?;
    let sdist_path = BuildOrchestrator::new(&sdist_context)
        .build_source_distribution()?
        .context("Failed to build source distribution, pyproject.toml not found")?
        .path;
    if options.output.out.is_none() {
        options.output.out = sdist_path.parent().map(PathBuf::from);
    }
    let unpacked = maturin::unpack_sdist(&sdist_path)?;
    let unpacked_dir = unpacked
        .cargo_toml
        .parent()
        .context("unpacked Cargo.toml has no parent directory")?;
    eprintln!(
        "📦 Building wheels from source distribution at {}",
        unpacked_dir.display()
    );
    options.cargo.manifest_path = Some(unpacked.cargo_toml.clone());
    Ok(UnpackedOwnSdist {
        sdist_path,
        pyproject_toml: unpacked.pyproject_toml.clone(),
        _unpacked: unpacked,
    })
}

//! Editable installs that carry the import hook: `pip install -e .`, `uv pip install -e .` and
//! `uv sync` through this maturin's PEP 517 backend with `import-hook` on. The backend's
//! `maturin pep517 build-wheel --editable --with-hook` builds the editable wheel as always,
//! then adds the hook's `.pth` to it (the frontend installs it, and uninstalls it, with the
//! project) and records the build, for the first import to take over instead of building
//! again (`maturin_hook_freshness::adopt`). The hook then rebuilds with the settings of that
//! build (see `build_options::develop_options`).

use super::capture;
use super::cargo_commands;
use super::install::top_level_modules;
use super::settings::{self, Fingerprinted};
use crate::build_options::{develop_options, BuildWheelOptions};
use crate::hook;
use crate::wheel_install::{self, layout::Wheel};
use anyhow::{bail, Context, Result};
use maturin::{BuildContext, BuildOrchestrator, BuiltWheel};
use maturin_hook_freshness::adopt::EditableBuild;
use maturin_hook_freshness::fingerprint::{self, sha256_file};
use maturin_hook_freshness::request::BuildRequest;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Builds the editable wheel of `context` (built as `options`, which `args` spell) with the
/// import hook in it, and records the build.
pub fn build_wheel(
    context: &BuildContext,
    options: &BuildWheelOptions,
    args: &[String],
) -> Result<BuiltWheel> {
    let manifest_path = hook::canonical_manifest(&context.project.manifest_path);
    let record_path = context
        .project
        .target_dir
        .join("maturin-hook")
        .join(format!(
            "editable-{}.json",
            maturin_hook_freshness::short_hash(manifest_path.as_os_str().as_encoded_bytes())
        ));
    let record_dir = record_path.parent().expect("a file in a directory");
    std::fs::create_dir_all(record_dir)
        .with_context(|| format!("cannot create {}", record_dir.display()))?;
    let build_started_ns = fingerprint::filesystem_now(record_dir)?;
    let (wheels, commands) =
        cargo_commands::capture(|| BuildOrchestrator::new(context).build_wheels());
    let wheel = match wheels?.into_iter().collect::<Vec<_>>().as_slice() {
        [wheel] => wheel.clone(),
        other => bail!("expected exactly one editable wheel, got {}", other.len()),
    };
    let cwd = std::env::current_dir().context("Failed to detect the current directory")?;
    let request = BuildRequest::Editable {
        args: args.to_vec(),
        cwd: cwd.clone(),
        manifest_path: manifest_path.clone(),
        adopt: record_path.clone(),
    };
    let (pth_name, pth) = hook::pth_file(
        &context.project.metadata24.get_distribution_escaped(),
        &top_level_modules(context),
        &request,
    )?;
    // one rewrite of the wheel: maturin's own `.pth` made ASCII, and the hook's added
    let mut root_files = wheel_install::ascii_pth_files(&wheel.path)?;
    root_files.push((pth_name, pth));
    wheel_install::put_root_files(&wheel.path, &root_files)?;

    let mut develop = develop_options(options);
    develop.cargo_options.manifest_path = Some(manifest_path);
    let python = built_for(options)?;
    let settings = settings::fingerprint(&Fingerprinted {
        options: &develop,
        python: &python,
        with_hook: true,
        release_by_default: true,
        extra_inputs: &[],
    });
    let record = capture::capture(capture::Build {
        context,
        settings,
        environment: Path::new(""),
        build_started_ns,
        cargo_commands: &commands,
        cargo_in_directory: None,
        // installed by the frontend: the record learns its files when an import takes it over
        installation: None,
        extra_inputs: &[],
        cargo_dir: &cwd,
    })?;
    let artifacts = record
        .replay
        .iter()
        .flat_map(|plan| &plan.steps)
        .map(|step| sha256_file(&step.artifact))
        .collect::<std::io::Result<Vec<_>>>()
        .context("cannot read the built artifact")?;
    let built = Wheel::read(&wheel.path)?;
    let root_files = built
        .files
        .iter()
        .filter(|file| {
            !file.name.starts_with(&format!("{}/", built.dist_info))
                && !file.name.starts_with(&format!("{}/", built.data_dir))
        })
        .map(|file| (file.name.clone(), hex_sha256(&file.content)))
        .collect();
    EditableBuild {
        record,
        dist_info: built.dist_info,
        root_files,
        artifacts,
    }
    .save(&record_path)?;
    Ok(wheel)
}

/// The interpreter `options` build for (the backend names it).
fn built_for(options: &BuildWheelOptions) -> Result<PathBuf> {
    match options.build_options.python.interpreter.as_slice() {
        [python] => Ok(python.clone()),
        _ => bail!("an editable build with the import hook needs exactly one --interpreter"),
    }
}

fn hex_sha256(content: &[u8]) -> String {
    Sha256::digest(content)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

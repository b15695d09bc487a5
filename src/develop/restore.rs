//! A full develop that the store of built extensions spares (see `maturin_hook_core::store`):
//! where the project was never built (a fresh clone, a second worktree), or a manifest change
//! goes back to a state built before, the stored editable wheel of a build of the sources as
//! they are now is installed, with the files that build wrote into the project. No cargo runs
//! and maturin does not resolve the project (that needs `cargo metadata`), so this works on a
//! machine without a Rust toolchain. Nothing from the store is run: the wheel's `.pth` files
//! are rewritten to name this project, every file is verified by hash, and the record of this
//! install has no cargo commands to replay (the next Rust edit is a full develop).

use super::full_build::Context;
use super::install::{self, EnvironmentInstall, ProjectInstall};
use super::{dependencies, DevelopRequest};
use crate::environment::environment_python;
use crate::wheel_install;
use anyhow::{Context as _, Result};
use maturin_hook_core::atomic_write;
use maturin_hook_core::fingerprint::{self, InputRecord};
use maturin_hook_core::outcome::{Action, Outcome};
use maturin_hook_core::record::{BuildRecord, NewRecord};
use maturin_hook_core::report::Reporter;
use maturin_hook_core::store::{Category, Found, StoredInstall};
use pep508_rs::Requirement;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Installs the stored build `found` (whose entry has an install) into the request's
/// environment, and records it.
pub fn from_store(
    request: &DevelopRequest,
    found: &Found,
    stored: &StoredInstall,
    context: Context<'_>,
    reason: String,
    reporter: &dyn Reporter,
) -> Result<Outcome> {
    let store = context.store.expect("a restore comes from a store");
    let started = std::time::Instant::now();
    let root = &found.root;
    let project_dir = root.join(&found.entry.project);
    let build_started_ns = fingerprint::filesystem_now(context.state_dir)?;

    // the stored files, verified, before anything is in place
    let mut staged = Vec::new();
    for file in &stored.project_files {
        let blob = store.verified_blob(&file.sha256)?;
        let destination = root.join(&file.name);
        staged.push((
            destination.clone(),
            atomic_write::stage_copy(&blob, &destination)?,
        ));
    }
    let wheel_dir = context.state_dir.join("wheels");
    maturin_hook_core::trust::create_private_dir(&wheel_dir)
        .with_context(|| format!("cannot create {}", wheel_dir.display()))?;
    let wheel = wheel_dir.join(&stored.wheel.name);
    std::fs::copy(store.verified_blob(&stored.wheel.sha256)?, &wheel)
        .with_context(|| format!("cannot write {}", wheel.display()))?;
    let relocated =
        wheel_install::relocated_pth_files(&wheel, &stored.root, &root.to_string_lossy())?;
    let mut replaced = relocated;
    for file in &stored.replaced {
        let blob = store.verified_blob(&file.sha256)?;
        let content =
            std::fs::read(&blob).with_context(|| format!("cannot read {}", blob.display()))?;
        replaced.push((file.name.clone(), content));
    }
    if !replaced.is_empty() {
        wheel_install::put_files(&wheel, &replaced)?;
    }
    let mut project_files = Vec::new();
    for (destination, new) in staged {
        new.commit()
            .with_context(|| format!("cannot write {}", destination.display()))?;
        project_files.push(destination);
    }

    let requires_dist = requires_dist(&wheel)?;
    let pyproject_path = project_dir.join("pyproject.toml");
    let pyproject = maturin::PyProjectToml::new(&pyproject_path).ok();
    // as maturin finds it: `-m`, else `[tool.maturin] manifest-path` (a `rust/` crate), else
    // the project directory's
    let manifest_path = request
        .options
        .cargo_options
        .manifest_path
        .clone()
        .or_else(|| {
            let declared = pyproject.as_ref()?.manifest_path()?;
            Some(project_dir.join(declared))
        })
        .unwrap_or_else(|| project_dir.join("Cargo.toml"));
    let project = ProjectInstall {
        name: &stored.name,
        version: stored.version.clone(),
        distribution: wheel_distribution(&stored.wheel.name),
        modules: stored.modules.clone(),
        manifest_path: &manifest_path,
        project_dir: &project_dir,
        declared: dependencies::Declared {
            requires_dist: &requires_dist,
            pyproject: pyproject.as_ref(),
            pyproject_path: &pyproject_path,
        },
    };
    let installation = install::into_environment(
        &project,
        EnvironmentInstall {
            root: &request.environment,
            python: &environment_python(&request.environment),
            cache: context.cache,
            options: &request.options,
            hook: request.hook.as_ref(),
        },
        reporter,
        || Ok((vec![wheel.clone()], Vec::new())),
    )?;

    let inputs = |category: Category| -> Result<Vec<InputRecord>> {
        found
            .entry
            .inputs
            .iter()
            .filter(|input| input.category == category)
            .map(|input| InputRecord::read(&root.join(&input.path)))
            .collect()
    };
    let read_all = |paths: &[PathBuf]| -> Result<Vec<InputRecord>> {
        paths.iter().map(|path| InputRecord::read(path)).collect()
    };
    let mut outputs = installation.import_files.clone();
    outputs.extend(project_files);
    let mut record = BuildRecord::new(NewRecord {
        settings: context.settings,
        environment: request.environment.clone(),
        name: stored.name.clone(),
        version: stored.version.clone(),
        project_dir,
        modules: stored.modules.clone(),
        build_started_ns,
        sources: inputs(Category::Source)?,
        manifests: inputs(Category::Manifest)?,
        packaged: inputs(Category::Packaged)?,
        outputs: read_all(&outputs)?,
        installed_extras: read_all(&installation.other_files)?,
        replay: None,
    });
    record.store_shelf = Some(context.store_shelf.to_string());
    record.stored_install = Some(stored.clone());
    record.learn(context.known);
    for known in &installation.extra_requests {
        record.learn(Some(known));
    }
    record.save(context.state_dir)?;
    store.mark_used(found);
    let mut outcome = Outcome::of_record(Action::Restored, &record).because(reason);
    outcome.source = Some(found.entry.built.describe());
    outcome.written = installation.written;
    outcome.timings.install = started.elapsed();
    Ok(outcome)
}

/// The `Requires-Dist` of the wheel's METADATA.
fn requires_dist(wheel: &Path) -> Result<Vec<Requirement>> {
    let read = wheel_install::layout::Wheel::read(wheel)?;
    let metadata_name = format!("{}/METADATA", read.dist_info);
    let Some(metadata) = read.files.iter().find(|file| file.name == metadata_name) else {
        return Ok(Vec::new());
    };
    String::from_utf8_lossy(&metadata.content)
        .lines()
        .filter_map(|line| line.strip_prefix("Requires-Dist:"))
        .map(|requirement| {
            Requirement::from_str(requirement.trim()).with_context(|| {
                format!(
                    "the stored wheel {} requires `{requirement}`",
                    wheel.display()
                )
            })
        })
        .collect()
}

/// The distribution part of a wheel's file name (`pyo3_pure` of
/// `pyo3_pure-0.1.0-cp311-cp311-linux_x86_64.whl`).
fn wheel_distribution(file_name: &str) -> String {
    file_name.split('-').next().unwrap_or(file_name).to_string()
}

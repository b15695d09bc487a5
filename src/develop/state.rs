//! Recording a full build: the inputs maturin's build read (from cargo's dep-info and the
//! project's manifests), the files it installed and the plan to replay its cargo commands,
//! as a [`DevelopState`] of the light crate, which checks it later.

use super::build_plan;
use crate::fingerprint::{self, InputRecord};
use anyhow::Result;
use maturin::BuildContext;
pub use maturin_hook_freshness::state::{DevelopState, Scope, Verdict};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Records the build that `context` just made (cargo ran `cargo_commands`) and the files
/// installed from it; `extra_inputs` are checked like the manifests.
pub fn capture(
    context: &BuildContext,
    settings: String,
    build_started_ns: i128,
    cargo_commands: &[String],
    installed_files: Vec<PathBuf>,
    extra_inputs: &[PathBuf],
) -> Result<DevelopState> {
    let dep_info = dep_info_files(context);
    let mut excluded_roots = immutable_roots();
    excluded_roots.push(context.project.target_dir.clone());
    let record = |paths: &BTreeSet<PathBuf>| {
        paths
            .iter()
            .map(|path| InputRecord::capture_after_build(path, build_started_ns))
            .collect::<Result<Vec<_>>>()
    };
    let sources = record(&fingerprint::inputs_from_dep_info(
        &dep_info,
        &excluded_roots,
    )?)?;
    let lock_file = context
        .project
        .cargo_metadata
        .workspace_root
        .join("Cargo.lock")
        .into_std_path_buf();
    let mut manifests = manifests(context);
    manifests.extend(extra_inputs.iter().cloned());
    let manifests = manifests
        .iter()
        .map(|path| {
            if *path == lock_file {
                // cargo writes Cargo.lock itself (a new project's, or after a manifest change)
                // while maturin resolves the project, and builds with what it wrote: that is
                // no change that happened behind the build's back.
                InputRecord::capture(path)
            } else {
                InputRecord::capture_after_build(path, build_started_ns)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let outputs: Vec<PathBuf> = installed_files
        .into_iter()
        .chain(in_source_extension(context))
        .collect();
    let quick_rebuild =
        build_plan::plan(context, cargo_commands, &outputs, dep_info, excluded_roots);
    let outputs = outputs
        .iter()
        .map(|path| InputRecord::stamp_only(path))
        .collect::<Result<Vec<_>>>()?;
    Ok(DevelopState::new(
        settings,
        context.project.metadata24.name.clone(),
        context.project.metadata24.version.to_string(),
        build_started_ns,
        sources,
        manifests,
        outputs,
        quick_rebuild,
    ))
}

/// cargo's dep-info file of each compiled target: everything the compiler read for it (its
/// sources, path dependencies and workspace members, `include_str!` files, build scripts and
/// their rerun-if-changed files).
fn dep_info_files(context: &BuildContext) -> Vec<PathBuf> {
    let profile_dir = profile_dir(context);
    context
        .project
        .compile_targets
        .iter()
        .map(|target| {
            let file_stem = if target.is_bin() {
                target.name.clone()
            } else {
                format!("lib{}", target.name.replace('-', "_"))
            };
            profile_dir.join(format!("{file_stem}.d"))
        })
        .collect()
}

/// Every local Cargo.toml, Cargo.lock, pyproject.toml, and the cargo configuration and
/// toolchain files that could apply, present or not.
fn manifests(context: &BuildContext) -> BTreeSet<PathBuf> {
    let project = &context.project;
    let metadata = &project.cargo_metadata;
    let mut manifests: BTreeSet<PathBuf> = metadata
        .packages
        .iter()
        .filter(|package| package.source.is_none())
        .map(|package| package.manifest_path.clone().into_std_path_buf())
        .collect();
    manifests.insert(
        metadata
            .workspace_root
            .join("Cargo.lock")
            .into_std_path_buf(),
    );
    manifests.insert(project.pyproject_toml_path.clone());
    for dir in project.project_layout.project_root.ancestors() {
        for name in [
            ".cargo/config.toml",
            ".cargo/config",
            "rust-toolchain.toml",
            "rust-toolchain",
        ] {
            manifests.insert(dir.join(name));
        }
    }
    if let Some(cargo_home) = cargo_home() {
        manifests.insert(cargo_home.join("config.toml"));
    }
    manifests
}

/// Where cargo writes the artifacts of this build's profile.
pub(super) fn profile_dir(context: &BuildContext) -> PathBuf {
    let options = &context.project.cargo_options;
    let profile = match options.profile.as_deref() {
        None | Some("dev") | Some("test") => "debug",
        Some("bench") => "release",
        Some(other) => other,
    };
    let mut dir = context.project.target_dir.clone();
    if let Some(maturin::TargetTriple::Regular(triple)) = &options.target {
        dir.push(triple);
    }
    dir.join(profile)
}

/// Registry sources and toolchains never change in place (a new version is a new path).
fn immutable_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(cargo_home) = cargo_home() {
        roots.push(cargo_home.join("registry"));
        roots.push(cargo_home.join("git"));
    }
    if let Some(rustup_home) = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|home| home.join(".rustup")))
    {
        roots.push(rustup_home);
    }
    roots
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|home| home.join(".cargo")))
}

/// A mixed project's editable install imports the extension that maturin copies into the
/// Python source tree.
fn in_source_extension(context: &BuildContext) -> Option<PathBuf> {
    let layout = &context.project.project_layout;
    let interpreter = context.python.interpreter.first()?;
    let module = layout.python_module.as_ref()?;
    let path = module.join(interpreter.get_library_name(&layout.extension_name));
    path.is_file().then_some(path)
}

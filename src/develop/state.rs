//! What a develop remembers about its build: the settings, every input the build read and
//! every file it installed, so the next develop can tell, from stats alone, that nothing changed.

use crate::build_cache::BuildCache;
use crate::fingerprint::{self, Freshness, InputRecord};
use anyhow::Result;
use maturin::BuildContext;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const STATE_FILE: &str = "develop.json";
/// Bumped when the format changes, so older states are ignored.
const STATE_FORMAT: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevelopState {
    format: u32,
    pub settings: String,
    pub name: String,
    pub version: String,
    build_started_ns: i128,
    inputs: Vec<InputRecord>,
    /// Installed files (stat only: we wrote them).
    outputs: Vec<InputRecord>,
}

impl DevelopState {
    pub fn load(state_dir: &Path) -> Option<DevelopState> {
        let bytes = std::fs::read(state_dir.join(STATE_FILE)).ok()?;
        serde_json::from_slice::<DevelopState>(&bytes)
            .ok()
            .filter(|state| state.format == STATE_FORMAT)
    }

    pub fn save(&self, cache: &BuildCache, state_dir: &Path) -> Result<()> {
        cache.write_json(&state_dir.join(STATE_FILE), self)
    }

    pub fn check(&mut self) -> Freshness {
        let started = self.build_started_ns;
        match fingerprint::check(&mut self.inputs, started) {
            Freshness::Fresh { restamped } => {
                match fingerprint::check(&mut self.outputs, started) {
                    Freshness::Fresh { .. } => Freshness::Fresh { restamped },
                    stale => stale,
                }
            }
            stale => stale,
        }
    }

    pub fn input_paths(&self) -> Vec<PathBuf> {
        self.inputs
            .iter()
            .map(|record| record.path.clone())
            .collect()
    }

    /// Records the build that `context` just made and the files installed from it.
    pub fn capture(
        context: &BuildContext,
        settings: String,
        build_started_ns: i128,
        installed_files: Vec<PathBuf>,
    ) -> Result<DevelopState> {
        let inputs = build_inputs(context)?
            .iter()
            .map(|path| InputRecord::capture_after_build(path, build_started_ns))
            .collect::<Result<Vec<_>>>()?;
        let outputs = installed_files
            .iter()
            .chain(in_source_extension(context).as_ref())
            .map(|path| InputRecord::stamp_only(path))
            .collect::<Result<Vec<_>>>()?;
        Ok(DevelopState {
            format: STATE_FORMAT,
            settings,
            name: context.project.metadata24.name.clone(),
            version: context.project.metadata24.version.to_string(),
            build_started_ns,
            inputs,
            outputs,
        })
    }
}

/// Everything the build read: cargo's dep-info of each compiled target (sources of the crate,
/// its path dependencies and workspace members, `include_str!` files, build scripts and their
/// rerun-if-changed files), every local Cargo.toml, Cargo.lock, pyproject.toml, and the cargo
/// configuration and toolchain files that could apply, present or not.
fn build_inputs(context: &BuildContext) -> Result<BTreeSet<PathBuf>> {
    let project = &context.project;
    let mut inputs = BTreeSet::new();
    let immutable = immutable_roots();
    let profile_dir = profile_dir(context);
    for target in &project.compile_targets {
        let file_stem = if target.is_bin() {
            target.name.clone()
        } else {
            format!("lib{}", target.name.replace('-', "_"))
        };
        let dep_info = profile_dir.join(format!("{file_stem}.d"));
        let content = std::fs::read_to_string(&dep_info).map_err(|error| {
            anyhow::anyhow!(
                "cannot read cargo's dep-info file {}: {error}",
                dep_info.display()
            )
        })?;
        inputs.extend(
            fingerprint::parse_dep_info(&content)
                .into_iter()
                .filter(|path| !immutable.iter().any(|root| path.starts_with(root)))
                .filter(|path| !path.starts_with(&project.target_dir)),
        );
    }
    let metadata = &project.cargo_metadata;
    for package in &metadata.packages {
        if package.source.is_none() {
            inputs.insert(package.manifest_path.clone().into_std_path_buf());
        }
    }
    inputs.insert(
        metadata
            .workspace_root
            .join("Cargo.lock")
            .into_std_path_buf(),
    );
    inputs.insert(project.pyproject_toml_path.clone());
    for dir in project.project_layout.project_root.ancestors() {
        for name in [
            ".cargo/config.toml",
            ".cargo/config",
            "rust-toolchain.toml",
            "rust-toolchain",
        ] {
            inputs.insert(dir.join(name));
        }
    }
    if let Some(cargo_home) = cargo_home() {
        inputs.insert(cargo_home.join("config.toml"));
    }
    Ok(inputs)
}

/// Where cargo writes the artifacts of this build's profile.
fn profile_dir(context: &BuildContext) -> PathBuf {
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

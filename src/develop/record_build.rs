//! Recording a full build: the inputs maturin's build read (from cargo's dep-info and the
//! project's manifests), the files that would change the build if they appeared, the files it
//! copied into the install, the files it installed and the plan to replay its cargo commands,
//! as a [`BuildRecord`] of the light crate, which checks it later.

use super::cargo_commands::{self, Installed};
use super::cargo_paths;
use super::install::{top_level_modules, Installation};
use crate::cargo_child::CargoInDirectory;
use anyhow::{anyhow, Result};
use maturin::BuildContext;
use maturin_hook_core::fingerprint::{self, InputRecord};
use maturin_hook_core::record::{BuildRecord, NewRecord};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A full build that just installed.
pub struct Build<'a> {
    pub context: &'a BuildContext,
    /// The fingerprint of the settings it was made with.
    pub settings: String,
    pub environment: &'a Path,
    pub build_started_ns: i128,
    pub cargo_commands: &'a [String],
    /// How cargo was run, when it ran through the runtime's binary.
    pub cargo_in_directory: Option<&'a CargoInDirectory>,
    /// What this process installed; `None`: the wheel is installed by someone else (a PEP
    /// 517 frontend), and an import records its files when it takes the record over.
    pub installation: Option<&'a Installation>,
    /// Files checked like the manifests (a Python file searcher's list).
    pub extra_inputs: &'a [PathBuf],
    /// The directory cargo ran in: its configuration files are found from there.
    pub cargo_dir: &'a Path,
}

pub fn record(build: Build<'_>) -> Result<BuildRecord> {
    let context = build.context;
    let started = build.build_started_ns;
    let dep_info = cargo_paths::dep_info_files(context);
    let mut excluded_roots = immutable_roots();
    excluded_roots.push(context.project.target_dir.clone());
    let after_build = |paths: &BTreeSet<PathBuf>| {
        paths
            .iter()
            .map(|path| InputRecord::read_after_build(path, started))
            .collect::<Result<Vec<_>>>()
    };
    let sources = after_build(&fingerprint::inputs_from_dep_info(
        &dep_info,
        &excluded_roots,
    )?)?;
    let lock_file = context
        .project
        .cargo_metadata
        .workspace_root
        .join("Cargo.lock")
        .into_std_path_buf();
    let mut manifests = manifests(context, build.cargo_dir);
    manifests.extend(build.extra_inputs.iter().cloned());
    let manifests = manifests
        .iter()
        .map(|path| {
            if *path == lock_file {
                // cargo writes Cargo.lock itself (a new project's, or after a manifest change)
                // while maturin resolves the project, and builds with what it wrote: that is
                // no change that happened behind the build's back.
                InputRecord::read(path)
            } else {
                InputRecord::read_after_build(path, started)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let packaged = after_build(&packaged_files(context))?;
    let (installed_imports, other_files) = match build.installation {
        Some(installation) => (
            installation.import_files.as_slice(),
            installation.other_files.as_slice(),
        ),
        None => (&[][..], &[][..]),
    };
    let import_files: Vec<PathBuf> = installed_imports
        .iter()
        .cloned()
        .chain(written_into_sources(context, started))
        .collect();
    // every installed copy of an artifact is a destination of its replay (a binary is
    // installed into the scripts directory, outside what an import reads)
    let installed: Vec<PathBuf> = import_files.iter().chain(other_files).cloned().collect();
    let installed = match build.installation {
        Some(_) => Installed::All(&installed),
        None => Installed::Partly(&installed),
    };
    let replay = cargo_commands::plan(
        context,
        build.cargo_commands,
        build.cargo_in_directory,
        installed,
        dep_info,
        excluded_roots,
    );
    let capture_all = |paths: &[PathBuf]| {
        paths
            .iter()
            .map(|path| InputRecord::read(path))
            .collect::<Result<Vec<_>>>()
    };
    let project_dir = context
        .project
        .pyproject_toml_path
        .parent()
        .ok_or_else(|| anyhow!("pyproject.toml has no parent directory"))?
        .to_path_buf();
    Ok(BuildRecord::new(NewRecord {
        settings: build.settings,
        environment: build.environment.to_path_buf(),
        name: context.project.metadata24.name.clone(),
        version: context.project.metadata24.version.to_string(),
        project_dir,
        modules: top_level_modules(context),
        build_started_ns: started,
        sources,
        manifests,
        packaged,
        outputs: capture_all(&import_files)?,
        installed_extras: capture_all(other_files)?,
        replay,
    }))
}

/// Every local Cargo.toml, Cargo.lock and pyproject.toml, and the files that change the build
/// when they appear: the cargo configuration and toolchain files that could apply (cargo reads
/// them from `cargo_dir` up, rustup from the project up), a build script or a library/binary
/// root that cargo would find by its conventional name, a Python package directory that would
/// make the project a mixed one, its data directory.
fn manifests(context: &BuildContext, cargo_dir: &Path) -> BTreeSet<PathBuf> {
    let project = &context.project;
    let metadata = &project.cargo_metadata;
    let mut manifests = BTreeSet::new();
    for package in metadata
        .packages
        .iter()
        .filter(|package| package.source.is_none())
    {
        let manifest = package.manifest_path.clone().into_std_path_buf();
        let package_dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
        manifests.insert(manifest);
        let has = |kind: &str| {
            package
                .targets
                .iter()
                .any(|target| target.kind.iter().any(|k| k.to_string() == kind))
        };
        // cargo picks these up by their names alone, without a line in the manifest
        if !has("custom-build") {
            manifests.insert(package_dir.join("build.rs"));
        }
        let has_library = package.targets.iter().any(|target| {
            target.kind.iter().any(|kind| {
                !matches!(
                    kind.to_string().as_str(),
                    "bin" | "example" | "test" | "bench" | "custom-build"
                )
            })
        });
        if !has_library {
            manifests.insert(package_dir.join("src").join("lib.rs"));
        }
        if !package.targets.iter().any(|target| target.is_bin()) {
            manifests.insert(package_dir.join("src").join("main.rs"));
        }
    }
    manifests.insert(
        metadata
            .workspace_root
            .join("Cargo.lock")
            .into_std_path_buf(),
    );
    manifests.insert(project.pyproject_toml_path.clone());
    let layout = &project.project_layout;
    if layout.python_module.is_none() {
        // a directory of the module's name makes maturin build a mixed project
        let top_level = project.module_name.split('.').next().unwrap_or_default();
        manifests.insert(layout.python_dir.join(top_level));
    }
    if layout.data.is_none() {
        manifests.insert(
            layout
                .project_root
                .join(format!("{}.data", project.module_name)),
        );
    }
    for dir in layout.project_root.ancestors().chain(cargo_dir.ancestors()) {
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

/// Files copied into the install as they are: the readme (into METADATA), license files, the
/// type stub of a pure Rust layout, and the files of the data directory.
fn packaged_files(context: &BuildContext) -> BTreeSet<PathBuf> {
    let project = &context.project;
    let layout = &project.project_layout;
    let pyproject_dir = project
        .pyproject_toml_path
        .parent()
        .unwrap_or(&layout.project_root);
    let mut files = BTreeSet::new();
    let pyproject_readme = project
        .pyproject_toml
        .as_ref()
        .and_then(|pyproject| pyproject.project.as_ref())
        .and_then(|metadata| metadata.readme.as_ref())
        .and_then(|readme| match readme {
            pyproject_toml::ReadMe::RelativePath(path) => Some(path.clone()),
            pyproject_toml::ReadMe::Table { file, .. } => file.clone(),
        });
    match pyproject_readme {
        Some(path) => {
            files.insert(pyproject_dir.join(path));
        }
        None => {
            let manifest_dir = project.manifest_path.parent().unwrap_or(pyproject_dir);
            for name in ["README.md", "README.txt", "README.rst", "README"] {
                files.insert(manifest_dir.join(name));
            }
        }
    }
    let metadata = &project.metadata24;
    for license in &metadata.license_files {
        let source = metadata
            .license_file_sources
            .get(license)
            .cloned()
            .unwrap_or_else(|| pyproject_dir.join(license));
        files.insert(source);
    }
    if layout.python_module.is_none() {
        files.insert(
            layout
                .rust_module
                .join(format!("{}.pyi", layout.extension_name)),
        );
    }
    if let Some(data) = &layout.data {
        collect_files(data, &mut files);
    }
    files
}

fn collect_files(dir: &Path, out: &mut BTreeSet<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.insert(path);
        }
    }
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

/// What the build wrote into a mixed project's Python package, which its editable install
/// imports from there: the extension module, and the modules generated next to it (uniffi's
/// and cffi's bindings, which maturin may put into a package of their own). Those are the
/// files under the extension's package directory written since the build started.
fn written_into_sources(context: &BuildContext, build_started_ns: i128) -> Vec<PathBuf> {
    let layout = &context.project.project_layout;
    if layout.python_module.is_none() {
        return Vec::new();
    }
    let mut files = BTreeSet::new();
    collect_files(&layout.rust_module, &mut files);
    files
        .into_iter()
        .filter(|path| {
            fingerprint::FileStamp::of(path).is_ok_and(|stamp| stamp.mtime_ns >= build_started_ns)
        })
        .collect()
}

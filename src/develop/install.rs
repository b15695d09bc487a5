//! The install step of a full build: into the environment (dependencies, the editable wheel,
//! the hook's `.pth`) or, for the `.rs` file importer, the module files into a directory.

use super::dependencies::{self, InstalledDistributions, Installer};
use super::HookInstall;
use crate::build_cache::BuildCache;
use crate::hook;
use crate::interpreter;
use crate::wheel_install::{self, EnvironmentPaths, InstallRequest};
use anyhow::{anyhow, Context, Result};
use maturin::{BuildContext, DevelopOptions};
use maturin_hook_core::quick_check;
use maturin_hook_core::report::Reporter;
use maturin_hook_core::request::BuildRequest;
use maturin_hook_core::request::KnownRequest;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a full build installed, for the record of the build.
pub struct Installation {
    /// Files created or replaced.
    pub written: Vec<PathBuf>,
    /// Installed files an import depends on (modules, the extension, `.pth` files).
    pub import_files: Vec<PathBuf>,
    /// Other installed files (scripts, dist-info, data).
    pub other_files: Vec<PathBuf>,
    pub metadata_changed: bool,
    /// The cargo commands maturin ran (for a later replay).
    pub cargo_commands: Vec<String>,
    /// Requests this install also serves (the hook's, which names the project's manifest as
    /// maturin resolved it).
    pub extra_requests: Vec<KnownRequest>,
    /// The wheels that were installed.
    pub wheels: Vec<PathBuf>,
    pub duration: Duration,
}

/// Builds and extracts only the wheel's module files into `dir` (the `.rs` file importer).
pub fn into_directory<'a>(
    dir: &Path,
    force_rebuild: bool,
    previous_outputs: &[PathBuf],
    build: impl FnOnce() -> Result<(Vec<PathBuf>, Vec<String>)> + 'a,
) -> Result<Installation> {
    let (wheels, cargo_commands) = build()?;
    let started = Instant::now();
    let mut written = Vec::new();
    let mut files = Vec::new();
    for wheel in &wheels {
        let report =
            wheel_install::extract_modules(wheel, dir, force_rebuild).with_context(|| {
                format!(
                    "failed to put the modules of {} into {}",
                    wheel.display(),
                    dir.display()
                )
            })?;
        files.extend(report.written.iter().chain(&report.unchanged).cloned());
        written.extend(report.written);
    }
    wheel_install::remove_stale_modules(dir, previous_outputs, &files);
    Ok(Installation {
        written,
        import_files: files,
        other_files: Vec::new(),
        metadata_changed: false,
        cargo_commands,
        extra_requests: Vec::new(),
        wheels,
        duration: started.elapsed(),
    })
}

/// Where and how an install into an environment goes.
pub struct EnvironmentInstall<'a> {
    pub root: &'a Path,
    /// Its interpreter (the build may be for another one: see `DevelopRequest::python`).
    pub python: &'a Path,
    pub cache: &'a BuildCache,
    pub options: &'a DevelopOptions,
    pub hook: Option<&'a HookInstall>,
}

/// The project an install into an environment is of: as a full build resolved it, or as a
/// stored build describes it (see `develop::restore`).
pub struct ProjectInstall<'a> {
    pub name: &'a str,
    pub version: String,
    /// The distribution's name as the names of its files spell it.
    pub distribution: String,
    pub modules: Vec<String>,
    pub manifest_path: &'a Path,
    /// The directory holding its pyproject.toml.
    pub project_dir: &'a Path,
    pub declared: dependencies::Declared<'a>,
}

impl<'a> ProjectInstall<'a> {
    pub fn of(context: &'a BuildContext) -> Result<ProjectInstall<'a>> {
        let metadata = &context.project.metadata24;
        Ok(ProjectInstall {
            name: &metadata.name,
            version: metadata.version.to_string(),
            distribution: metadata.get_distribution_escaped(),
            modules: top_level_modules(context),
            manifest_path: &context.project.manifest_path,
            project_dir: context
                .project
                .pyproject_toml_path
                .parent()
                .ok_or_else(|| anyhow!("pyproject.toml has no parent directory"))?,
            declared: dependencies::Declared::of(context),
        })
    }
}

/// Installs missing dependencies, gets the editable wheel from `wheels` (a build, or the
/// store), and installs it (and the hook's `.pth` when asked) into the environment.
pub fn into_environment<'a>(
    project: &ProjectInstall<'_>,
    environment: EnvironmentInstall<'_>,
    reporter: &dyn Reporter,
    wheels: impl FnOnce() -> Result<(Vec<PathBuf>, Vec<String>)> + 'a,
) -> Result<Installation> {
    // The interpreter's install scheme and markers are only needed to install.
    let facts = interpreter::probe(environment.python, environment.cache)?;
    let options = environment.options;
    let installed = InstalledDistributions::scan(&[&facts.purelib, &facts.platlib]);
    let plan = dependencies::plan(
        &project.declared,
        &options.extras,
        &options.group,
        &facts.marker_environment()?,
        &installed,
    )?;
    if !plan.is_empty() {
        Installer::choose(options.uv, options.pip_path.clone(), environment.root)?.install(
            environment.python,
            environment.root,
            &plan,
            reporter,
        )?;
    }
    let mut extra_requests = Vec::new();
    let hook_files = match environment.hook {
        Some(hook_install) => {
            hook::require_runtime(&[&facts.purelib, &facts.platlib], environment.root)?;
            let request = match hook_install {
                HookInstall::Develop { args, cwd } => BuildRequest::Hook {
                    args: args.clone(),
                    cwd: cwd.clone(),
                    manifest_path: hook::canonical_manifest(project.manifest_path),
                },
                HookInstall::Request(request) => request.clone(),
            };
            extra_requests.push(request.known(environment.root)?);
            let quick_check = quick_check::relative_path(&project.distribution);
            let pth = hook::pth_file(
                &project.distribution,
                &project.modules,
                &request,
                &quick_check,
            )?;
            // empty until the record of this install writes it
            Some((pth, (quick_check, Vec::new())))
        }
        None => None,
    };
    let (hook_root_files, hook_data_files): (Vec<_>, Vec<_>) = hook_files.into_iter().unzip();
    let (wheels, cargo_commands) = wheels()?;

    let started = Instant::now();
    let paths = facts.environment_paths(environment.python);
    let mut installation = Installation {
        written: Vec::new(),
        import_files: Vec::new(),
        other_files: Vec::new(),
        metadata_changed: false,
        cargo_commands,
        extra_requests,
        wheels: wheels.clone(),
        duration: Duration::ZERO,
    };
    for wheel in &wheels {
        let report = wheel_install::install_wheel(&InstallRequest {
            wheel,
            paths: &paths,
            editable_project_dir: Some(project.project_dir),
            installer: "maturin",
            extra_root_files: &hook_root_files,
            extra_data_files: &hook_data_files,
        })
        .with_context(|| format!("failed to install {}", wheel.display()))?;
        for warning in &report.warnings {
            reporter.warning(warning);
        }
        installation.metadata_changed |= report.metadata_changed;
        for file in report.written.iter().chain(&report.unchanged) {
            if hook_data_files
                .iter()
                .any(|(path, _)| *file == paths.data.join(path))
            {
                continue; // the hook's own, rewritten by each record
            } else if affects_import(file, &paths) {
                installation.import_files.push(file.clone());
            } else {
                installation.other_files.push(file.clone());
            }
        }
        installation.written.extend(report.written);
    }
    installation.duration = started.elapsed();
    reporter.step(&format!("🛠 Installed {}-{}", project.name, project.version));
    Ok(installation)
}

/// The top-level modules an install of `context`'s project provides.
pub fn top_level_modules(context: &BuildContext) -> Vec<String> {
    let module = &context.project.module_name;
    vec![module.split('.').next().unwrap_or(module).to_string()]
}

/// Files in site-packages outside any dist-info: what `import` reads. Scripts, data and the
/// dist-info only describe the install.
fn affects_import(file: &Path, paths: &EnvironmentPaths) -> bool {
    let in_site_packages = file.starts_with(&paths.purelib) || file.starts_with(&paths.platlib);
    in_site_packages
        && !file
            .components()
            .any(|part| part.as_os_str().to_string_lossy().ends_with(".dist-info"))
}

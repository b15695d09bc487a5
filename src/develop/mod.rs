//! `develop` in process: build with the maturin library, install the wheel ourselves (no pip
//! for the project), install missing dependencies with pip or uv, and remember the build's
//! inputs so that an unchanged project costs a few stats the next time.

mod dependencies;
mod state;

use crate::build_cache::BuildCache;
use crate::fingerprint::{self, Change, Freshness};
use crate::interpreter;
use crate::wheel_install::{self, InstallRequest};
use anyhow::{anyhow, bail, Context, Result};
use dependencies::{InstalledDistributions, Installer};
use fs4::fs_std::FileExt;
use maturin::{
    BuildContext, BuildOptions, BuildOrchestrator, BuiltWheel, CargoOptions, DevelopOptions,
    OutputOptions, PlatformOptions, PlatformTag, PythonOptions, Target,
};
use state::DevelopState;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to develop, how, and where.
pub struct DevelopRequest {
    /// The `maturin develop` flags (the build settings).
    pub options: DevelopOptions,
    /// The root of the target environment (a venv or conda prefix).
    pub environment: PathBuf,
    /// Install the built wheel with pip/uv as upstream maturin does.
    pub upstream_install: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevelopAction {
    /// Nothing changed since the last develop: no build, no install.
    UpToDate,
    /// Built and installed; `metadata_changed` is false when only the extension (or binary)
    /// was replaced and the dist-info was left alone.
    Installed { metadata_changed: bool },
    /// `--skip-install`: built in place only.
    BuiltOnly,
    /// `--upstream-install`: maturin's own pip/uv based develop.
    UpstreamInstall,
}

/// What a develop did.
#[derive(Debug)]
pub struct DevelopOutcome {
    pub action: DevelopAction,
    /// Why a build happened (the first changed input), when one did.
    pub reason: Option<String>,
    pub project_name: Option<String>,
    pub version: Option<String>,
    /// Files written into the environment.
    pub written: Vec<PathBuf>,
    /// The files the build read, as recorded for the next freshness check.
    pub inputs: Vec<PathBuf>,
    pub timings: Timings,
}

#[derive(Debug, Default)]
pub struct Timings {
    pub freshness_check: Duration,
    pub resolve: Duration,
    pub compile: Duration,
    pub install: Duration,
    pub total: Duration,
}

/// The interpreter of an environment, without asking `rustc` for the target.
pub fn environment_python(environment: &Path) -> PathBuf {
    if cfg!(windows) {
        environment.join("Scripts").join("python.exe")
    } else {
        environment.join("bin").join("python")
    }
}

pub fn develop(request: DevelopRequest) -> Result<DevelopOutcome> {
    let started = Instant::now();
    if request.upstream_install {
        maturin::develop(request.options, &request.environment)?;
        return Ok(DevelopOutcome {
            action: DevelopAction::UpstreamInstall,
            reason: None,
            project_name: None,
            version: None,
            written: Vec::new(),
            inputs: Vec::new(),
            timings: Timings {
                total: started.elapsed(),
                ..Timings::default()
            },
        });
    }

    let python = environment_python(&request.environment);
    if !python.is_file() {
        bail!(
            "{} is not a Python environment: there is no interpreter at {}",
            request.environment.display(),
            python.display()
        );
    }
    let cache = BuildCache::for_environment(&request.environment);
    let project_key = project_key(&request.options)?;
    let settings = settings_key(&request.options, &python);
    let state_dir = cache.project_dir("develop", &project_key);
    let _lock = lock_project(&state_dir)?;

    let mut timings = Timings::default();
    let check_started = Instant::now();
    let loaded = DevelopState::load(&state_dir);
    let developed_before = loaded.is_some();
    let previous = loaded.filter(|state| state.settings == settings);
    let reason = match &previous {
        Some(state) if !request.options.skip_install => {
            let mut state = state.clone();
            match state.check() {
                Freshness::Fresh { restamped } => {
                    if restamped {
                        state.save(&cache, &state_dir)?;
                    }
                    timings.freshness_check = check_started.elapsed();
                    timings.total = started.elapsed();
                    return Ok(DevelopOutcome {
                        action: DevelopAction::UpToDate,
                        reason: None,
                        project_name: Some(state.name.clone()),
                        version: Some(state.version.clone()),
                        written: Vec::new(),
                        inputs: state.input_paths(),
                        timings,
                    });
                }
                Freshness::Stale(change) => {
                    make_cargo_see(&change)?;
                    change.to_string()
                }
            }
        }
        Some(_) => "--skip-install always builds".to_string(),
        None if developed_before => {
            "the settings changed since the last develop (flags, interpreter or build \
             environment variables)"
                .to_string()
        }
        None => "no previous develop of this project into this environment".to_string(),
    };
    timings.freshness_check = check_started.elapsed();
    tracing::debug!("building: {reason}");

    let build_started_ns = fingerprint::filesystem_now(&state_dir)?;
    let resolve_started = Instant::now();
    let options = request.options;
    let wheel_dir = tempfile::TempDir::new().context("Failed to create temporary directory")?;
    let context = build_context(&options, &python, wheel_dir.path())?;
    timings.resolve = resolve_started.elapsed();
    let metadata = &context.project.metadata24;

    if options.skip_install {
        build_wheels(&context, &mut timings)?;
        timings.total = started.elapsed();
        return Ok(DevelopOutcome {
            action: DevelopAction::BuiltOnly,
            reason: Some(reason),
            project_name: Some(metadata.name.clone()),
            version: Some(metadata.version.to_string()),
            written: Vec::new(),
            inputs: Vec::new(),
            timings,
        });
    }

    // The interpreter's install scheme and markers are only needed to install.
    let facts = interpreter::probe(&python, &cache)?;
    let installed = InstalledDistributions::scan(&[&facts.purelib, &facts.platlib]);
    let plan = dependencies::plan(
        &context,
        &options.extras,
        &options.group,
        &facts.marker_environment()?,
        &installed,
    )?;
    if !plan.is_empty() {
        Installer::choose(options.uv, options.pip_path.clone(), &request.environment)?.install(
            &python,
            &request.environment,
            &plan,
        )?;
    }
    let wheels = build_wheels(&context, &mut timings)?;

    let install_started = Instant::now();
    let project_dir = context
        .project
        .pyproject_toml_path
        .parent()
        .ok_or_else(|| anyhow!("pyproject.toml has no parent directory"))?;
    let paths = facts.environment_paths(&python);
    let mut written = Vec::new();
    let mut installed_files = Vec::new();
    let mut metadata_changed = false;
    for wheel in &wheels {
        let report = wheel_install::install_wheel(&InstallRequest {
            wheel: &wheel.path,
            paths: &paths,
            editable_project_dir: Some(project_dir),
            installer: "maturin",
        })
        .with_context(|| format!("failed to install {}", wheel.path.display()))?;
        for warning in &report.warnings {
            eprintln!("⚠️  Warning: {warning}");
        }
        metadata_changed |= report.metadata_changed;
        installed_files.extend(report.written.iter().chain(&report.unchanged).cloned());
        written.extend(report.written);
    }
    timings.install = install_started.elapsed();
    eprintln!("🛠 Installed {}-{}", metadata.name, metadata.version);

    let state = DevelopState::capture(&context, settings, build_started_ns, installed_files)?;
    let inputs = state.input_paths();
    state.save(&cache, &state_dir)?;
    timings.total = started.elapsed();
    Ok(DevelopOutcome {
        action: DevelopAction::Installed { metadata_changed },
        reason: Some(reason),
        project_name: Some(metadata.name.clone()),
        version: Some(metadata.version.to_string()),
        written,
        inputs,
        timings,
    })
}

fn build_wheels(context: &BuildContext, timings: &mut Timings) -> Result<Vec<BuiltWheel>> {
    let compile_started = Instant::now();
    let wheels = BuildOrchestrator::new(context).build_wheels()?;
    timings.compile = compile_started.elapsed();
    Ok(wheels)
}

/// Settings as upstream develop turns them into a build: the environment's interpreter, the
/// native `linux` tag, no auditwheel, an editable wheel into `wheel_dir`.
fn build_context(
    options: &DevelopOptions,
    python: &Path,
    wheel_dir: &Path,
) -> Result<BuildContext> {
    let mut cargo: CargoOptions = options.cargo_options.clone();
    if options.release || (options.pgo && cargo.profile.is_none()) {
        cargo.profile = Some("release".to_string());
    }
    let target = Target::from_target_triple(cargo.target.as_ref())?;
    let build_options = BuildOptions {
        python: PythonOptions {
            interpreter: vec![python.to_path_buf()],
            find_interpreter: false,
            bindings: options.bindings,
        },
        platform: PlatformOptions {
            platform_tag: vec![PlatformTag::Linux.into()],
            skip_auditwheel: true,
            ..PlatformOptions::default()
        },
        output: OutputOptions {
            out: Some(wheel_dir.to_path_buf()),
            include_debuginfo: !options.strip && target.is_windows(),
            sbom_include: Vec::new(),
        },
        cargo,
        compression: options.compression,
        generate_stubs: options.generate_stubs,
    };
    let context = build_options
        .into_build_context()
        .strip(options.strip.then_some(true))
        .editable(true)
        .pgo(options.pgo)
        .build()?;
    let has_version = context
        .project
        .pyproject_toml
        .as_ref()
        .is_none_or(|pyproject| pyproject.warn_invalid_version_info());
    if !has_version {
        bail!(
            "Cannot build without valid version information. You need to specify either \
             `project.version` or `project.dynamic = [\"version\"]` in pyproject.toml."
        );
    }
    Ok(context)
}

/// The project as named on the command line: its manifest, else the current directory.
fn project_key(options: &DevelopOptions) -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("Failed to detect the current directory")?;
    Ok(match &options.cargo_options.manifest_path {
        Some(manifest) => canonical_or_as_given(&cwd.join(manifest)),
        None => canonical_or_as_given(&cwd),
    })
}

fn canonical_or_as_given(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// Variables with a build-relevant prefix that do not change what is built.
const IGNORED_VARIABLES: &[&str] = &[
    crate::build_cache::BUILD_DIR_ENV,
    "RUST_LOG",
    "RUST_BACKTRACE",
    "CARGO_TERM_COLOR",
    "CARGO_TERM_VERBOSE",
    "CARGO_TERM_QUIET",
    "CARGO_TERM_PROGRESS_WHEN",
];

/// Everything besides file contents that decides what a build produces. Environment
/// variables that cargo, rustc, pyo3 or maturin read are part of it.
fn settings_key(options: &DevelopOptions, python: &Path) -> String {
    // Destructured so that a new upstream option cannot be forgotten here.
    let DevelopOptions {
        bindings,
        release,
        pgo,
        strip,
        extras,
        group,
        skip_install: _,
        pip_path: _,
        cargo_options,
        uv: _,
        compression,
        generate_stubs,
    } = options;
    // How chatty cargo is does not change what it builds.
    let mut cargo = cargo_options.clone();
    cargo.verbose = 0;
    cargo.quiet = false;
    cargo.color = None;
    let mut key = format!(
        "maturin-hook {}\npython {}\n{cargo:?}\n\
         {bindings:?} {release} {strip} {pgo} {extras:?} {group:?} {compression:?} {generate_stubs}\n",
        crate::version::VERSION,
        python.display(),
    );
    let mut variables: Vec<(String, String)> = std::env::vars()
        .filter(|(name, _)| {
            [
                "CARGO_", "RUST", "PYO3_", "MATURIN_", "CC", "CFLAGS", "LDFLAGS",
            ]
            .iter()
            .any(|prefix| name.starts_with(prefix))
                && !IGNORED_VARIABLES.contains(&name.as_str())
        })
        .collect();
    variables.sort();
    for (name, value) in variables {
        key.push_str(&format!("{name}={value}\n"));
    }
    crate::build_cache::short_hash(key.as_bytes())
}

/// cargo compares a source's mtime with its own artifacts: a changed file that carries an old
/// mtime (a restored copy) would look fresh to it, so give it a current one.
fn make_cargo_see(change: &Change) -> Result<()> {
    if change.older_than_build && change.path.is_file() {
        tracing::debug!("bumping the mtime of {} for cargo", change.path.display());
        fingerprint::bump_mtime(&change.path)?;
    }
    Ok(())
}

/// One develop of a project at a time per environment; waiters then find it up to date.
fn lock_project(state_dir: &Path) -> Result<std::fs::File> {
    std::fs::create_dir_all(state_dir).with_context(|| {
        format!(
            "cannot create the build cache directory {}",
            state_dir.display()
        )
    })?;
    let path = state_dir.join("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    file.lock_exclusive()
        .with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(file)
}

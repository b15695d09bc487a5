//! `develop` in process: build with the maturin library, install the wheel ourselves (no pip
//! for the project), install missing dependencies with pip or uv, and remember the build's
//! inputs so that an unchanged project costs a few stats the next time.

mod build_plan;
mod dependencies;
pub mod hook;
mod state;

pub use build_plan::capture_layer;

use crate::build_cache::BuildCache;
use crate::fingerprint;
use crate::interpreter;
use crate::wheel_install::{self, InstallRequest};
use anyhow::{anyhow, bail, Context, Result};
use dependencies::{InstalledDistributions, Installer};
use maturin::{
    BuildContext, BuildOptions, BuildOrchestrator, BuiltWheel, CargoOptions, DevelopOptions,
    OutputOptions, PlatformOptions, PlatformTag, PythonOptions, Target,
};
use maturin_hook_freshness::cache_location;
use maturin_hook_freshness::lock::ProjectLock;
use maturin_hook_freshness::quick_rebuild;
use state::{DevelopState, Scope, Verdict};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where a develop puts what it built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum InstallTarget {
    /// An editable install into [`DevelopRequest::environment`] (with its dist-info and the
    /// project's dependencies), as `maturin develop` does.
    #[default]
    Environment,
    /// Only the wheel's module files (the extension module and what maturin generates next to
    /// it), extracted into this directory: no metadata, no dependencies, no pip. The `.rs` file
    /// importer builds into one of these.
    Directory(PathBuf),
}

/// Runs when a build is due, under the project lock, before the project is resolved; it may
/// write the project's files and point the options at its manifest.
pub type Prepare = Box<dyn FnOnce(&mut DevelopOptions) -> Result<()> + Send>;

/// What a develop tells its caller as it goes: the command line prints it, the import hook
/// logs it (and captures what the build prints only from `building` on).
pub trait Progress: Send {
    /// Another build of the project holds its lock (at `lock`); this one waits.
    fn waiting_for_lock(&mut self, lock: &Path);
    /// A build starts, for `reason`; what is printed from here on is the build's output.
    fn building(&mut self, reason: &str);
}

/// The command line's [`Progress`]: the wait on stderr, the reason in the debug log.
pub struct PrintProgress;

impl Progress for PrintProgress {
    fn waiting_for_lock(&mut self, lock: &Path) {
        eprintln!(
            "⏳ Waiting for another build of this project to finish ({} is locked)",
            lock.display()
        );
    }

    fn building(&mut self, reason: &str) {
        tracing::debug!("building: {reason}");
    }
}

/// What to develop, how, and where.
pub struct DevelopRequest {
    /// The `maturin develop` flags (the build settings).
    pub options: DevelopOptions,
    /// The root of the target environment (a venv or conda prefix).
    pub environment: PathBuf,
    /// Install the built wheel with pip/uv as upstream maturin does.
    pub upstream_install: bool,
    /// `--with-hook`: the develop arguments the import hook rebuilds with (`None`: no hook,
    /// and a hook of an earlier develop is removed).
    pub hook_args: Option<Vec<String>>,
    /// Where the build state lives; by default derived from the environment and the project
    /// as named on the command line (the import hook passes the one it was installed with).
    pub state_dir: Option<PathBuf>,
    /// How long to wait for another build of the project (`None`: as long as it takes).
    pub lock_timeout: Option<Duration>,
    /// Where the build goes (default: the environment).
    pub install_target: InstallTarget,
    /// The interpreter to build for (default: the environment's `bin/python`).
    pub python: Option<PathBuf>,
    /// Build even when nothing changed (and write the outputs anew).
    pub force_rebuild: bool,
    /// Called when a build is due (see [`Prepare`]).
    pub prepare: Option<Prepare>,
    /// The build cache to keep the state and lock in (default: the environment's, see
    /// [`BuildCache::for_environment`]).
    pub build_dir: Option<PathBuf>,
    /// Files the build is to be considered to depend on besides those it read (the lists of a
    /// Python `ProjectFileSearcher`): a change of one, or of the list, is a full develop.
    pub extra_inputs: Vec<PathBuf>,
    /// Told about waits and builds (default: [`PrintProgress`]).
    pub progress: Box<dyn Progress>,
    /// The caller's [`request_key`](maturin_hook_freshness::state::request_key) for this
    /// request, recorded with the state so that its light check can trust it.
    pub request_key: Option<String>,
}

impl DevelopRequest {
    /// An editable install into `environment` with `options`, as `maturin develop` does it.
    pub fn new(options: DevelopOptions, environment: PathBuf) -> Self {
        DevelopRequest {
            options,
            environment,
            upstream_install: false,
            hook_args: None,
            state_dir: None,
            lock_timeout: None,
            install_target: InstallTarget::Environment,
            python: None,
            force_rebuild: false,
            prepare: None,
            build_dir: None,
            extra_inputs: Vec::new(),
            progress: Box::new(PrintProgress),
            request_key: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevelopAction {
    /// Nothing changed since the last develop: no build, no install.
    UpToDate,
    /// Built and installed; `metadata_changed` is false when only the extension (or binary)
    /// was replaced and the dist-info was left alone.
    Installed { metadata_changed: bool },
    /// Only Rust sources changed: cargo was run again as the last build ran it and the new
    /// extension (or binary) replaced the installed one; nothing else was touched.
    Rebuilt,
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
    /// Every file the build installed (written now or before), as recorded in the state.
    pub outputs: Vec<PathBuf>,
    /// The files the build read, as recorded for the next freshness check.
    pub inputs: Vec<PathBuf>,
    /// What cargo printed on stderr (its warnings), when it was captured (quick rebuilds).
    pub cargo_output: Option<String>,
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

pub fn develop(mut request: DevelopRequest) -> Result<DevelopOutcome> {
    let started = Instant::now();
    if request.upstream_install {
        maturin::develop(request.options, &request.environment)?;
        return Ok(DevelopOutcome {
            action: DevelopAction::UpstreamInstall,
            reason: None,
            project_name: None,
            version: None,
            written: Vec::new(),
            outputs: Vec::new(),
            inputs: Vec::new(),
            cargo_output: None,
            timings: Timings {
                total: started.elapsed(),
                ..Timings::default()
            },
        });
    }

    if request.hook_args.is_some() && request.install_target != InstallTarget::Environment {
        bail!("the import hook can only be installed into an environment");
    }
    let python = match &request.python {
        Some(python) => python.clone(),
        None => environment_python(&request.environment),
    };
    if !python.is_file() {
        bail!(
            "{} is not a Python environment: there is no interpreter at {}",
            request.environment.display(),
            python.display()
        );
    }
    let cache = BuildCache::at(cache_location::cache_root(
        &request.environment,
        request.build_dir.as_deref(),
    ));
    let state_dir = match &request.state_dir {
        Some(dir) => dir.clone(),
        None => cache_location::develop_state_dir(
            cache.root(),
            &cache_location::project_key(request.options.cargo_options.manifest_path.as_deref())?,
        ),
    };
    request.extra_inputs.sort();
    request.extra_inputs.dedup();
    let settings = settings_key(
        &request.options,
        &python,
        request.hook_args.is_some(),
        &request.extra_inputs,
    );
    let progress = &mut request.progress;
    let _lock = ProjectLock::acquire(&state_dir, request.lock_timeout, |lock| {
        progress.waiting_for_lock(lock)
    })?;

    let mut timings = Timings::default();
    let check_started = Instant::now();
    let loaded = DevelopState::load(&state_dir);
    let developed_before = loaded.is_some();
    let previous_outputs: Vec<PathBuf> = loaded.as_ref().map_or_else(Vec::new, output_paths);
    let previous = loaded.filter(|state| state.settings == settings);
    let reason = match previous {
        _ if request.force_rebuild => "a rebuild was forced".to_string(),
        Some(mut state) if !request.options.skip_install => match state.check() {
            Verdict::Fresh { restamped } => {
                let learnt_key = state.add_request_key(request.request_key.as_deref());
                if restamped || learnt_key {
                    state.save(&state_dir)?;
                }
                timings.freshness_check = check_started.elapsed();
                timings.total = started.elapsed();
                return Ok(DevelopOutcome {
                    action: DevelopAction::UpToDate,
                    reason: None,
                    project_name: Some(state.name.clone()),
                    version: Some(state.version.clone()),
                    written: Vec::new(),
                    outputs: output_paths(&state),
                    inputs: state.input_paths(),
                    cargo_output: None,
                    timings,
                });
            }
            Verdict::Stale {
                reason,
                scope: Scope::RustOnly,
                changes,
            } if replay_dirs_exist(&state) => {
                timings.freshness_check = check_started.elapsed();
                request.progress.building(&reason);
                eprintln!("🔁 Rebuilding {}: {reason}", state.name);
                let compile_started = Instant::now();
                state.add_request_key(request.request_key.as_deref());
                let rebuilt = quick_rebuild::rebuild(&mut state, &state_dir, &changes, true)?;
                timings.compile = compile_started.elapsed();
                eprintln!(
                    "🛠 Replaced the compiled module of {}-{}",
                    state.name, state.version
                );
                timings.total = started.elapsed();
                return Ok(DevelopOutcome {
                    action: DevelopAction::Rebuilt,
                    reason: Some(reason),
                    project_name: Some(state.name.clone()),
                    version: Some(state.version.clone()),
                    written: rebuilt.written,
                    outputs: output_paths(&state),
                    inputs: state.input_paths(),
                    cargo_output: Some(rebuilt.diagnostics),
                    timings,
                });
            }
            Verdict::Stale {
                reason, changes, ..
            } => {
                maturin_hook_freshness::state::make_cargo_see(&changes, &state_dir)?;
                reason
            }
        },
        Some(_) => "--skip-install always builds".to_string(),
        None if developed_before => {
            "the settings changed since the last develop (flags, interpreter or build \
             environment variables)"
                .to_string()
        }
        None => "no previous develop of this project into this environment".to_string(),
    };
    timings.freshness_check = check_started.elapsed();
    request.progress.building(&reason);

    let mut options = request.options;
    if let Some(prepare) = request.prepare.take() {
        // before the build starts: what it writes is input, not a change during the build
        prepare(&mut options)?;
    }
    let build_started_ns = fingerprint::filesystem_now(&state_dir)?;
    let resolve_started = Instant::now();
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
            outputs: Vec::new(),
            inputs: Vec::new(),
            cargo_output: None,
            timings,
        });
    }

    let installation = match &request.install_target {
        InstallTarget::Directory(dir) => install_into_directory(
            &context,
            dir,
            request.force_rebuild,
            &previous_outputs,
            &mut timings,
        )?,
        InstallTarget::Environment => install_into_environment(
            &context,
            &request.environment,
            request.hook_args.as_deref(),
            &options,
            &python,
            &cache,
            &state_dir,
            &mut timings,
        )?,
    };

    let mut state = state::capture(
        &context,
        settings,
        build_started_ns,
        &installation.cargo_commands,
        installation.files,
        &request.extra_inputs,
    )?;
    state.add_request_key(request.request_key.as_deref());
    let inputs = state.input_paths();
    state.save(&state_dir)?;
    timings.total = started.elapsed();
    Ok(DevelopOutcome {
        action: DevelopAction::Installed {
            metadata_changed: installation.metadata_changed,
        },
        reason: Some(reason),
        project_name: Some(metadata.name.clone()),
        version: Some(metadata.version.to_string()),
        written: installation.written,
        outputs: output_paths(&state),
        inputs,
        cargo_output: None,
        timings,
    })
}

/// What a full build installed, for the state that records it.
struct Installation {
    /// Files created or replaced.
    written: Vec<PathBuf>,
    /// Every installed file, written now or left as it was.
    files: Vec<PathBuf>,
    metadata_changed: bool,
    /// The cargo commands maturin ran (for a later replay).
    cargo_commands: Vec<String>,
}

/// Builds and extracts only the wheel's module files into `dir` (the `.rs` file importer).
fn install_into_directory(
    context: &BuildContext,
    dir: &Path,
    force_rebuild: bool,
    previous_outputs: &[PathBuf],
    timings: &mut Timings,
) -> Result<Installation> {
    let (wheels, cargo_commands) = build_wheels(context, timings)?;
    let install_started = Instant::now();
    let mut written = Vec::new();
    let mut files = Vec::new();
    for wheel in &wheels {
        let report =
            wheel_install::extract_modules(&wheel.path, dir, force_rebuild).with_context(|| {
                format!(
                    "failed to put the modules of {} into {}",
                    wheel.path.display(),
                    dir.display()
                )
            })?;
        files.extend(report.written.iter().chain(&report.unchanged).cloned());
        written.extend(report.written);
    }
    wheel_install::remove_stale_modules(dir, previous_outputs, &files);
    timings.install = install_started.elapsed();
    Ok(Installation {
        written,
        files,
        metadata_changed: false,
        cargo_commands,
    })
}

/// Installs missing dependencies, builds, and installs the editable wheel (and the hook's
/// `.pth` when asked) into the environment.
#[allow(clippy::too_many_arguments)]
fn install_into_environment(
    context: &BuildContext,
    environment: &Path,
    hook_args: Option<&[String]>,
    options: &DevelopOptions,
    python: &Path,
    cache: &BuildCache,
    state_dir: &Path,
    timings: &mut Timings,
) -> Result<Installation> {
    // The interpreter's install scheme and markers are only needed to install.
    let facts = interpreter::probe(python, cache)?;
    let installed = InstalledDistributions::scan(&[&facts.purelib, &facts.platlib]);
    let plan = dependencies::plan(
        context,
        &options.extras,
        &options.group,
        &facts.marker_environment()?,
        &installed,
    )?;
    if !plan.is_empty() {
        Installer::choose(options.uv, options.pip_path.clone(), environment)?.install(
            python,
            environment,
            &plan,
        )?;
    }
    let hook_file = match hook_args {
        Some(args) => Some(hook::pth_file(
            context,
            &facts,
            &hook::HookConfig {
                args: args.to_vec(),
                cwd: std::env::current_dir().context("Failed to detect the current directory")?,
                manifest_path: context.project.manifest_path.clone(),
                environment: environment.to_path_buf(),
                state_dir: state_dir.to_path_buf(),
            },
        )?),
        None => None,
    };
    let (wheels, cargo_commands) = build_wheels(context, timings)?;

    let install_started = Instant::now();
    let project_dir = context
        .project
        .pyproject_toml_path
        .parent()
        .ok_or_else(|| anyhow!("pyproject.toml has no parent directory"))?;
    let paths = facts.environment_paths(python);
    let mut written = Vec::new();
    let mut files = Vec::new();
    let mut metadata_changed = false;
    for wheel in &wheels {
        let report = wheel_install::install_wheel(&InstallRequest {
            wheel: &wheel.path,
            paths: &paths,
            editable_project_dir: Some(project_dir),
            installer: "maturin",
            extra_root_files: hook_file.as_slice(),
        })
        .with_context(|| format!("failed to install {}", wheel.path.display()))?;
        for warning in &report.warnings {
            eprintln!("⚠️  Warning: {warning}");
        }
        metadata_changed |= report.metadata_changed;
        files.extend(report.written.iter().chain(&report.unchanged).cloned());
        written.extend(report.written);
    }
    timings.install = install_started.elapsed();
    let metadata = &context.project.metadata24;
    eprintln!("🛠 Installed {}-{}", metadata.name, metadata.version);
    Ok(Installation {
        written,
        files,
        metadata_changed,
        cargo_commands,
    })
}

fn output_paths(state: &DevelopState) -> Vec<PathBuf> {
    state
        .outputs
        .iter()
        .map(|record| record.path.clone())
        .collect()
}

/// A replay runs cargo where the full build ran (see `build_plan`); when that directory is
/// gone, the next build is a full one instead of a replay that cannot start.
fn replay_dirs_exist(state: &DevelopState) -> bool {
    state.quick_rebuild.as_ref().is_none_or(|plan| {
        plan.steps
            .iter()
            .all(|step| step.command.current_dir.as_deref().is_none_or(Path::is_dir))
    })
}

/// Builds the wheel(s); also returns the cargo commands maturin ran, for a later replay.
fn build_wheels(
    context: &BuildContext,
    timings: &mut Timings,
) -> Result<(Vec<BuiltWheel>, Vec<String>)> {
    let compile_started = Instant::now();
    let (wheels, commands) = build_plan::capture(|| BuildOrchestrator::new(context).build_wheels());
    timings.compile = compile_started.elapsed();
    Ok((wheels?, commands))
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

/// The settings that decide what a build produces, besides file contents and the environment
/// variables (which the state records on its own, see `build_environment`).
fn settings_key(
    options: &DevelopOptions,
    python: &Path,
    with_hook: bool,
    extra_inputs: &[PathBuf],
) -> String {
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
    // How chatty cargo is does not change what it builds; the manifest path names the
    // project, whose state this is (the import hook names it absolutely, the command line
    // may not name it at all).
    let mut cargo = cargo_options.clone();
    cargo.manifest_path = None;
    cargo.verbose = 0;
    cargo.quiet = false;
    cargo.color = None;
    let key = format!(
        "maturin-hook {}\npython {}\nhook {with_hook}\n{cargo:?}\n\
         {bindings:?} {release} {strip} {pgo} {extras:?} {group:?} {compression:?} {generate_stubs}\n\
         {extra_inputs:?}\n",
        crate::version::VERSION,
        python.display(),
    );
    crate::build_cache::short_hash(key.as_bytes())
}

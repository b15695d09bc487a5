//! The pipeline every front end runs: **check** the recorded inputs, **decide** (up to date /
//! replay cargo / full develop), **build**, **install**, **record**. `maturin develop`, the
//! `--with-hook` finder, the importers of `install()`, the watcher, the notebook extension and
//! the pytest plugin all call [`develop`]; they differ only in the [`Reporter`] they pass.
//!
//! A full build uses the maturin library in process and installs the wheel itself (no pip for
//! the project); missing dependencies are installed with pip or uv. The record of the build
//! makes an unchanged project cost a few stats the next time.

mod capture;
mod cargo_commands;
mod cargo_paths;
mod decide;
mod dependencies;
pub mod editable;
mod front_ends;
mod full_build;
mod install;
pub mod settings;

pub use cargo_commands::capture_layer;
pub use front_ends::develop_request;
pub use settings::parse_develop_args;

use crate::build_cache::BuildCache;
use crate::environment::environment_python;
use anyhow::{bail, Result};
use decide::{Asked, Decision};
use maturin::DevelopOptions;
use maturin_hook_freshness::cache_location;
use maturin_hook_freshness::lock::ProjectLock;
use maturin_hook_freshness::record::{BuildRecord, Checking};
use maturin_hook_freshness::replay;
use maturin_hook_freshness::report::{BuildKind, BuildStart, Reporter};
use maturin_hook_freshness::request::BuildRequest;
use std::path::PathBuf;
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

/// The import hook's finder, installed with the project (see [`crate::hook`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookInstall {
    /// `maturin develop --with-hook`: its arguments (without `--with-hook`), the settings every
    /// rebuild uses, and the directory it runs in (relative paths in them are relative to it).
    Develop { args: Vec<String>, cwd: PathBuf },
    /// The finder of an earlier install, rebuilding as it was asked to (an editable install's).
    Request(BuildRequest),
}

/// What to develop, how, and where.
pub struct DevelopRequest {
    /// The `maturin develop` flags (the build settings).
    pub options: DevelopOptions,
    /// The root of the target environment (a venv or conda prefix, `sys.prefix`).
    pub environment: PathBuf,
    /// Install the built wheel with pip/uv as upstream maturin does.
    pub upstream_install: bool,
    /// Install the import hook's finder (`None`: no hook, and a hook of an earlier develop is
    /// removed).
    pub hook: Option<HookInstall>,
    /// Where the build record lives; by default derived from the environment and the project
    /// (see [`cache_location::develop_state_dir`]).
    pub state_dir: Option<PathBuf>,
    /// How long to wait for another build of the project (`None`: as long as it takes).
    pub lock_timeout: Option<Duration>,
    /// Where the build goes (default: the environment).
    pub install_target: InstallTarget,
    /// The interpreter to build for (default: the environment's `bin/python`; an editable
    /// install carrying the hook builds for the base interpreter, as its backend build did).
    pub python: Option<PathBuf>,
    /// Build in release mode unless a profile was chosen (on the command line or in
    /// pyproject.toml), as PEP 517 builds do.
    pub release_by_default: bool,
    /// Build even when nothing changed (and write the outputs anew).
    pub force_rebuild: bool,
    /// Called when a build is due (see [`Prepare`]).
    pub prepare: Option<Prepare>,
    /// The build cache to keep the record and lock in (default: the environment's).
    pub build_dir: Option<PathBuf>,
    /// Files the build is to be considered to depend on besides those it read (the lists of a
    /// Python `ProjectFileSearcher`): a change of one, or of the list, is a full develop.
    pub extra_inputs: Vec<PathBuf>,
    /// The front end's request (see `maturin_hook_freshness::request`), recorded with its key
    /// so that its light check can trust the record.
    pub request: Option<BuildRequest>,
    /// What the freshness check covers: `maturin develop` also reinstalls changed packaged
    /// files (a readme, a `.pyi`), an import does not rebuild for them.
    pub checking: Checking,
    /// The directory cargo runs in (see [`crate::cargo_child`]); `None`: this process's.
    pub cargo_dir: Option<PathBuf>,
}

impl DevelopRequest {
    /// An editable install into `environment` with `options`, as `maturin develop` does it.
    pub fn new(options: DevelopOptions, environment: PathBuf) -> Self {
        DevelopRequest {
            options,
            environment,
            upstream_install: false,
            hook: None,
            state_dir: None,
            lock_timeout: None,
            install_target: InstallTarget::Environment,
            python: None,
            release_by_default: false,
            force_rebuild: false,
            prepare: None,
            build_dir: None,
            extra_inputs: Vec::new(),
            request: None,
            checking: Checking::Develop,
            cargo_dir: None,
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
    Replayed,
    /// `--skip-install`: built in place only.
    BuiltOnly,
    /// `--upstream-install`: maturin's own pip/uv based develop.
    UpstreamInstall,
    /// The project directory is gone; the last install was left as it is.
    SourcesGone,
}

/// What a develop did.
#[derive(Debug, Default)]
pub struct DevelopOutcome {
    pub action: Option<DevelopAction>,
    /// Another build of the project held the lock, and this one waited for it.
    pub waited: bool,
    /// Why a build happened (the first changed input), when one did.
    pub reason: Option<String>,
    pub project_name: Option<String>,
    pub version: Option<String>,
    /// The top-level modules the install provides.
    pub modules: Vec<String>,
    /// Files written into the environment.
    pub written: Vec<PathBuf>,
    /// Every file the build installed (written now or before), as recorded.
    pub outputs: Vec<PathBuf>,
    /// The files the build read, as recorded for the next freshness check.
    pub inputs: Vec<PathBuf>,
    pub timings: Timings,
}

impl DevelopOutcome {
    pub fn action(&self) -> &DevelopAction {
        self.action.as_ref().unwrap_or(&DevelopAction::UpToDate)
    }

    fn from_record(action: DevelopAction, record: &BuildRecord) -> DevelopOutcome {
        DevelopOutcome {
            action: Some(action),
            project_name: Some(record.name.clone()),
            version: Some(record.version.clone()),
            modules: record.modules.clone(),
            outputs: record.output_paths(),
            inputs: record.input_paths(),
            ..DevelopOutcome::default()
        }
    }
}

#[derive(Debug, Default)]
pub struct Timings {
    pub freshness_check: Duration,
    pub resolve: Duration,
    pub compile: Duration,
    pub install: Duration,
    pub total: Duration,
}

/// Runs the pipeline for `request`, telling `reporter` what happens.
pub fn develop(mut request: DevelopRequest, reporter: &dyn Reporter) -> Result<DevelopOutcome> {
    let started = Instant::now();
    if request.upstream_install {
        maturin::develop(request.options, &request.environment)?;
        return Ok(DevelopOutcome {
            action: Some(DevelopAction::UpstreamInstall),
            ..DevelopOutcome::default()
        });
    }
    if request.hook.is_some() && request.install_target != InstallTarget::Environment {
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
            &cache_location::project_dir(request.options.cargo_options.manifest_path.as_deref())?,
        ),
    };
    request.extra_inputs.sort();
    request.extra_inputs.dedup();
    let settings = settings::fingerprint(&settings::Fingerprinted {
        options: &request.options,
        python: &python,
        with_hook: request.hook.is_some(),
        release_by_default: request.release_by_default,
        extra_inputs: &request.extra_inputs,
    });

    let mut waited = false;
    let _lock = ProjectLock::acquire(&state_dir, request.lock_timeout, |lock| {
        waited = true;
        reporter.waiting_for_lock(lock);
    })?;
    let known = match &request.request {
        Some(build) => Some(build.known(&request.environment)?),
        None => None,
    };
    let check_started = Instant::now();
    let loaded = BuildRecord::load(&state_dir, &request.environment);
    let previous_outputs = match &loaded {
        maturin_hook_freshness::record::Loaded::Record(record) => record.output_paths(),
        _ => Vec::new(),
    };
    let decision = decide::decide(
        loaded,
        Asked {
            settings: &settings,
            request: known.as_ref(),
            force: request.force_rebuild,
            skip_install: request.options.skip_install,
            checking: request.checking,
        },
    );
    let freshness_check = check_started.elapsed();
    let mut outcome = match decision {
        Decision::UpToDate { record, save } => {
            if save {
                record.save(&state_dir)?;
            }
            DevelopOutcome::from_record(DevelopAction::UpToDate, &record)
        }
        Decision::SourcesGone { project_dir } => DevelopOutcome {
            action: Some(DevelopAction::SourcesGone),
            reason: Some(format!(
                "the project directory {} is gone",
                project_dir.display()
            )),
            ..DevelopOutcome::default()
        },
        Decision::Replay {
            mut record,
            reason,
            changes,
        } => {
            reporter.building(&BuildStart {
                project: &record.name,
                reason: &reason,
                kind: BuildKind::Replay,
                cargo_log: None,
            });
            let compile_started = Instant::now();
            let plan = record
                .replay
                .clone()
                .expect("a replayable record has a plan");
            let replayed = replay::replay(&plan, &changes, &state_dir, reporter)?;
            record.record_replay(&replayed)?;
            record.learn(known.as_ref());
            record.save(&state_dir)?;
            let mut outcome = DevelopOutcome::from_record(DevelopAction::Replayed, &record);
            outcome.reason = Some(reason);
            outcome.written = replayed.written;
            outcome.timings.compile = compile_started.elapsed();
            outcome
        }
        Decision::Full { reason, changes } => {
            replay::bump_for_cargo(&changes, &state_dir)?;
            full_build::run(
                &mut request,
                full_build::Context {
                    python: &python,
                    cache: &cache,
                    state_dir: &state_dir,
                    settings,
                    previous_outputs: &previous_outputs,
                    known: known.as_ref(),
                },
                reason,
                reporter,
            )?
        }
    };
    outcome.waited = waited;
    outcome.timings.freshness_check = freshness_check;
    outcome.timings.total = started.elapsed();
    Ok(outcome)
}

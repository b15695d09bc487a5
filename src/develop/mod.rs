//! The pipeline every front end runs: **check** the recorded inputs, **decide** (up to date /
//! replay cargo / full develop), **build**, **install**, **record**. `maturin develop`, the
//! `--with-hook` finder, the importers of `install()`, the watcher, the notebook extension and
//! the pytest plugin all call [`develop`]; they differ only in the [`Reporter`] they pass.
//!
//! A full build uses the maturin library in process and installs the wheel itself (no pip for
//! the project); missing dependencies are installed with pip or uv. The record of the build
//! makes an unchanged project cost a few stats the next time.

mod cargo_commands;
mod cargo_paths;
mod dependencies;
pub mod editable;
mod front_ends;
mod full_build;
mod install;
pub mod options;
mod record_build;
mod restore;

pub use cargo_commands::command_recorder;
pub use front_ends::develop_request;
pub use options::parse_develop_args;

use crate::build_cache::BuildCache;
use crate::environment::environment_python;
use crate::interpreter;
use crate::shared_store::SharedStore;
use anyhow::{bail, Result};
use maturin::DevelopOptions;
use maturin_hook_core::cache_location;
use maturin_hook_core::decision::{decide, Decision, Reason, Settings, Situation};
use maturin_hook_core::lock::ProjectLock;
use maturin_hook_core::outcome::{Action, Outcome};
use maturin_hook_core::pipeline;
use maturin_hook_core::record::{BuildRecord, Checking, Loaded};
use maturin_hook_core::replay;
use maturin_hook_core::report::Reporter;
use maturin_hook_core::request::BuildRequest;
use maturin_hook_core::store::{Found, Store, StoredInstall};
use std::path::{Path, PathBuf};
use std::time::Instant;

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
    /// Where the build goes (default: the environment).
    pub install_target: InstallTarget,
    /// The interpreter to build for (default: the environment's `bin/python`; an editable
    /// install carrying the hook builds for the base interpreter, as its backend build did).
    pub python: Option<PathBuf>,
    /// Build in release mode unless a profile was chosen (on the command line or in
    /// pyproject.toml), as PEP 517 builds do.
    pub release_by_default: bool,
    /// Called when a build is due (see [`Prepare`]).
    pub prepare: Option<Prepare>,
    /// The build cache to keep the record and lock in (default: the environment's).
    pub build_dir: Option<PathBuf>,
    /// Files the build is to be considered to depend on besides those it read (the lists of a
    /// Python `ProjectFileSearcher`): a change of one, or of the list, is a full develop.
    pub extra_inputs: Vec<PathBuf>,
    /// The front end's request (see `maturin_hook_core::request`), recorded with its key
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
            install_target: InstallTarget::Environment,
            python: None,
            release_by_default: false,
            prepare: None,
            build_dir: None,
            extra_inputs: Vec::new(),
            request: None,
            checking: Checking::Develop,
            cargo_dir: None,
        }
    }

    /// The interpreter the build is for.
    pub fn python(&self) -> PathBuf {
        match &self.python {
            Some(python) => python.clone(),
            None => environment_python(&self.environment),
        }
    }

    /// The fingerprint of the settings of this request with the interpreter `python`, which
    /// the decision compares with the record's (see [`options::fingerprint`]).
    pub fn settings_fingerprint(&self, python: &Path) -> String {
        let mut extra_inputs = self.extra_inputs.clone();
        extra_inputs.sort();
        extra_inputs.dedup();
        options::fingerprint(&options::Fingerprinted {
            options: &self.options,
            python,
            with_hook: self.hook.is_some(),
            release_by_default: self.release_by_default,
            extra_inputs: &extra_inputs,
        })
    }
}

/// Runs the pipeline for `request` as `options` say (how long to wait for another build, and
/// whether to build even when nothing changed), telling `reporter` what happens.
pub fn develop(
    mut request: DevelopRequest,
    options: pipeline::Options,
    reporter: &dyn Reporter,
) -> Result<Outcome> {
    let started = Instant::now();
    if request.upstream_install {
        maturin::develop(request.options, &request.environment)?;
        return Ok(Outcome::new(Action::UpstreamInstall));
    }
    if request.hook.is_some() && request.install_target != InstallTarget::Environment {
        bail!("the import hook can only be installed into an environment");
    }
    let python = request.python();
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
    let project_dir =
        cache_location::project_dir(request.options.cargo_options.manifest_path.as_deref())?;
    if project_dir.as_os_str().as_encoded_bytes().contains(&b'\n') {
        bail!(
            "the project's path {project_dir:?} contains a line break: cargo's dep-info files, \
             which say what a build read, cannot name files there, so later edits would go \
             unseen. Rename or move the project to a path without one."
        );
    }
    let state_dir = match &request.state_dir {
        Some(dir) => dir.clone(),
        None => cache_location::develop_state_dir(cache.root(), &project_dir),
    };
    request.extra_inputs.sort();
    request.extra_inputs.dedup();
    let settings = request.settings_fingerprint(&python);

    let mut waited = false;
    let _lock = ProjectLock::acquire(&state_dir, options.lock_timeout, |wait| {
        waited = true;
        reporter.waiting_for_lock(wait);
    })?;
    let known = match &request.request {
        Some(build) => Some(build.known(&request.environment)?),
        None => None,
    };
    let check_started = Instant::now();
    let loaded = BuildRecord::load(&state_dir, &request.environment);
    let previous_outputs = match &loaded {
        Loaded::Record(record) => record.output_paths(),
        _ => Vec::new(),
    };
    let store = Store::local();
    let situation = |loaded| Situation {
        loaded,
        environment: &request.environment,
        request: known.as_ref(),
        settings: Settings::Fingerprint(&settings),
        force: options.force,
        skip_install: request.options.skip_install,
        checking: request.checking,
        store: store.as_ref(),
    };
    let mut decision = decide(situation(loaded));
    // a build the local store does not have may be in the shared store
    let shared = shared_store(reporter);
    if let (Decision::Replay { record, .. }, Some(shared), Some(local_store)) =
        (&decision, &shared, &store)
    {
        if let Some(shelf) = &record.store_shelf {
            match shared.fetch(shelf, &record.project_dir, local_store) {
                Ok(true) => {
                    decision = decide(situation(BuildRecord::load(
                        &state_dir,
                        &request.environment,
                    )))
                }
                Ok(false) => {}
                Err(error) => unreachable_store(reporter, shared, &error),
            }
        }
    }
    let freshness_check = check_started.elapsed();
    let mut outcome = match decision {
        Decision::UpToDate {
            record,
            save,
            adopted,
        } => {
            if save {
                record.save(&state_dir)?;
            }
            let action = match (adopted, waited) {
                (true, _) => Action::Adopted,
                (false, true) => Action::FoundRebuilt,
                (false, false) => Action::UpToDate,
            };
            Outcome::of_record(action, &record)
        }
        Decision::SourcesGone { reason } => pipeline::sources_gone(reason),
        Decision::Restore {
            record,
            found,
            reason,
            changes,
            ..
        } => pipeline::restore_else_replay(
            record,
            &found,
            &reason,
            &changes,
            &state_dir,
            known.as_ref(),
            store.as_ref(),
            reporter,
        )?,
        Decision::Replay {
            record,
            reason,
            changes,
            ..
        } => pipeline::replay_and_record(
            record,
            &reason,
            &changes,
            &state_dir,
            known.as_ref(),
            store.as_ref(),
            reporter,
        )?,
        Decision::Full { reason, changes } => {
            if let Reason::Untrusted(untrusted) = &reason {
                reporter.warning(&untrusted.to_string());
            }
            let shelf = options::store_shelf(&options::Shelved {
                options: &request.options,
                release_by_default: request.release_by_default,
                ext_suffix: &interpreter::probe(&python, &cache)?.ext_suffix,
            });
            let context = full_build::Context {
                python: &python,
                cache: &cache,
                state_dir: &state_dir,
                settings,
                previous_outputs: &previous_outputs,
                known: known.as_ref(),
                store: store.as_ref(),
                store_shelf: &shelf,
            };
            let stored = match (&reason, &store, &request.install_target) {
                (Reason::Forced | Reason::SkipInstall, _, _) => None,
                (_, Some(local_store), InstallTarget::Environment) if !request.upstream_install => {
                    stored_install(local_store, shared.as_ref(), &shelf, &project_dir, reporter)
                }
                _ => None,
            };
            match stored {
                Some((found, install)) => restore::from_store(
                    &request,
                    &found,
                    &install,
                    context,
                    reason.to_string(),
                    reporter,
                )?,
                None => {
                    replay::bump_for_cargo(&changes, &state_dir)?;
                    full_build::run(
                        &mut request,
                        options.force,
                        context,
                        reason.to_string(),
                        reporter,
                    )?
                }
            }
        }
    };
    if let (true, Some(shared), Some(local_store)) = (outcome.action.built(), &shared, &store) {
        publish(
            shared,
            local_store,
            &state_dir,
            &request.environment,
            reporter,
        );
    }
    outcome.waited = waited;
    outcome.timings.freshness_check = freshness_check;
    outcome.timings.total = started.elapsed();
    Ok(outcome)
}

/// The configured shared store of built extensions; a URL that cannot be used is reported and
/// the build goes on without it.
fn shared_store(reporter: &dyn Reporter) -> Option<SharedStore> {
    SharedStore::configured().unwrap_or_else(|error| {
        reporter.warning(&format!("{error:#}; building without it"));
        None
    })
}

fn unreachable_store(reporter: &dyn Reporter, shared: &SharedStore, error: &anyhow::Error) {
    reporter.warning(&format!(
        "the shared store {} cannot be used ({error:#}); building without it",
        shared.url()
    ));
}

/// A build in the store (the local one, else the shared one) of the project at `project_dir`
/// as its sources are now, on `shelf`, that can be installed without building.
fn stored_install(
    local_store: &Store,
    shared: Option<&SharedStore>,
    shelf: &str,
    project_dir: &Path,
    reporter: &dyn Reporter,
) -> Option<(Found, StoredInstall)> {
    let installable = |found: Found| {
        let install = found.entry.install.clone()?;
        Some((found, install))
    };
    pipeline::warn_if_untrusted(Some(local_store), Some(shelf), reporter);
    if let Some(found) = local_store.find(shelf, project_dir).and_then(installable) {
        return Some(found);
    }
    let shared = shared?;
    match shared.fetch(shelf, project_dir, local_store) {
        Ok(true) => local_store.find(shelf, project_dir).and_then(installable),
        Ok(false) => None,
        Err(error) => {
            unreachable_store(reporter, shared, &error);
            None
        }
    }
}

/// Copies the build just recorded in `state_dir` from the local store to the shared one.
fn publish(
    shared: &SharedStore,
    local_store: &Store,
    state_dir: &Path,
    environment: &Path,
    reporter: &dyn Reporter,
) {
    let Loaded::Record(record) = BuildRecord::load(state_dir, environment) else {
        return;
    };
    let key = match local_store.put(&record, None) {
        Ok(Some(kept)) => kept.key,
        Ok(None) => return,
        Err(error) => {
            tracing::debug!("not publishing the build: {error:#}");
            return;
        }
    };
    match shared.publish(&key, local_store) {
        Ok(true) => reporter.step(&format!("📤 Published the build to {}", shared.url())),
        Ok(false) => {}
        Err(error) => unreachable_store(reporter, shared, &error),
    }
}

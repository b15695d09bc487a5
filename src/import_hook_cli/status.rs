//! `maturin import-hook status`: every project the import hook builds in an environment (by
//! `maturin develop --with-hook` or an editable install that carries the hook, by the project
//! importer of `install()`, `.rs` files by the file importer) and what the next import of each
//! will do, decided as the import decides it but without building, locking or writing.

use super::OutputFormat;
use crate::build_cache::BuildCache;
use crate::develop::develop_request;
use crate::environment::Environment;
use crate::hook;
use crate::interpreter;
use crate::rs_file;
use anyhow::Result;
use maturin_hook_core::cache_location;
use maturin_hook_core::decision::{decide, Decision, Settings, Situation};
use maturin_hook_core::last_failure::{self, LastFailure};
use maturin_hook_core::record::{BuildRecord, Checking, Loaded};
use maturin_hook_core::request::BuildRequest;
use maturin_hook_core::store::Store;
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One project as one front end builds it.
#[derive(Debug, Serialize)]
pub struct ProjectStatus {
    /// The top-level modules an import of which brings it up to date.
    pub modules: Vec<String>,
    /// The distribution name of its last build, when there is one.
    pub name: Option<String>,
    pub front_end: &'static str,
    /// The maturin flags it builds with, as given.
    pub settings: Vec<String>,
    /// The project directory (a `.rs` file for the file importer).
    pub source: PathBuf,
    pub next_import: NextImport,
    /// The last build that failed, unless one succeeded since.
    pub last_failure: Option<LastFailure>,
    pub state_dir: PathBuf,
}

/// What the next import does.
#[derive(Debug, Serialize)]
pub struct NextImport {
    /// `up-to-date`, `adopt` (takes over the build of an editable install, which is up to
    /// date), `adopt-and-replay`, `replay` (cargo again, as the last build ran it), `restore`
    /// (the store's build of the sources as they are now, without cargo),
    /// `full-develop`, `last-build` (the sources are gone: imports what was built last) or
    /// `cannot-build`.
    pub action: &'static str,
    pub reason: Option<String>,
}

/// The projects of `environment`, hooked ones first.
pub fn collect(environment: &Environment) -> Result<Vec<ProjectStatus>> {
    let mut projects = Vec::new();
    let mut seen = BTreeSet::new();
    let python = environment.python()?;
    let facts = interpreter::probe(python, &BuildCache::for_environment(&environment.root))?;
    for site_dir in BTreeSet::from([facts.purelib, facts.platlib]) {
        for (names, request) in hooks_in(&site_dir) {
            let status = project_status(environment, names, &request)?;
            seen.insert(status.state_dir.clone());
            projects.push(status);
        }
    }
    let cache_root = cache_location::environment_cache_root(&environment.root);
    let state_dirs = subdirectories(&cache_root.join("projects")).chain(
        subdirectories(&cache_root.join(cache_location::RS_FILES_DIR))
            .map(|entry| cache_location::rs_file_state_dir(&entry)),
    );
    for state_dir in state_dirs {
        if seen.contains(&state_dir) {
            continue;
        }
        if let Loaded::Record(record) = BuildRecord::load(&state_dir, &environment.root) {
            for known in &record.requests {
                if !matches!(known.request, BuildRequest::Hook { .. }) {
                    projects.push(project_status(
                        environment,
                        record.modules.clone(),
                        &known.request,
                    )?);
                }
            }
        }
    }
    Ok(projects)
}

fn subdirectories(dir: &Path) -> impl Iterator<Item = PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
}

/// The hooks of the `.pth` files that `--with-hook` (or an editable install carrying the hook)
/// put into `site_dir`.
pub(super) fn hooks_in(site_dir: &Path) -> Vec<(Vec<String>, BuildRequest)> {
    let mut hooks: Vec<(Vec<String>, BuildRequest)> = subfiles(site_dir)
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("maturin_hook-") && name.ends_with(".pth"))
        })
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .filter_map(|text| text.lines().find_map(hook::read_pth))
        .collect();
    hooks.sort_by(|a, b| a.0.cmp(&b.0));
    hooks
}

fn subfiles(dir: &Path) -> impl Iterator<Item = PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
}

fn project_status(
    environment: &Environment,
    modules: Vec<String>,
    request: &BuildRequest,
) -> Result<ProjectStatus> {
    let id = request.id(&environment.root)?;
    let (front_end, settings, source) = match request {
        BuildRequest::Hook {
            args,
            manifest_path,
            ..
        } => (
            "maturin develop --with-hook",
            args.clone(),
            manifest_path
                .parent()
                .unwrap_or(manifest_path)
                .to_path_buf(),
        ),
        BuildRequest::Editable {
            args,
            manifest_path,
            ..
        } => (
            "editable install with the hook",
            args.clone(),
            manifest_path
                .parent()
                .unwrap_or(manifest_path)
                .to_path_buf(),
        ),
        BuildRequest::ProjectImporter {
            args,
            manifest_path,
            ..
        } => (
            "install(): project importer",
            args.clone(),
            manifest_path
                .parent()
                .unwrap_or(manifest_path)
                .to_path_buf(),
        ),
        BuildRequest::RsFile { args, rs_file, .. } => (
            if is_notebook_cell(rs_file) {
                "notebook: %%rust cell"
            } else {
                "install(): .rs file importer"
            },
            args.clone(),
            rs_file.clone(),
        ),
    };
    let name = match BuildRecord::load(&id.state_dir, &environment.root) {
        Loaded::Record(record) => Some(record.name.clone()),
        _ => None,
    };
    Ok(ProjectStatus {
        modules,
        name,
        front_end,
        settings,
        source,
        next_import: next_import(request, &environment.root),
        last_failure: last_failure::read(&id.state_dir),
        state_dir: id.state_dir,
    })
}

/// Whether `rs_file` is the source of a notebook's `%%rust` cell, which the IPython extension
/// writes under `<IPython cache>/maturin_import_hook/rust_cells/` (`_ipython._write_cell`).
fn is_notebook_cell(rs_file: &Path) -> bool {
    rs_file
        .ancestors()
        .any(|dir| dir.ends_with("maturin_import_hook/rust_cells"))
}

/// What the pipeline would do for `request` now, without building, locking or writing: the
/// import's decision with the request's key and, where that hands over to a full develop, the
/// decision of that develop with the fingerprint of the settings.
pub fn plan(request: &BuildRequest, environment: &Path) -> Result<Decision> {
    let known = request.known(environment)?;
    let state_dir = request.id(environment)?.state_dir;
    let store = Store::local();
    let situation = |settings| Situation {
        loaded: BuildRecord::load(&state_dir, environment),
        environment,
        request: Some(&known),
        settings,
        force: false,
        skip_install: false,
        checking: Checking::Import,
        store: store.as_ref(),
    };
    let light = decide(situation(Settings::Listed));
    if !matches!(light, Decision::Full { .. }) {
        return Ok(light);
    }
    let develop = match request {
        BuildRequest::RsFile { .. } => rs_file::planned_develop(request, environment)?,
        _ => develop_request(request, environment)?,
    };
    let fingerprint = develop.settings_fingerprint(&develop.python());
    Ok(decide(Situation {
        skip_install: develop.options.skip_install,
        checking: develop.checking,
        ..situation(Settings::Fingerprint(&fingerprint))
    }))
}

/// What the next import of `request` does (see [`plan`]).
fn next_import(request: &BuildRequest, environment: &Path) -> NextImport {
    let next = |action: &'static str, reason: Option<String>| NextImport { action, reason };
    let planned = match plan(request, environment) {
        Ok(decision) => decision,
        Err(error) => return next("cannot-build", Some(format!("{error:#}"))),
    };
    let next = match planned {
        Decision::UpToDate { adopted: false, .. } => next("up-to-date", None),
        Decision::UpToDate { adopted: true, .. } => next(
            "adopt",
            Some("the editable install's build is up to date".to_string()),
        ),
        Decision::Replay {
            reason, adopted, ..
        } => next(
            if adopted {
                "adopt-and-replay"
            } else {
                "replay"
            },
            Some(reason.to_string()),
        ),
        Decision::Restore { reason, found, .. } => next(
            "restore",
            Some(format!(
                "{reason}; the store has this state ({})",
                found.entry.built.describe()
            )),
        ),
        Decision::Full { reason, .. } => next("full-develop", Some(reason.to_string())),
        Decision::SourcesGone { reason } => next("last-build", Some(reason)),
    };
    if matches!(next.action, "replay" | "adopt-and-replay" | "full-develop") && !cargo_on_path() {
        return NextImport {
            action: "cannot-build",
            reason: Some(format!(
                "{}, but cargo is not on PATH: install Rust (https://rustup.rs) or put cargo on \
                 PATH",
                next.reason.unwrap_or_default()
            )),
        };
    }
    next
}

fn cargo_on_path() -> bool {
    let cargo = std::env::var_os("CARGO").map(PathBuf::from);
    cargo.is_some_and(|cargo| cargo.is_file())
        || std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|dir| {
                dir.join(if cfg!(windows) { "cargo.exe" } else { "cargo" })
                    .is_file()
            })
        })
}

/// `maturin import-hook status [--format json]`.
pub fn status(environment: &Environment, format: OutputFormat, out: &mut dyn Write) -> Result<()> {
    let projects = collect(environment)?;
    match format {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(&projects)?)?,
        OutputFormat::Text => {
            if projects.is_empty() {
                writeln!(
                    out,
                    "No project is built by the import hook in {} (none has `maturin develop \
                     --with-hook`, none was built by install() with this environment's cache).",
                    environment.root.display()
                )?;
            }
            for project in &projects {
                writeln!(
                    out,
                    "{} ({}){}",
                    project.modules.join(", "),
                    project.front_end,
                    project
                        .name
                        .as_deref()
                        .map(|name| format!(": {name}"))
                        .unwrap_or_default()
                )?;
                writeln!(out, "    source:      {}", project.source.display())?;
                if !project.settings.is_empty() {
                    writeln!(out, "    settings:    {}", project.settings.join(" "))?;
                }
                let next = &project.next_import;
                let said = match next.action {
                    "up-to-date" => "up to date: imports as installed".to_string(),
                    "adopt" => "takes over the build of the editable install".to_string(),
                    "adopt-and-replay" => {
                        "takes over the build of the editable install and replays cargo".to_string()
                    }
                    "replay" => "replays cargo (Rust sources changed)".to_string(),
                    "restore" => "restores a stored build, without cargo".to_string(),
                    "full-develop" => "runs a full develop".to_string(),
                    "last-build" => "imports its last build".to_string(),
                    _ => "cannot build".to_string(),
                };
                match &next.reason {
                    Some(reason) => writeln!(out, "    next import: {said}: {reason}")?,
                    None => writeln!(out, "    next import: {said}")?,
                }
                if let Some(failure) = &project.last_failure {
                    writeln!(out, "    last build:  failed {}", failure.describe())?;
                }
            }
        }
    }
    Ok(())
}

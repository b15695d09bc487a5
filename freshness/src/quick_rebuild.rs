//! Rebuilding after a change of Rust sources only, without maturin: replay the cargo command
//! that the last full build ran (its arguments and the environment maturin gave it, so cargo
//! sees exactly what it saw then and reuses pyo3's build), then copy the new artifact over the
//! installed files, atomically. cargo's diagnostics go to stderr as they come and are kept for
//! the error of a failed build.

use crate::fingerprint::{self, Change, InputRecord};
use crate::lock::ProjectLock;
use crate::state::{self, DevelopState, Scope, Verdict};
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How to redo the compile step of a build.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RebuildPlan {
    /// One per cargo target maturin compiled.
    pub steps: Vec<CargoStep>,
    /// cargo's dep-info files of the compiled targets: read again after the build, so that a
    /// new `mod` file becomes an input.
    pub dep_info: Vec<PathBuf>,
    /// Inputs under these directories are never recorded (registry sources, toolchains, the
    /// target directory).
    pub excluded_roots: Vec<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CargoStep {
    pub command: RecordedCommand,
    /// The file cargo writes (`target/debug/libfoo.so`, `target/debug/foo`).
    pub artifact: PathBuf,
    /// Where the last build installed it (the environment, a mixed project's source tree).
    pub destinations: Vec<PathBuf>,
}

/// A process to run, as maturin ran it: program, arguments and the changes it made to the
/// inherited environment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordedCommand {
    pub program: String,
    pub args: Vec<String>,
    pub set_env: Vec<(String, String)>,
    pub removed_env: Vec<String>,
    pub current_dir: Option<PathBuf>,
}

impl RecordedCommand {
    pub fn to_command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        for name in &self.removed_env {
            command.env_remove(name);
        }
        for (name, value) in &self.set_env {
            command.env(name, value);
        }
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
        }
        command
    }
}

/// cargo failed: its status and what it said on stderr (the compiler's diagnostics).
#[derive(Debug)]
pub struct CargoFailed {
    pub status: std::process::ExitStatus,
    pub diagnostics: String,
}

/// One line: the diagnostics were shown as cargo printed them (or are kept for the caller).
impl std::fmt::Display for CargoFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cargo failed ({})", self.status)
    }
}

impl std::error::Error for CargoFailed {}

/// What a quick rebuild did.
#[derive(Debug, Default)]
pub struct Rebuilt {
    /// Installed files that were replaced.
    pub written: Vec<PathBuf>,
    /// cargo's stderr (progress, warnings).
    pub diagnostics: String,
}

/// Replays `state`'s plan after the source `changes`, installs the new artifacts and records
/// the new build in `state_dir`. The caller holds the project lock. `show_output`: pass
/// cargo's stderr (progress, warnings) on to ours as it comes; it is kept either way.
pub fn rebuild(
    state: &mut DevelopState,
    state_dir: &Path,
    changes: &[Change],
    show_output: bool,
) -> Result<Rebuilt> {
    let plan = state
        .quick_rebuild
        .clone()
        .ok_or_else(|| anyhow!("this build cannot be replayed without maturin"))?;
    state::make_cargo_see(changes, state_dir)?;
    let build_started_ns = fingerprint::filesystem_now(state_dir)?;
    let mut rebuilt = Rebuilt::default();
    for step in &plan.steps {
        rebuilt.diagnostics.push_str(&run_cargo(step, show_output)?);
    }
    for step in &plan.steps {
        for destination in &step.destinations {
            copy_atomically(&step.artifact, destination)?;
            rebuilt.written.push(destination.clone());
        }
    }
    state.sources = fingerprint::inputs_from_dep_info(&plan.dep_info, &plan.excluded_roots)?
        .iter()
        .map(|path| InputRecord::capture_after_build(path, build_started_ns))
        .collect::<Result<_>>()?;
    for record in &mut state.outputs {
        if rebuilt.written.contains(&record.path) {
            *record = InputRecord::stamp_only(&record.path)?;
        }
    }
    state.build_started_ns = build_started_ns;
    state.save(state_dir)?;
    Ok(rebuilt)
}

/// What [`refresh`] did.
#[derive(Debug)]
pub enum Refresh {
    Fresh,
    Rebuilt {
        reason: String,
        rebuilt: Rebuilt,
    },
    /// A full develop is needed (the lock is released again).
    NeedsDevelop {
        reason: String,
    },
}

/// Whether the build recorded in `state_dir` is up to date (stats only, unless a touched input
/// needs hashing; new stamps are saved). The first step of [`refresh`], without the lock.
pub fn is_fresh(state_dir: &Path) -> bool {
    fresh_state(state_dir, None).is_some()
}

/// The state in `state_dir` when it is up to date and holds the build of the request with
/// `request_key` (see [`crate::state::request_key`]); checked as [`is_fresh`] does.
pub fn fresh_state(state_dir: &Path, request_key: Option<&str>) -> Option<DevelopState> {
    let mut state = DevelopState::load(state_dir)?;
    if request_key.is_some_and(|key| !state.request_keys.iter().any(|known| known == key)) {
        return None;
    }
    match state.check() {
        Verdict::Fresh { restamped } => {
            if restamped {
                // Only saves future hashing: a read-only cache is no reason to fail an import.
                if let Err(error) = state.save(state_dir) {
                    tracing::debug!("not saving new stamps: {error:#}");
                }
            }
            Some(state)
        }
        Verdict::Stale { .. } => None,
    }
}

/// The import path: the state in `state_dir` is checked (stats only when nothing changed);
/// a Rust-only change is rebuilt under the project lock, after checking again (another process
/// may have rebuilt it meanwhile).
pub fn refresh(
    state_dir: &Path,
    lock_timeout: Option<Duration>,
    on_wait: impl FnOnce(&Path),
    on_rebuild: impl FnOnce(&str),
    show_output: bool,
) -> Result<Refresh> {
    if is_fresh(state_dir) {
        return Ok(Refresh::Fresh);
    }
    let _lock = ProjectLock::acquire(state_dir, lock_timeout, on_wait)?;
    let Some(mut state) = DevelopState::load(state_dir) else {
        return Ok(Refresh::NeedsDevelop {
            reason: format!("no recorded build in {}", state_dir.display()),
        });
    };
    match state.check() {
        Verdict::Fresh { .. } => Ok(Refresh::Fresh),
        Verdict::Stale {
            reason,
            scope: Scope::Full,
            ..
        } => Ok(Refresh::NeedsDevelop { reason }),
        Verdict::Stale {
            reason,
            scope: Scope::RustOnly,
            changes,
        } => {
            on_rebuild(&reason);
            let rebuilt = rebuild(&mut state, state_dir, &changes, show_output)?;
            Ok(Refresh::Rebuilt { reason, rebuilt })
        }
    }
}

/// Runs one recorded cargo command: its JSON messages are read from stdout, its stderr is
/// passed on to ours and kept.
fn run_cargo(step: &CargoStep, show_output: bool) -> Result<String> {
    let mut command = step.command.to_command();
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    tracing::debug!("running {command:?}");
    let mut child = command
        .spawn()
        .with_context(|| format!("failed to run `{}`", step.command.program))?;
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let forwarder = std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buffer = [0; 8192];
        while let Ok(read) = stderr.read(&mut buffer) {
            if read == 0 {
                break;
            }
            if show_output {
                let _ = std::io::stderr().write_all(&buffer[..read]);
            }
            kept.extend_from_slice(&buffer[..read]);
        }
        String::from_utf8_lossy(&kept).into_owned()
    });
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut produced = false;
    for message in cargo_metadata::Message::parse_stream(BufReader::new(stdout)) {
        if let Ok(cargo_metadata::Message::CompilerArtifact(artifact)) = message {
            produced |= artifact
                .filenames
                .iter()
                .any(|file| file.as_std_path() == step.artifact);
        }
    }
    let status = child.wait().context("failed to wait for cargo")?;
    let diagnostics = forwarder.join().unwrap_or_default();
    if !status.success() {
        return Err(CargoFailed {
            status,
            diagnostics,
        }
        .into());
    }
    if !produced {
        bail!(
            "cargo did not produce {} this time; run `maturin develop` to rebuild the project",
            step.artifact.display()
        );
    }
    Ok(diagnostics)
}

/// Copies `from` over `to` by a rename, so that `to` is never half written and a process that
/// has the old file mapped keeps its copy.
fn copy_atomically(from: &Path, to: &Path) -> Result<()> {
    let dir = to
        .parent()
        .ok_or_else(|| anyhow!("{} has no directory", to.display()))?;
    let mut temporary = tempfile::Builder::new()
        .prefix(".maturin-hook-")
        .tempfile_in(dir)
        .with_context(|| {
            format!(
                "cannot write the rebuilt {} into {}: is the environment read-only?",
                to.file_name().unwrap_or_default().to_string_lossy(),
                dir.display()
            )
        })?;
    let mut source =
        std::fs::File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    std::io::copy(&mut source, temporary.as_file_mut())
        .with_context(|| format!("cannot write {}", to.display()))?;
    let permissions = source.metadata()?.permissions();
    temporary.as_file().set_permissions(permissions)?;
    temporary
        .persist(to)
        .with_context(|| format!("cannot replace {}", to.display()))?;
    Ok(())
}

//! Rebuilding after a change of Rust sources only, without maturin: run the cargo commands the
//! last full build ran (their arguments and the environment maturin gave them, so cargo sees
//! exactly what it saw then and reuses pyo3's build), then copy each new artifact over the
//! files it was installed as, atomically.

use crate::atomic_write::{self, Staged};
use crate::fingerprint::{self, Change};
use crate::report::{OutputSorter, Reporter};
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

/// cargo failed (its diagnostics went to the reporter, or to the terminal).
#[derive(Debug)]
pub struct CargoFailed {
    pub status: std::process::ExitStatus,
}

/// One line: the diagnostics were shown as cargo printed them.
impl std::fmt::Display for CargoFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cargo failed ({})", self.status)
    }
}

impl std::error::Error for CargoFailed {}

/// There is no `cargo` to run.
#[derive(Debug)]
pub struct CargoNotFound {
    pub program: String,
    /// The `PATH` it was looked for in.
    pub path: String,
}

impl std::fmt::Display for CargoNotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cargo was not found: `{}` is not on PATH ({}). Install Rust (https://rustup.rs) or \
             put cargo on PATH, then try again",
            self.program, self.path
        )
    }
}

impl std::error::Error for CargoNotFound {}

/// What a replay did.
#[derive(Debug, Default)]
pub struct Replayed {
    /// When cargo started, by the file system's clock (after the mtime bumps).
    pub build_started_ns: i128,
    /// Installed files that were replaced.
    pub written: Vec<PathBuf>,
    /// What the compiler read this time (from the dep-info files).
    pub sources: BTreeSet<PathBuf>,
}

/// Runs `plan`'s cargo commands and installs the new artifacts. `changes` are the changed
/// inputs: those whose mtime is older than the last build get the file system's time first
/// (see [`bump_for_cargo`]). The caller holds the project lock.
pub fn replay(
    plan: &RebuildPlan,
    changes: &[Change],
    clock_dir: &Path,
    reporter: &dyn Reporter,
) -> Result<Replayed> {
    bump_for_cargo(changes, clock_dir)?;
    let mut replayed = Replayed {
        build_started_ns: fingerprint::filesystem_now(clock_dir)?,
        ..Replayed::default()
    };
    let mut staged = Vec::new();
    for step in &plan.steps {
        staged.extend(run_cargo(step, reporter)?);
    }
    for (destination, new) in staged {
        new.commit()
            .map_err(|error| cannot_install(&destination, &error))?;
        replayed.written.push(destination);
    }
    replayed.sources = fingerprint::inputs_from_dep_info(&plan.dep_info, &plan.excluded_roots)?;
    Ok(replayed)
}

fn cannot_install(destination: &Path, error: &std::io::Error) -> anyhow::Error {
    let hint = match error.kind() {
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            "; is the environment read-only? The file or its directory cannot be written (its \
             permissions, a read-only file system, or an immutable file: `lsattr` shows an `i`). \
             Make it writable, or install into an environment you can write to"
        }
        std::io::ErrorKind::StorageFull => "; the disk is full",
        _ => "",
    };
    anyhow!(
        "cannot replace {} with its rebuilt version: {error}{hint}",
        destination.display()
    )
}

/// cargo compares a source's mtime with its own artifacts: a changed file that carries an old
/// mtime (a restored copy) would look fresh to it, so give those the current time of the file
/// system's clock (`clock_dir` holds the clock's marker). That clock, not the system's finer
/// one, so that the build which follows, whose start is taken from the same clock, does not
/// find the file modified after it started.
pub fn bump_for_cargo(changes: &[Change], clock_dir: &Path) -> Result<()> {
    let mut now = None;
    for change in changes {
        if change.older_than_build && change.path.is_file() {
            let now = match now {
                Some(now) => now,
                None => *now.insert(fingerprint::filesystem_now(clock_dir)?),
            };
            tracing::debug!("bumping the mtime of {} for cargo", change.path.display());
            fingerprint::bump_mtime(&change.path, now)?;
        }
    }
    Ok(())
}

/// Runs one recorded cargo command: its JSON messages are read from stdout; its stderr goes to
/// the reporter line by line or, when the reporter does not capture, to ours. Returns the new
/// artifact staged for each destination, copied when cargo reports it, while cargo still holds
/// its lock on the target directory: another project's cargo sharing that directory (and the
/// artifact's path) cannot slip its own build in between.
fn run_cargo(step: &CargoStep, reporter: &dyn Reporter) -> Result<Vec<(PathBuf, Staged)>> {
    let mut command = step.command.to_command();
    if let Some(colour) = crate::report::cargo_colour(reporter, &step.command.args) {
        command.env("CARGO_TERM_COLOR", colour);
    }
    let capture = reporter.captures_output();
    command.stdout(Stdio::piped()).stderr(if capture {
        Stdio::piped()
    } else {
        Stdio::inherit()
    });
    die_with_parent(&mut command);
    crate::interrupt::mark(&mut command);
    tracing::debug!("running {command:?}");
    let mut child = command.spawn().map_err(|error| {
        if error.kind() == std::io::ErrorKind::NotFound {
            anyhow::Error::new(CargoNotFound {
                program: step.command.program.clone(),
                path: std::env::var("PATH").unwrap_or_default(),
            })
        } else {
            anyhow!("failed to run `{}`: {error}", step.command.program)
        }
    })?;
    let stderr = child.stderr.take();
    let stdout = child.stdout.take().expect("stdout is piped");
    let produced = std::thread::scope(|scope| {
        if let Some(stderr) = stderr {
            scope.spawn(move || {
                let mut sorter = OutputSorter::default();
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    reporter.output(sorter.sort(&line));
                }
            });
        }
        let mut staged = None;
        for message in cargo_metadata::Message::parse_stream(BufReader::new(stdout)) {
            if let Ok(cargo_metadata::Message::CompilerArtifact(artifact)) = message {
                let ours = artifact
                    .filenames
                    .iter()
                    .any(|file| file.as_std_path() == step.artifact);
                if ours && staged.is_none() {
                    staged = Some(
                        step.destinations
                            .iter()
                            .map(|destination| {
                                atomic_write::stage_copy(&step.artifact, destination)
                                    .map(|new| (destination.clone(), new))
                                    .map_err(|error| cannot_install(destination, &error))
                            })
                            .collect::<Result<Vec<_>>>(),
                    );
                }
            }
        }
        staged
    });
    let status = child.wait().context("failed to wait for cargo")?;
    if !status.success() {
        return Err(CargoFailed { status }.into());
    }
    match produced {
        Some(staged) => staged,
        None => bail!(
            "cargo did not produce {} this time; run `maturin develop` to rebuild the project",
            step.artifact.display()
        ),
    }
}

/// A cargo we start must not outlive us: when the importing process is killed, its cargo would
/// go on as an orphan holding cargo's lock on the target directory, and the next build would
/// wait behind it.
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id();
    // SAFETY: prctl and getppid are async-signal-safe system calls; nothing is allocated.
    unsafe {
        command.pre_exec(move || {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
            // the parent may have died before the signal was armed
            if rustix::process::getppid().map(|pid| pid.as_raw_nonzero().get() as u32)
                != Some(parent)
            {
                return Err(std::io::Error::other("the parent process is gone"));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

//! `maturin develop --watch`: after the develop, run the same develop again whenever an input
//! of the last build changes, so that the environment is up to date before anything imports.
//!
//! What is watched is what the build record lists (cargo's dep-info, manifests, `Cargo.lock`,
//! `pyproject.toml`, cargo configuration, and the files that would be read if they existed),
//! taken anew after every build; not a directory tree. Each change runs the develop pipeline,
//! which compares contents (a touch builds nothing), replays cargo for a Rust-only change and
//! takes the project lock that imports take, so an import racing the watcher waits for its
//! build, or the watcher for the import's, and one build happens.

use crate::develop::{develop, DevelopRequest};
use anyhow::{Context, Result};
use maturin_hook_core::outcome::{Action, Outcome};
use maturin_hook_core::pipeline::Options;
use maturin_hook_core::report::Reporter;
use notify::event::{AccessKind, EventKind};
use notify::{RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Editors write a save as a burst (a temporary file renamed over the original, a formatter's
/// second write): a build starts once this long passed without another change.
const QUIET_PERIOD: Duration = Duration::from_millis(30);
/// How often the loop looks at [`WatchControl::stop`] while nothing happens.
const STOP_POLL: Duration = Duration::from_millis(200);
/// Ctrl-C on a terminal reaches cargo too, which may die of it before the stop request is
/// seen: a build that fails this soon after a stop request was stopped, not broken.
const STOP_GRACE: Duration = Duration::from_millis(300);

/// Why [`watch`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEnd {
    /// Stopped between builds.
    Stopped,
    /// Stopped while a build ran; the build did not finish.
    Interrupted,
}

/// What the watcher tells its front end, besides what its builds report.
pub trait WatchReporter: Reporter {
    /// Watching starts, or goes on with another set of inputs.
    fn watching(&self, _project: &str, _inputs: usize) {}
    /// A change was built and installed.
    fn rebuilt(&self, _outcome: &Outcome) {}
    /// A change did not build; the previous install is left as it was.
    fn failed(&self, _error: &anyhow::Error) {}
}

/// Shared between the watcher and whoever stops it (the command line's Ctrl-C handler).
#[derive(Debug, Default)]
pub struct WatchControl {
    stop: AtomicBool,
    building: AtomicBool,
}

impl WatchControl {
    /// Asks the watcher to return before its next build.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Whether a build runs right now.
    pub fn is_building(&self) -> bool {
        self.building.load(Ordering::SeqCst)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn stopped_within(&self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        while !self.stopped() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }
}

/// Watches the inputs of `first` (the develop that just ran) and runs the develop
/// `next_request` makes on every change, until `control` says stop. A failed build is reported
/// and watching goes on; only a failure to watch at all is an error.
pub fn watch(
    first: &Outcome,
    next_request: &dyn Fn() -> Result<DevelopRequest>,
    reporter: &dyn WatchReporter,
    control: &WatchControl,
) -> Result<WatchEnd> {
    let project = first.project_name.clone().unwrap_or_default();
    let (sender, events) = channel();
    let mut watcher =
        notify::recommended_watcher(sender).context("cannot watch the project's files")?;
    let mut inputs = Inputs::default();
    inputs.replace(&first.inputs, &mut watcher)?;
    reporter.watching(&project, inputs.files.len());
    let mut last_failed = false;
    loop {
        if !wait_for_change(&events, &inputs, last_failed, control) {
            return Ok(WatchEnd::Stopped);
        }
        control.building.store(true, Ordering::SeqCst);
        let result =
            next_request().and_then(|request| develop(request, Options::default(), reporter));
        control.building.store(false, Ordering::SeqCst);
        match result {
            Ok(outcome) => {
                last_failed = false;
                if outcome.action != Action::UpToDate {
                    reporter.rebuilt(&outcome);
                }
                if !outcome.inputs.is_empty() && !inputs.are(&outcome.inputs) {
                    inputs.replace(&outcome.inputs, &mut watcher)?;
                    reporter.watching(&project, inputs.files.len());
                }
            }
            Err(_) if control.stopped_within(STOP_GRACE) => return Ok(WatchEnd::Interrupted),
            Err(error) => {
                last_failed = true;
                reporter.failed(&error);
            }
        }
    }
}

/// Blocks until a change worth a develop settled (`true`) or the watcher is stopped (`false`).
fn wait_for_change(
    events: &Receiver<notify::Result<notify::Event>>,
    inputs: &Inputs,
    after_failure: bool,
    control: &WatchControl,
) -> bool {
    let mut changed_at: Option<Instant> = None;
    loop {
        if control.stopped() {
            return false;
        }
        let timeout = match changed_at {
            Some(at) => QUIET_PERIOD.saturating_sub(at.elapsed()),
            None => STOP_POLL,
        };
        match events.recv_timeout(timeout) {
            Ok(Ok(event)) => {
                if inputs.concerns(&event, after_failure) {
                    changed_at = Some(Instant::now());
                }
            }
            // the watch itself went wrong (an overflow of the kernel's queue): look anyway
            Ok(Err(error)) => {
                tracing::debug!("watch error: {error}");
                changed_at = Some(Instant::now());
            }
            Err(RecvTimeoutError::Timeout) => {
                if changed_at.is_some_and(|at| at.elapsed() >= QUIET_PERIOD) {
                    return true;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return false,
        }
    }
}

/// The files a build read, and the directories watched for them.
#[derive(Default)]
struct Inputs {
    files: BTreeSet<PathBuf>,
    /// Missing directories on the way to an input that does not exist (yet): their creation is
    /// a change too.
    missing_ancestors: BTreeSet<PathBuf>,
    watched: BTreeSet<PathBuf>,
}

impl Inputs {
    fn replace(&mut self, files: &[PathBuf], watcher: &mut impl Watcher) -> Result<()> {
        let mut directories = BTreeSet::new();
        let mut missing_ancestors = BTreeSet::new();
        for file in files {
            let mut directory = file.parent();
            while let Some(dir) = directory {
                if dir.is_dir() {
                    directories.insert(dir.to_path_buf());
                    break;
                }
                missing_ancestors.insert(dir.to_path_buf());
                directory = dir.parent();
            }
        }
        for gone in self.watched.difference(&directories) {
            // the directory may be gone already, which ends its watch by itself
            let _ = watcher.unwatch(gone);
        }
        for new in directories.difference(&self.watched) {
            watcher
                .watch(new, RecursiveMode::NonRecursive)
                .with_context(|| format!("cannot watch {}", new.display()))?;
        }
        self.watched = directories;
        self.missing_ancestors = missing_ancestors;
        self.files = files.iter().cloned().collect();
        Ok(())
    }

    fn are(&self, files: &[PathBuf]) -> bool {
        files.len() == self.files.len() && files.iter().all(|file| self.files.contains(file))
    }

    /// Whether `event` may have changed what the build read. After a failed build the inputs
    /// of the next one are not known yet (a new `mod foo;` needs a `foo.rs`): then any Rust
    /// source or manifest in a watched directory counts too.
    fn concerns(&self, event: &notify::Event, after_failure: bool) -> bool {
        if matches!(
            event.kind,
            EventKind::Access(AccessKind::Open(_) | AccessKind::Read | AccessKind::Close(_))
        ) {
            return false;
        }
        event.paths.iter().any(|path| {
            self.files.contains(path)
                || self.missing_ancestors.contains(path)
                || (after_failure && is_source_like(path))
        })
    }
}

fn is_source_like(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|extension| extension.to_str()),
        Some("rs" | "toml")
    )
}

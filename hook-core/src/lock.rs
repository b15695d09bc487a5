//! One build of a project at a time: an exclusive file lock (fs4) in the project's state
//! directory. Waiters re-check freshness once they hold it, so N processes importing one stale
//! project give one build. The lock goes with the process, so a killed build leaves none. The
//! holder writes who it is into the lock file, so that a waiter can say whom it waits for.

use anyhow::{bail, Context, Result};
use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const LOCK_FILE: &str = "lock";

/// How often a waiter is told that it still waits.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// Who holds a project's lock, as the holder wrote it into the lock file when it took it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    /// The holder's command line, shortened (`python -m pytest -n 2`).
    pub command: String,
    /// When it took the lock, in seconds since the Unix epoch.
    pub since: u64,
}

impl Holder {
    fn this_process() -> Holder {
        let mut args = std::env::args();
        // the program by its file name, the arguments as given
        let program = args
            .next()
            .map(|program| match Path::new(&program).file_name() {
                Some(name) => name.to_string_lossy().into_owned(),
                None => program,
            })
            .unwrap_or_default();
        let mut command = std::iter::once(program)
            .chain(args)
            .collect::<Vec<_>>()
            .join(" ");
        if command.chars().count() > 80 {
            command = command.chars().take(79).chain(['…']).collect();
        }
        Holder {
            pid: std::process::id(),
            command,
            since: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|now| now.as_secs())
                .unwrap_or_default(),
        }
    }

    fn read(path: &Path) -> Option<Holder> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }

    /// `process 4242 (python -m pytest -n 2), building since 2 min ago`.
    pub fn describe(&self) -> String {
        format!(
            "process {} ({}), building since {}",
            self.pid,
            self.command,
            crate::time_ago(self.since)
        )
    }
}

/// A wait for another build, as the waiter is told of it: when it starts (`waited` zero), then
/// every [`PROGRESS_EVERY`].
#[derive(Debug, Clone)]
pub struct LockWait<'a> {
    pub lock: &'a Path,
    /// Who holds the lock, when it said so.
    pub holder: Option<Holder>,
    pub waited: Duration,
}

/// Held until dropped.
pub struct ProjectLock {
    /// `None`: the state directory is not trusted (see [`crate::trust`]), and neither is a lock
    /// file in it: someone else could hold it forever, or make it a link to a file of ours.
    /// The record read from there is not trusted either, and that check says so.
    _file: Option<File>,
}

impl ProjectLock {
    /// Takes the lock of `state_dir`, waiting at most `timeout` (forever when `None`).
    /// `on_wait` is called if another process holds it, and then every [`PROGRESS_EVERY`].
    pub fn acquire(
        state_dir: &Path,
        timeout: Option<Duration>,
        mut on_wait: impl FnMut(&LockWait<'_>),
    ) -> Result<ProjectLock> {
        crate::trust::create_private_dir(state_dir).with_context(|| {
            format!(
                "cannot create the build cache directory {}",
                state_dir.display()
            )
        })?;
        let path = state_dir.join(LOCK_FILE);
        if !crate::trust::is_trusted(&path) {
            return Ok(ProjectLock { _file: None });
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        if try_lock(&file, &path)? {
            return Ok(ProjectLock::held(file));
        }
        let started = Instant::now();
        let wait = |waited| LockWait {
            lock: &path,
            holder: Holder::read(&path),
            waited,
        };
        on_wait(&wait(Duration::ZERO));
        let mut told = started;
        let deadline = timeout.map(|timeout| started + timeout);
        while deadline.is_none_or(|deadline| Instant::now() < deadline) {
            std::thread::sleep(Duration::from_millis(20));
            if crate::interrupt::requested() {
                return Err(crate::interrupt::Interrupted.into());
            }
            if try_lock(&file, &path)? {
                return Ok(ProjectLock::held(file));
            }
            if told.elapsed() >= PROGRESS_EVERY {
                told = Instant::now();
                on_wait(&wait(started.elapsed()));
            }
        }
        Err(LockTimeout {
            path,
            seconds: timeout.unwrap_or_default().as_secs_f64(),
        }
        .into())
    }
}

impl ProjectLock {
    /// The lock in `file`, just taken: the file now says who holds it (best effort: it only
    /// informs waiters).
    fn held(mut file: File) -> ProjectLock {
        let said = serde_json::to_vec(&Holder::this_process()).map(|holder| {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(&holder)
        });
        if let Ok(Err(error)) = said {
            tracing::debug!("cannot say who holds the lock: {error}");
        }
        ProjectLock { _file: Some(file) }
    }
}

fn try_lock(file: &File, path: &Path) -> Result<bool> {
    match FileExt::try_lock_exclusive(file) {
        Ok(true) => Ok(true),
        Ok(false) => Ok(false),
        Err(error) => bail!("cannot lock {}: {error}", path.display()),
    }
}

/// Another process held the lock for longer than the caller would wait.
#[derive(Debug)]
pub struct LockTimeout {
    pub path: PathBuf,
    pub seconds: f64,
}

impl std::fmt::Display for LockTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Acquiring lock \"{}\" timed out after {} seconds: another build of this project \
             held it all that time.",
            self.path.display(),
            self.seconds
        )
    }
}

impl std::error::Error for LockTimeout {}

//! One build of a project at a time: an exclusive file lock (fs4) in the project's state
//! directory. Waiters re-check freshness once they hold it, so N processes importing one stale
//! project give one build. The lock goes with the process, so a killed build leaves none.

use anyhow::{bail, Context, Result};
use fs4::fs_std::FileExt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const LOCK_FILE: &str = "lock";

/// Held until dropped.
pub struct ProjectLock {
    /// `None`: the state directory is not trusted (see [`crate::trust`]), and neither is a lock
    /// file in it: someone else could hold it forever, or make it a link to a file of ours.
    /// The record read from there is not trusted either, and that check says so.
    _file: Option<File>,
}

impl ProjectLock {
    /// Takes the lock of `state_dir`, waiting at most `timeout` (forever when `None`).
    /// `on_wait` is called once if another process holds it.
    pub fn acquire(
        state_dir: &Path,
        timeout: Option<Duration>,
        on_wait: impl FnOnce(&Path),
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
            return Ok(ProjectLock { _file: Some(file) });
        }
        on_wait(&path);
        let deadline = timeout.map(|timeout| Instant::now() + timeout);
        while deadline.is_none_or(|deadline| Instant::now() < deadline) {
            std::thread::sleep(Duration::from_millis(20));
            if crate::interrupt::requested() {
                return Err(crate::interrupt::Interrupted.into());
            }
            if try_lock(&file, &path)? {
                return Ok(ProjectLock { _file: Some(file) });
            }
        }
        Err(LockTimeout {
            path,
            seconds: timeout.unwrap_or_default().as_secs_f64(),
        }
        .into())
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

//! File system steps of an install: write a file only when it changed (atomically, by a
//! rename over the old one), undo what a failed install created, remove stale files and prune
//! the directories they leave empty. Errors name the path and suggest what to check.

use anyhow::{anyhow, Result};
use maturin_hook_core::atomic_write::{self, Permissions};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The permissions a file gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileMode {
    /// `0o666` minus the umask.
    Regular,
    /// `0o777` minus the umask (the wheel entry had an executable bit).
    Executable,
    /// Exactly `0o755` (scripts and launchers).
    Script,
}

/// What [`Transaction::sync_file`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The file already had this content and mode; it was not touched.
    Unchanged,
    /// The file was created, replaced, or had its mode fixed.
    Written,
}

/// The files and directories an install created, so that a failure can take them away again
/// (files that existed before are replaced atomically and stay replaced).
#[derive(Default)]
pub(crate) struct Transaction {
    created_files: Vec<PathBuf>,
    created_dirs: Vec<PathBuf>,
}

impl Transaction {
    /// Makes `path` hold `content` with `mode`, unless it already does.
    pub fn sync_file(&mut self, path: &Path, content: &[u8], mode: FileMode) -> Result<Outcome> {
        let existed = match fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return Err(anyhow!(
                    "cannot install the file {}: a directory of that name is in the way",
                    path.display()
                ));
            }
            Ok(meta) if meta.is_file() => {
                if meta.len() == content.len() as u64 {
                    let existing = fs::read(path).map_err(|err| io_error("read", path, &err))?;
                    if existing == content {
                        return fix_mode(path, &meta, mode);
                    }
                }
                true
            }
            // A symlink or something else: replaced by a regular file.
            Ok(_) => true,
            Err(err) if err.kind() == io::ErrorKind::NotFound => false,
            Err(err) => return Err(io_error("inspect", path, &err)),
        };
        self.replace(path, content, mode, existed)?;
        Ok(Outcome::Written)
    }

    /// Makes `path` hold `content` with `mode` by writing it anew (a new mtime) even when it
    /// already does.
    pub fn write_file(&mut self, path: &Path, content: &[u8], mode: FileMode) -> Result<()> {
        let existed = fs::symlink_metadata(path).is_ok();
        self.replace(path, content, mode, existed)
    }

    /// Writes `path` atomically (its directories made as needed); a file that did not exist
    /// before is remembered as created.
    fn replace(
        &mut self,
        path: &Path,
        content: &[u8],
        mode: FileMode,
        existed: bool,
    ) -> Result<()> {
        let parent = path
            .parent()
            .ok_or_else(|| anyhow!("cannot install {}: it has no parent", path.display()))?;
        self.create_dirs(parent)?;
        write_atomically(path, content, mode)?;
        if !existed {
            self.created_files.push(path.to_path_buf());
        }
        Ok(())
    }

    /// Creates `dir` and its missing parents, remembering which ones it created.
    fn create_dirs(&mut self, dir: &Path) -> Result<()> {
        if dir.is_dir() {
            return Ok(());
        }
        let missing: Vec<&Path> = dir
            .ancestors()
            .take_while(|ancestor| !ancestor.exists())
            .collect();
        for ancestor in missing.into_iter().rev() {
            match fs::create_dir(ancestor) {
                Ok(()) => self.created_dirs.push(ancestor.to_path_buf()),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists && ancestor.is_dir() => {}
                Err(err) => return Err(io_error("create the directory", ancestor, &err)),
            }
        }
        Ok(())
    }

    /// Best effort: removes the files and (then empty) directories this install created.
    pub fn roll_back(self) {
        for file in self.created_files.iter().rev() {
            if let Err(err) = fs::remove_file(file) {
                tracing::warn!(
                    "could not remove {} after a failed install: {err}",
                    file.display()
                );
            }
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Applies the executable bit a file should have without rewriting it.
fn fix_mode(path: &Path, meta: &fs::Metadata, mode: FileMode) -> Result<Outcome> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let current = meta.permissions().mode() & 0o7777;
        let wanted = match mode {
            FileMode::Script => 0o755,
            FileMode::Executable if current & 0o111 == 0 => current | ((current & 0o444) >> 2),
            FileMode::Regular if current & 0o111 != 0 => current & !0o111,
            _ => current,
        };
        if wanted != current {
            fs::set_permissions(path, fs::Permissions::from_mode(wanted))
                .map_err(|err| io_error("change the mode of", path, &err))?;
            return Ok(Outcome::Written);
        }
    }
    #[cfg(not(unix))]
    let _ = (path, meta, mode);
    Ok(Outcome::Unchanged)
}

/// Writes `content` over `path` with the permissions `mode` asks for (see
/// `maturin_hook_core::atomic_write`).
fn write_atomically(path: &Path, content: &[u8], mode: FileMode) -> Result<()> {
    let permissions = match mode {
        FileMode::Regular => Permissions::Default,
        FileMode::Executable => Permissions::Executable,
        FileMode::Script => Permissions::Exactly(0o755),
    };
    atomic_write::write(
        path,
        content,
        atomic_write::Options {
            permissions,
            sync: false,
        },
    )
    .map_err(|err| io_error("write", path, &err))
}

/// Removes a stale file, and for a `.py` file the bytecode Python cached for it.
/// Returns the paths removed. A file that is already gone is not an error.
pub(crate) fn remove_stale_file(path: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    match fs::remove_file(path) {
        Ok(()) => removed.push(path.to_path_buf()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(io_error("remove the stale file", path, &err)),
    }
    if path.extension().is_some_and(|ext| ext == "py") {
        if let (Some(dir), Some(stem)) = (path.parent(), path.file_stem()) {
            let prefix = format!("{}.", stem.to_string_lossy());
            if let Ok(entries) = fs::read_dir(dir.join("__pycache__")) {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if name.starts_with(&prefix)
                        && name.ends_with(".pyc")
                        && fs::remove_file(entry.path()).is_ok()
                    {
                        removed.push(entry.path());
                    }
                }
            }
        }
    }
    Ok(removed)
}

/// Removes the now empty directories above `path`, stopping at the first one that is not
/// empty, is one of `keep` or an ancestor of one, or is not inside any of `keep`.
pub(crate) fn prune_empty_dirs(path: &Path, keep: &[PathBuf]) {
    let mut dir = path.parent();
    while let Some(current) = dir {
        let protected = keep.iter().any(|root| root.starts_with(current));
        let inside = keep.iter().any(|root| current.starts_with(root));
        if protected || !inside || fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}

/// An error for `action` on `path`, with a hint for permission problems.
pub(crate) fn io_error(action: &str, path: &Path, err: &io::Error) -> anyhow::Error {
    let mut message = format!("cannot {action} {}: {err}", path.display());
    match err.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            message.push_str(
                "; is the environment read-only? Install into a virtual environment you can \
                 write to, or fix the permissions of that directory",
            );
            #[cfg(windows)]
            message.push_str(
                " (on Windows this also happens when a running Python process has the file \
                 loaded: stop it and try again)",
            );
        }
        io::ErrorKind::StorageFull => message.push_str("; the disk is full"),
        _ => {}
    }
    anyhow!(message)
}

//! Whom the hook believes. A build record holds commands the hook runs, an editable build's
//! record and the store hold files it installs: with the build cache on a directory others can
//! write (`MATURIN_BUILD_DIR=/tmp/…`), another user could plant them. So every directory the
//! hook makes is private to its user ([`create_private_dir`]), and a file it reads before
//! running or installing anything is believed only when it and its directory are owned by this
//! user and writable by nobody else ([`check`]). Elsewhere than on Unix everything is trusted.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A file (or its directory) that is not believed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted {
    /// The file or directory at fault.
    pub path: PathBuf,
    /// What is wrong with it: its owner or its permissions.
    pub problem: String,
}

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is not trusted ({}): ignoring it. If you did not make it, remove it or build \
             in a directory only you can write (MATURIN_BUILD_DIR); if you did, make it yours \
             and writable only by you (chown, chmod go-w)",
            self.path.display(),
            self.problem
        )
    }
}

impl std::error::Error for Untrusted {}

/// Whether `path` and its directory may be believed: each is owned by this user and not
/// writable by group or others. What does not exist is no objection (there is nothing to
/// believe), so a state directory someone else made is caught even before it holds a record.
pub fn check(path: &Path) -> Result<(), Untrusted> {
    check_one(path)?;
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => check_one(dir),
        _ => Ok(()),
    }
}

/// [`check`] as a yes or no.
pub fn is_trusted(path: &Path) -> bool {
    check(path).is_ok()
}

#[cfg(unix)]
fn check_one(path: &Path) -> Result<(), Untrusted> {
    use std::os::unix::fs::MetadataExt;
    // what a link points to is what would be read
    let Ok(meta) = fs::metadata(path) else {
        return Ok(());
    };
    let uid = rustix::process::geteuid().as_raw();
    let problem = if meta.uid() != uid {
        format!("it is owned by uid {}, not by you (uid {uid})", meta.uid())
    } else if meta.mode() & 0o022 != 0 {
        format!("its mode {:o} lets others write it", meta.mode() & 0o7777)
    } else {
        return Ok(());
    };
    Err(Untrusted {
        path: path.to_path_buf(),
        problem,
    })
}

#[cfg(not(unix))]
fn check_one(_path: &Path) -> Result<(), Untrusted> {
    Ok(())
}

/// Creates `dir` and its missing parents readable and writable by their owner only (`0700`).
/// A directory that exists already is left as it is: [`check`] judges what is read from it.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The permissions of the files the hook writes for itself: `0600`, so that a umask of `002`
/// does not make them untrusted.
pub const PRIVATE_FILE: crate::atomic_write::Permissions =
    crate::atomic_write::Permissions::Exactly(0o600);

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn with_mode(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn a_file_others_can_write_is_untrusted_a_private_one_is_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        create_private_dir(&state).unwrap();
        let file = state.join("develop.json");
        fs::write(&file, "{}").unwrap();
        with_mode(&file, 0o644);
        assert_eq!(check(&file), Ok(()));
        with_mode(&file, 0o666);
        let untrusted = check(&file).unwrap_err();
        assert_eq!(untrusted.path, file);
        assert!(untrusted.to_string().contains("666"), "{untrusted}");
    }

    #[test]
    fn a_directory_others_can_write_makes_what_it_holds_untrusted_even_absent() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        create_private_dir(&state).unwrap();
        assert_eq!(
            fs::metadata(&state).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let file = state.join("develop.json");
        assert!(is_trusted(&file));
        with_mode(&state, 0o777);
        assert_eq!(check(&file).unwrap_err().path, state);
    }

    #[test]
    fn a_file_owned_by_someone_else_is_untrusted() {
        if !rustix::process::geteuid().is_root() {
            return; // only root can give a file away
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lock");
        fs::write(&file, "").unwrap();
        with_mode(&file, 0o600);
        std::os::unix::fs::chown(&file, Some(65534), None).unwrap();
        assert!(check(&file).unwrap_err().problem.contains("65534"));
    }
}

//! The one way this project replaces a file: write a new file next to it, then rename it over
//! the old one. A reader sees the old or the new file, never a partial one, a process killed
//! mid-write leaves only a hidden temporary file behind, and a process that has the old file
//! mapped (a loaded extension module) keeps its copy.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The permissions the new file gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permissions {
    /// `0o666` minus the umask, as a newly created file.
    Default,
    /// `0o777` minus the umask.
    Executable,
    /// Exactly this Unix mode (ignored elsewhere).
    Exactly(u32),
    /// Those of the file being replaced (a new file: [`Permissions::Default`]).
    KeepExisting,
}

/// How to write.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub permissions: Permissions,
    /// `fsync` the new file before the rename: for files a person edits (sitecustomize.py),
    /// where a crash must not leave an empty file behind.
    pub sync: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            permissions: Permissions::Default,
            sync: false,
        }
    }
}

/// Replaces `path` with `content`. The directory must exist.
pub fn write(path: &Path, content: &[u8], options: Options) -> io::Result<()> {
    replace_with(path, options, |file| file.write_all(content))
}

/// A new content for a file, written next to it and not yet in its place.
pub struct Staged {
    temporary: tempfile::NamedTempFile,
    path: PathBuf,
}

impl Staged {
    /// Puts the new content in place (a rename).
    pub fn commit(self) -> io::Result<()> {
        self.temporary
            .persist(&self.path)
            .map(drop)
            .map_err(|error| error.error)
    }
}

/// Stages a copy of `from` (with `from`'s permissions) to replace `to`: what `from` holds now is
/// what [`Staged::commit`] puts in place later, whatever happens to `from` meanwhile.
pub fn stage_copy(from: &Path, to: &Path) -> io::Result<Staged> {
    let mut source = fs::File::open(from)?;
    let mode = source.metadata()?.permissions();
    stage_with(to, Options::default(), |file| {
        io::copy(&mut source, file)?;
        file.set_permissions(mode)
    })
}

/// Writes `content` to `path` unless it already holds exactly that: regenerating an unchanged
/// file changes no stamp. Creates the directory, private to the user (the files written so are
/// the hook's own). Returns whether it wrote.
pub fn write_if_changed(path: &Path, content: &[u8]) -> io::Result<bool> {
    if fs::read(path).is_ok_and(|existing| existing == content) {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        crate::trust::create_private_dir(dir)?;
    }
    write(path, content, Options::default())?;
    Ok(true)
}

fn replace_with(
    path: &Path,
    options: Options,
    fill: impl FnOnce(&mut fs::File) -> io::Result<()>,
) -> io::Result<()> {
    stage_with(path, options, fill)?.commit()
}

fn stage_with(
    path: &Path,
    options: Options,
    fill: impl FnOnce(&mut fs::File) -> io::Result<()>,
) -> io::Result<Staged> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name: String = path
        .file_name()
        .map(|name| name.to_string_lossy().chars().take(40).collect())
        .unwrap_or_default();
    let existing = match options.permissions {
        Permissions::KeepExisting => fs::metadata(path).ok().map(|meta| meta.permissions()),
        _ => None,
    };
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // created with these bits, so the umask applies as to any new file
        let created = match options.permissions {
            Permissions::Executable => 0o777,
            _ => 0o666,
        };
        builder.permissions(fs::Permissions::from_mode(created));
    }
    let mut temporary = builder.tempfile_in(dir)?;
    let file = temporary.as_file_mut();
    fill(file)?;
    #[cfg(unix)]
    if let Permissions::Exactly(mode) = options.permissions {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    if let Some(permissions) = existing {
        file.set_permissions(permissions)?;
    }
    if options.sync {
        file.sync_all()?;
    }
    Ok(Staged {
        temporary,
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_files_and_keeps_or_sets_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file.txt");
        write(&path, b"one", Options::default()).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one");
        assert!(write_if_changed(&path, b"two").unwrap());
        assert!(!write_if_changed(&path, b"two").unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
            write(
                &path,
                b"x",
                Options {
                    permissions: Permissions::Exactly(0o640),
                    sync: true,
                },
            )
            .unwrap();
            assert_eq!(mode(&path), 0o640);
            write(
                &path,
                b"y",
                Options {
                    permissions: Permissions::KeepExisting,
                    sync: false,
                },
            )
            .unwrap();
            assert_eq!(mode(&path), 0o640);
            let copied = dir.path().join("copy");
            let staged = stage_copy(&path, &copied).unwrap();
            fs::write(&path, "changed after staging").unwrap();
            assert!(!copied.exists());
            staged.commit().unwrap();
            assert_eq!(
                (fs::read(&copied).unwrap(), mode(&copied)),
                (b"y".to_vec(), 0o640)
            );
        }
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}

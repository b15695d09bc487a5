//! Freshness: has any input of the last build changed?
//!
//! Each input is recorded with its (mtime, size) and the sha256 of its content. Checking costs
//! one stat per input; only an input whose stat changed is hashed, and an unchanged hash (a
//! touch, a checkout of the same content) is not a change. Inputs are compared with their own
//! records, never with an artifact's mtime, so copies that keep old mtimes are still seen.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// What a stat says about a file. Besides mtime and size, on Unix the inode and the status
/// change time: a copy that restores an old mtime (`cp -p`, `rsync -t`, an archive) cannot
/// restore those, so even a same-size, same-mtime replacement is noticed and hashed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileStamp {
    pub mtime_ns: i128,
    pub size: u64,
    pub change_ns: i128,
    pub inode: u64,
}

impl FileStamp {
    pub fn of(path: &Path) -> std::io::Result<FileStamp> {
        let metadata = fs::metadata(path)?;
        let (change_ns, inode) = change_time_and_inode(&metadata);
        Ok(FileStamp {
            mtime_ns: nanos_since_epoch(metadata.modified()?),
            size: metadata.len(),
            change_ns,
            inode,
        })
    }
}

#[cfg(unix)]
fn change_time_and_inode(metadata: &fs::Metadata) -> (i128, u64) {
    use std::os::unix::fs::MetadataExt;
    let ns = i128::from(metadata.ctime()) * 1_000_000_000 + i128::from(metadata.ctime_nsec());
    (ns, metadata.ino())
}

#[cfg(not(unix))]
fn change_time_and_inode(_metadata: &fs::Metadata) -> (i128, u64) {
    (0, 0)
}

pub fn nanos_since_epoch(time: SystemTime) -> i128 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    }
}

/// The sha256 of `bytes` in lowercase hex: the one spelling every record and store uses.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The sha256 of a file's content, as [`sha256_hex`].
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut hasher = Sha256::new();
    let mut file = fs::File::open(path)?;
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    digest
        .iter()
        .fold(String::with_capacity(64), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

/// What [`InputRecord`] compares for a path: the sha256 of a file's content; a directory (an
/// input whose presence decides the project layout) only counts as present.
fn content_hash(path: &Path) -> std::io::Result<String> {
    if path.is_dir() {
        return Ok("directory".to_string());
    }
    sha256_file(path)
}

/// One file that a build read (or that must be absent, like an optional cargo config).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputRecord {
    pub path: PathBuf,
    /// `None`: the file did not exist.
    pub state: Option<RecordedFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordedFile {
    pub stamp: FileStamp,
    pub sha256: String,
    /// Modified after the build started: cargo may have read an older content than the one
    /// hashed here, so the next check takes the file for changed.
    #[serde(default)]
    pub unsettled: bool,
}

impl InputRecord {
    pub fn read(path: &Path) -> Result<InputRecord> {
        let state = match FileStamp::of(path) {
            Ok(stamp) => Some(RecordedFile {
                stamp,
                sha256: content_hash(path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
                unsettled: false,
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {}", path.display()))
            }
        };
        Ok(InputRecord {
            path: path.to_path_buf(),
            state,
        })
    }

    /// Like [`InputRecord::read`], for a build that started at `build_started_ns` (by the
    /// file system's clock): a file modified after that may have changed after the compiler
    /// read it, so it is marked unsettled. A file modified within the clock tick of the start
    /// is not: the compiler only reads sources well after the build starts. Nor is a file
    /// dated in the future (clock skew, an archive from another timezone): it was not modified
    /// during the build, and its content hash is what was built.
    pub fn read_after_build(path: &Path, build_started_ns: i128) -> Result<InputRecord> {
        let mut record = InputRecord::read(path)?;
        if let Some(state) = &mut record.state {
            let mtime = state.stamp.mtime_ns;
            state.unsettled =
                mtime > build_started_ns && mtime <= system_now_ns() + FUTURE_SLACK_NS;
        }
        Ok(record)
    }
}

/// How far past the system clock an mtime may be and still count as "now" (a file system's
/// clock can run a little ahead of the system's, as network file systems' do).
const FUTURE_SLACK_NS: i128 = 2_000_000_000;

fn system_now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_nanos() as i128)
        .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    Modified,
    Created,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: PathBuf,
    pub kind: ChangeKind,
    /// The file's content changed but its mtime is not newer than when the last build
    /// started: cargo, which compares mtimes, would take it for unchanged (a restored copy,
    /// an unpacked archive).
    pub older_than_build: bool,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            ChangeKind::Modified => "changed",
            ChangeKind::Created => "appeared",
            ChangeKind::Deleted => "was deleted",
        };
        write!(f, "{} {what}", self.path.display())
    }
}

/// What a check found.
#[derive(Debug, Default)]
pub struct Checked {
    /// Some inputs were touched without a content change and their records were updated
    /// (worth saving, to keep the next check stat-only).
    pub restamped: bool,
    /// Every input whose content changed, appeared or disappeared.
    pub changes: Vec<Change>,
}

/// Checks `records` against the file system, updating the stamps of touched-but-identical
/// files.
pub fn check(records: &mut [InputRecord], build_started_ns: i128) -> Checked {
    let mut checked = Checked::default();
    for record in records.iter_mut() {
        let current = FileStamp::of(&record.path).ok();
        let kind = match (&mut record.state, current) {
            (None, None) => None,
            (None, Some(_)) => Some(ChangeKind::Created),
            (Some(_), None) => Some(ChangeKind::Deleted),
            (Some(recorded), Some(_)) if recorded.unsettled => Some(ChangeKind::Modified),
            (Some(recorded), Some(stamp)) if recorded.stamp == stamp => None,
            (Some(recorded), Some(stamp)) => match content_hash(&record.path) {
                Ok(hash) if hash == recorded.sha256 => {
                    recorded.stamp = stamp;
                    checked.restamped = true;
                    None
                }
                _ => Some(ChangeKind::Modified),
            },
        };
        if let Some(kind) = kind {
            // A changed file that now carries an mtime from before the last build started (a
            // restored copy) looks unchanged to cargo. An unsettled file that was not touched
            // again does not: cargo dates its own records from the start of a build.
            let older_than_build = match (&record.state, current) {
                (Some(recorded), Some(stamp)) => {
                    stamp != recorded.stamp && stamp.mtime_ns <= build_started_ns
                }
                _ => false,
            };
            checked.changes.push(Change {
                path: record.path.clone(),
                kind,
                older_than_build,
            });
        }
    }
    checked
}

/// The current time as the file system records it (its clock can be coarser than the system
/// clock): the mtime of a marker file written now in `dir`. A file modified after this call
/// has an mtime at least as late.
pub fn filesystem_now(dir: &Path) -> Result<i128> {
    let marker = dir.join("clock");
    fs::write(&marker, b"").with_context(|| format!("cannot write {}", marker.display()))?;
    Ok(FileStamp::of(&marker)
        .with_context(|| format!("cannot stat {}", marker.display()))?
        .mtime_ns)
}

/// Gives `path` the mtime `mtime_ns` (nanoseconds since the epoch), so that cargo sees it as
/// changed.
pub fn bump_mtime(path: &Path, mtime_ns: i128) -> Result<()> {
    let file = fs::OpenOptions::new()
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {} to update its mtime", path.display()))?;
    let mtime = u64::try_from(mtime_ns)
        .map(|nanos| UNIX_EPOCH + std::time::Duration::from_nanos(nanos))
        .unwrap_or(UNIX_EPOCH);
    file.set_modified(mtime)
        .with_context(|| format!("cannot update the mtime of {}", path.display()))
}

/// The files listed in a cargo dep-info (`.d`) file: everything the compiler read for the
/// artifact, including `include_str!` files and path dependencies.
pub fn parse_dep_info(content: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let joined = content.replace("\\\n", " ");
    for line in joined.lines() {
        let Some((_target, deps)) = split_rule(line) else {
            continue;
        };
        let mut current = String::new();
        let mut chars = deps.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&' ') => {
                    current.push(' ');
                    chars.next();
                }
                ' ' | '\t' => {
                    if !current.is_empty() {
                        files.push(PathBuf::from(std::mem::take(&mut current)));
                    }
                }
                _ => current.push(c),
            }
        }
        if !current.is_empty() {
            files.push(PathBuf::from(current));
        }
    }
    files.sort();
    files.dedup();
    files
}

/// The local files listed in `dep_info` files, minus those under `excluded_roots`.
pub fn inputs_from_dep_info(
    dep_info: &[PathBuf],
    excluded_roots: &[PathBuf],
) -> Result<std::collections::BTreeSet<PathBuf>> {
    let mut inputs = std::collections::BTreeSet::new();
    for file in dep_info {
        let content = fs::read_to_string(file)
            .with_context(|| format!("cannot read cargo's dep-info file {}", file.display()))?;
        inputs.extend(
            parse_dep_info(&content)
                .into_iter()
                .filter(|path| !excluded_roots.iter().any(|root| path.starts_with(root))),
        );
    }
    Ok(inputs)
}

/// Splits `target: deps` at the first colon that is not part of an escaped path or a
/// Windows drive letter.
fn split_rule(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b':' {
            let drive_letter = i == 1
                || (i >= 2 && bytes[i - 2] == b' ' && i + 1 < bytes.len() && bytes[i + 1] == b'\\');
            let escaped = i > 0 && bytes[i - 1] == b'\\';
            if !drive_letter && !escaped {
                return Some((&line[..i], &line[i + 1..]));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep_info_lists_every_dependency_once() {
        let content = "/t/debug/libfoo.so: /p/src/lib.rs /p/src/with\\ space.rs \\\n /p/data/m.txt\n\n/p/src/lib.rs:\n/p/data/m.txt:\n";
        assert_eq!(
            parse_dep_info(content),
            vec![
                PathBuf::from("/p/data/m.txt"),
                PathBuf::from("/p/src/lib.rs"),
                PathBuf::from("/p/src/with space.rs"),
            ]
        );
    }

    #[test]
    fn touch_without_change_is_fresh_and_content_change_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lib.rs");
        fs::write(&file, "fn a() {}").unwrap();
        let mut records = vec![InputRecord::read(&file).unwrap()];
        let started = nanos_since_epoch(SystemTime::now());
        let checked = check(&mut records, started);
        assert!(checked.changes.is_empty() && !checked.restamped);

        bump_mtime(&file, nanos_since_epoch(SystemTime::now())).unwrap();
        fs::write(&file, "fn a() {}").unwrap();
        let checked = check(&mut records, started);
        assert!(checked.changes.is_empty() && checked.restamped);

        fs::write(&file, "fn b() {}").unwrap();
        let changes = check(&mut records, started).changes;
        assert_eq!(changes.len(), 1, "a content change must be stale");
        assert_eq!(changes[0].kind, ChangeKind::Modified);
    }

    #[test]
    fn file_edited_during_the_build_is_stale_next_time() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lib.rs");
        let started = filesystem_now(dir.path()).unwrap();
        fs::write(&file, "fn edited_while_cargo_ran() {}").unwrap();
        let a_second_later =
            UNIX_EPOCH + std::time::Duration::from_nanos(started as u64 + 1_000_000_000);
        fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap()
            .set_modified(a_second_later)
            .unwrap();
        let mut records = vec![InputRecord::read_after_build(&file, started).unwrap()];
        let changes = check(&mut records, started).changes;
        assert_eq!(changes.len(), 1, "an edit during the build must be rebuilt");
        // cargo saw the edit (it dates its records from the build start): no mtime bump
        assert!(!changes[0].older_than_build);
        // modified in the clock tick the build started in: settled (cargo reads much later)
        let mut records =
            vec![InputRecord::read_after_build(&file, started + 1_000_000_000).unwrap()];
        assert!(check(&mut records, started).changes.is_empty());
    }

    #[test]
    fn absent_files_are_inputs_too() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join(".cargo/config.toml");
        let mut records = vec![InputRecord::read(&config).unwrap()];
        assert!(check(&mut records, 0).changes.is_empty());
        fs::create_dir_all(config.parent().unwrap()).unwrap();
        fs::write(&config, "[build]").unwrap();
        let changes = check(&mut records, 0).changes;
        assert_eq!(changes.len(), 1, "a new cargo config must be stale");
        assert_eq!(changes[0].kind, ChangeKind::Created);
    }

    #[test]
    fn restored_old_copy_is_a_change_older_than_the_build() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lib.rs");
        fs::write(&file, "fn a() {}").unwrap();
        let old = fs::metadata(&file).unwrap().modified().unwrap();
        let mut records = vec![InputRecord::read(&file).unwrap()];
        fs::write(&file, "fn b() {}").unwrap();
        fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let started = nanos_since_epoch(SystemTime::now());
        let changes = check(&mut records, started).changes;
        assert_eq!(changes.len(), 1, "same mtime, other content must be stale");
        assert!(changes[0].older_than_build);
    }
}

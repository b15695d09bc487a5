//! The quick check: what an import of a `.pth`-hooked project reads first, in pure Python,
//! before it loads any native module. It is the last decision "up to date" written down as
//! plain data: the stat of every file that decision compared (the presence only of installed
//! files whose deletion alone is a change: scripts, dist-info), the build-relevant variables
//! with the rule that selects them, the environment and the requests it holds for. When all of
//! it is as written, nothing can have changed and the import goes on; when anything differs
//! (a touch, a new variable, an unknown format) the import asks `_fast`, whose decision writes
//! the file again. So the file only ever says "up to date" for what the decision said it for,
//! and a wrong or missing file costs the usual check, never a wrong answer.
//!
//! It lives in the environment (`<prefix>/share/maturin-hook/<name>.quick-check`): installed
//! empty with the hook's `.pth` (so RECORD lists it and uninstalling removes it), readable by
//! every user who can import from the environment, and only ever replaced where an install
//! put it. Reading it runs nothing.

use crate::build_environment;
use crate::fingerprint::{FileStamp, InputRecord, RecordedFile};
use crate::record::BuildRecord;
use crate::request::BuildRequest;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The first line, which the runtime's `_finder.QUICK_CHECK_HEADER` must equal: the format of
/// this file, and what makes the decision's answer differ between versions (the request keys
/// and the record format).
pub fn header() -> String {
    format!(
        "maturin-hook quick check 1, maturin-hook {}, record {}",
        env!("CARGO_PKG_VERSION"),
        crate::record::RECORD_FORMAT
    )
}

/// Where the quick check of the distribution `name` is, relative to the environment's prefix
/// (a wheel's `.data/data/` directory is installed there).
pub fn relative_path(name: &str) -> PathBuf {
    Path::new("share")
        .join("maturin-hook")
        .join(format!("{}.quick-check", escaped(name)))
}

/// The distribution name as wheel file names spell it (PEP 427: runs of `-_.` become `_`).
fn escaped(name: &str) -> String {
    let mut escaped = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !escaped.ends_with('_') {
                escaped.push('_');
            }
        } else {
            escaped.extend(c.to_lowercase());
        }
    }
    escaped
}

/// Writes the quick check of `record` (saved at `record_path`), which the decision just found
/// up to date (or a build just made), when an install placed one for it. Best effort: without
/// it, imports take the usual check.
pub fn write(record: &BuildRecord, record_path: &Path) {
    let path = record.environment.join(relative_path(&record.name));
    if !path.is_file() {
        return; // not installed with a hook's `.pth`: no front end reads it
    }
    // a record that cannot be written as a quick check empties the file: the usual check then
    let content = contents(record, record_path).unwrap_or_default();
    if std::fs::read(&path).is_ok_and(|existing| existing == content.as_bytes()) {
        return;
    }
    let options = crate::atomic_write::Options {
        permissions: crate::atomic_write::Permissions::KeepExisting,
        sync: false,
    };
    if let Err(error) = crate::atomic_write::write(&path, content.as_bytes(), options) {
        tracing::debug!("not writing the quick check {}: {error}", path.display());
    }
}

/// The quick check of `record`; `None` when some of it cannot be said as plain stats (an
/// unsettled input, which the decision would hash; a path or value that the line format
/// cannot hold) or when no `.pth` front end's request is in it. The record file itself is one
/// of the files: the decision reads it (a record rewritten by another build, corrupted or
/// removed is the decision's to judge, as `status` does).
fn contents(record: &BuildRecord, record_path: &Path) -> Option<String> {
    let mut text = header();
    text.push('\n');
    let mut any_request = false;
    for known in &record.requests {
        if let BuildRequest::Hook { .. } | BuildRequest::Editable { .. } = known.request {
            let json = serde_json::to_string(&known.request).ok()?;
            writeln!(text, "request\t{json}").ok()?;
            any_request = true;
        }
    }
    if !any_request {
        return None;
    }
    writeln!(
        text,
        "environment\t{}",
        plain(record.environment.to_str()?)?
    )
    .ok()?;
    let (prefixes, ignored, ignored_prefixes) = build_environment::selection();
    writeln!(
        text,
        "variables\t{}\t{}\t{}",
        prefixes.join(" "),
        ignored.join(" "),
        ignored_prefixes.join(" ")
    )
    .ok()?;
    for (name, value) in record.build_environment.variables() {
        writeln!(text, "set\t{}\t{}", plain(name)?, plain(value)?).ok()?;
    }
    let saved = InputRecord {
        path: record_path.to_path_buf(),
        state: Some(RecordedFile {
            stamp: FileStamp::of(record_path).ok()?,
            sha256: String::new(),
            unsettled: false,
        }),
    };
    let inputs = std::iter::once(&saved)
        .chain(&record.manifests)
        .chain(&record.sources)
        .chain(&record.outputs);
    for input in inputs {
        write_input(&mut text, input)?;
    }
    // the decision rebuilds only when one of these is gone (another install may overwrite them)
    for extra in &record.installed_extras {
        let path = plain(extra.path.to_str()?)?;
        let kind = if extra.state.is_some() {
            "present"
        } else {
            "absent"
        };
        writeln!(text, "{kind}\t{path}").ok()?;
    }
    Some(text)
}

fn write_input(text: &mut String, input: &InputRecord) -> Option<()> {
    let path = plain(input.path.to_str()?)?;
    match &input.state {
        None => writeln!(text, "absent\t{path}").ok(),
        Some(file) if file.unsettled => None,
        Some(file) => {
            let stamp = file.stamp;
            writeln!(
                text,
                "file\t{}\t{}\t{}\t{}\t{path}",
                stamp.mtime_ns, stamp.change_ns, stamp.size, stamp.inode
            )
            .ok()
        }
    }
}

/// `text` when a line can hold it as a field.
fn plain(text: &str) -> Option<&str> {
    (!text.contains(['\t', '\n', '\r'])).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_wheel_file_names() {
        assert_eq!(
            relative_path("My.Project--name"),
            Path::new("share/maturin-hook/my_project_name.quick-check")
        );
    }
}

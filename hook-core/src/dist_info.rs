//! Installed distributions that came from a local directory: what their `direct_url.json`
//! (PEP 610) says, read without a Python JSON parser on the import path.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct DirectUrl {
    url: String,
    dir_info: Option<DirInfo>,
}

#[derive(Deserialize)]
struct DirInfo {
    #[serde(default)]
    editable: bool,
}

/// `(project directory, editable?)` of every `*.dist-info` in `dir` installed from a local
/// directory (`direct_url.json` with a `file://` URL and `dir_info`).
pub fn linked_project_dirs(dir: &Path) -> Vec<(PathBuf, bool)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut linked: Vec<(PathBuf, bool)> = entries
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".dist-info"))
        .filter_map(|entry| linked_project_dir(&entry.path()))
        .collect();
    linked.sort();
    linked
}

fn linked_project_dir(dist_info: &Path) -> Option<(PathBuf, bool)> {
    let text = std::fs::read(dist_info.join("direct_url.json")).ok()?;
    let direct_url: DirectUrl = serde_json::from_slice(&text).ok()?;
    let dir_info = direct_url.dir_info?;
    Some((file_url_path(&direct_url.url)?, dir_info.editable))
}

/// The local path of a `file://` URL (`file:///C:/dir` on Windows).
pub fn file_url_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("file://")?;
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?
        .into_owned();
    let decoded = if cfg!(windows) {
        decoded.trim_start_matches('/').replace('/', "\\")
    } else {
        decoded
    };
    Some(PathBuf::from(decoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editable_and_plain_directory_installs_are_found() {
        let site = tempfile::tempdir().unwrap();
        let write = |name: &str, json: &str| {
            let dir = site.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("direct_url.json"), json).unwrap();
        };
        write(
            "a-1.dist-info",
            r#"{"url": "file:///work/my%20project", "dir_info": {"editable": true}}"#,
        );
        write(
            "b-1.dist-info",
            r#"{"url": "file:///work/b", "dir_info": {}}"#,
        );
        write(
            "c-1.dist-info",
            r#"{"url": "file:///tmp/c.whl", "archive_info": {}}"#,
        );
        write("d-1.dist-info", "not json");
        std::fs::create_dir(site.path().join("e-1.dist-info")).unwrap();
        assert_eq!(
            linked_project_dirs(site.path()),
            vec![
                (PathBuf::from("/work/b"), false),
                (PathBuf::from("/work/my project"), true)
            ]
        );
    }
}

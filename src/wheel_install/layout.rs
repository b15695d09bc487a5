//! Reading a wheel and deciding where each of its files goes.
//!
//! A wheel (PEP 427 / the binary distribution format spec) is a zip archive with one
//! `{name}-{version}.dist-info/` directory (metadata, with `WHEEL` telling whether the root is
//! purelib or platlib), an optional `{name}-{version}.data/{scheme}/` tree for files that go
//! elsewhere (scripts, headers, data, purelib, platlib), and everything else for the root
//! site-packages directory.

use super::fsio::FileMode;
use anyhow::{anyhow, bail, Context, Result};
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Component, Path, PathBuf};

/// One regular file of a wheel, read into memory.
pub(crate) struct WheelFile {
    /// The entry's path inside the archive, normalized (`/`-separated, no `.` or empty parts).
    pub name: String,
    /// The entry's components (the parts of `name`).
    pub components: Vec<String>,
    /// The uncompressed content.
    pub content: Vec<u8>,
    /// `sha256=…` of `content` (computed once: RECORD checks and the new RECORD use it).
    pub hash: String,
    /// Whether the entry's unix mode has any executable bit.
    pub executable: bool,
}

impl WheelFile {
    /// The permissions the installed file gets.
    pub fn mode(&self) -> FileMode {
        if self.executable {
            FileMode::Executable
        } else {
            FileMode::Regular
        }
    }
}

/// A wheel read into memory.
pub(crate) struct Wheel {
    /// The `{name}-{version}.dist-info` directory name.
    pub dist_info: String,
    /// The `{name}-{version}.data` directory name (it may not exist in the archive).
    pub data_dir: String,
    /// The distribution name as written in METADATA (`Name:`), or the dist-info's name part.
    pub name: String,
    /// `Root-Is-Purelib` from WHEEL.
    pub root_is_purelib: bool,
    /// Every regular file of the archive, in archive order.
    pub files: Vec<WheelFile>,
}

/// Where a wheel entry goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// The root of the wheel: purelib or platlib depending on `Root-Is-Purelib`.
    Root,
    /// `.data/purelib/`
    Purelib,
    /// `.data/platlib/`
    Platlib,
    /// `.data/scripts/`
    Scripts,
    /// `.data/headers/`, under `include/<dist name>/`
    Headers,
    /// `.data/data/`, relative to the environment prefix
    Data,
    /// The `.dist-info` directory (it lives in the root site-packages directory).
    DistInfo,
}

impl Wheel {
    /// Reads and checks the whole archive: entry names, duplicates, the dist-info, WHEEL,
    /// METADATA and (where RECORD lists sha256 hashes) the content against RECORD.
    pub fn read(path: &Path) -> Result<Wheel> {
        let file = File::open(path)
            .map_err(|err| anyhow!("cannot open wheel {}: {err}", path.display()))?;
        let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|err| {
            anyhow!(
                "{} is not a valid wheel (zip archive): {err}",
                path.display()
            )
        })?;
        let mut files = Vec::with_capacity(archive.len());
        let mut seen = HashSet::new();
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).map_err(|err| {
                anyhow!(
                    "cannot read entry {index} of wheel {}: {err}",
                    path.display()
                )
            })?;
            let raw_name = entry
                .name()
                .map_err(|err| {
                    anyhow!(
                        "wheel {} has an entry with a bad name: {err}",
                        path.display()
                    )
                })?
                .into_owned();
            let components = validate_entry_name(&raw_name)
                .with_context(|| format!("wheel {} is not safe to install", path.display()))?;
            if entry.is_dir() || components.is_empty() {
                continue;
            }
            if entry.encrypted() {
                bail!(
                    "wheel {} has an encrypted entry {raw_name:?}",
                    path.display()
                );
            }
            let name = components.join("/");
            if !seen.insert(name.clone()) {
                bail!("wheel {} has the entry {name:?} twice", path.display());
            }
            let executable = entry.unix_mode().is_some_and(|mode| mode & 0o111 != 0);
            let mut content = Vec::with_capacity(entry.size().min(1 << 30) as usize);
            entry.read_to_end(&mut content).map_err(|err| {
                anyhow!("cannot read {name:?} from wheel {}: {err}", path.display())
            })?;
            files.push(WheelFile {
                name,
                components,
                hash: super::record_file::hash(&content),
                content,
                executable,
            });
        }

        let dist_info = find_dist_info(&files)
            .with_context(|| format!("{} is not a valid wheel", path.display()))?;
        let stem = dist_info.trim_end_matches(".dist-info");
        let data_dir = format!("{stem}.data");
        let wheel_meta = text_file(&files, &format!("{dist_info}/WHEEL"))
            .ok_or_else(|| anyhow!("{dist_info}/WHEEL in {} is not UTF-8", path.display()))?;
        check_wheel_version(wheel_meta)
            .with_context(|| format!("cannot install {}", path.display()))?;
        let root_is_purelib = header(wheel_meta, "Root-Is-Purelib")
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
        let name = text_file(&files, &format!("{dist_info}/METADATA"))
            .and_then(|metadata| header(metadata, "Name"))
            .map(str::to_string)
            .unwrap_or_else(|| dist_info_name_part(stem).to_string());

        let wheel = Wheel {
            dist_info,
            data_dir,
            name,
            root_is_purelib,
            files,
        };
        wheel
            .verify_record()
            .with_context(|| format!("wheel {} is corrupt", path.display()))?;
        Ok(wheel)
    }

    /// Classifies an entry: which scheme it goes to and its path relative to that scheme's
    /// directory.
    pub fn classify<'f>(&self, file: &'f WheelFile) -> Result<(Scheme, &'f [String])> {
        let parts = &file.components;
        if parts[0] == self.dist_info {
            return Ok((Scheme::DistInfo, &parts[1..]));
        }
        if parts[0] != self.data_dir {
            return Ok((Scheme::Root, parts));
        }
        let scheme = match parts.get(1).map(String::as_str) {
            Some("purelib") => Scheme::Purelib,
            Some("platlib") => Scheme::Platlib,
            Some("scripts") => Scheme::Scripts,
            Some("headers") => Scheme::Headers,
            Some("data") => Scheme::Data,
            _ => bail!(
                "wheel entry {:?} is not in one of {}/{{scripts,headers,data,purelib,platlib}}/",
                file.name,
                self.data_dir
            ),
        };
        if parts.len() < 3 {
            bail!(
                "wheel entry {:?} names a scheme directory, not a file",
                file.name
            );
        }
        Ok((scheme, &parts[2..]))
    }

    /// Checks each file against the sha256 (and size) the wheel's own RECORD lists for it.
    fn verify_record(&self) -> Result<()> {
        let record_name = format!("{}/RECORD", self.dist_info);
        let Some(record) = self.files.iter().find(|file| file.name == record_name) else {
            return Ok(());
        };
        let text = std::str::from_utf8(&record.content)
            .map_err(|_| anyhow!("{record_name} is not UTF-8"))?;
        let rows = super::record_file::parse(text)
            .with_context(|| format!("cannot parse {record_name}"))?;
        let by_name: std::collections::HashMap<&str, &WheelFile> = self
            .files
            .iter()
            .map(|file| (file.name.as_str(), file))
            .collect();
        for row in rows {
            let Some(file) = by_name.get(row.path.as_str()) else {
                continue;
            };
            if let Some(expected) = row.hash.strip_prefix("sha256=") {
                let actual = &file.hash;
                if actual.trim_start_matches("sha256=") != expected {
                    bail!(
                        "{:?} does not match the sha256 listed in {record_name} (expected {expected}, got {})",
                        file.name,
                        actual.trim_start_matches("sha256=")
                    );
                }
            }
            if let Ok(size) = row.size.parse::<u64>() {
                if size != file.content.len() as u64 {
                    bail!(
                        "{:?} has {} bytes but {record_name} says {size}",
                        file.name,
                        file.content.len()
                    );
                }
            }
        }
        Ok(())
    }
}

/// Splits an archive entry name into components, rejecting anything that could escape the
/// destination directory: absolute paths, drive letters, `..`, backslashes and NUL bytes.
pub(crate) fn validate_entry_name(name: &str) -> Result<Vec<String>> {
    if name.contains('\0') {
        bail!("wheel entry {name:?} contains a NUL byte");
    }
    if name.starts_with('/') {
        bail!("wheel entry {name:?} is an absolute path");
    }
    if name.contains('\\') {
        bail!("wheel entry {name:?} contains a backslash (wheel paths use '/')");
    }
    let mut components = Vec::new();
    for (index, part) in name.split('/').enumerate() {
        match part {
            "" | "." => continue,
            ".." => bail!("wheel entry {name:?} has a '..' component"),
            _ => {}
        }
        let bytes = part.as_bytes();
        if index == 0 && bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
            bail!("wheel entry {name:?} starts with a drive letter");
        }
        components.push(part.to_string());
    }
    Ok(components)
}

/// The one top-level `*.dist-info` directory that holds a `WHEEL` file.
fn find_dist_info(files: &[WheelFile]) -> Result<String> {
    let mut found: Vec<&str> = files
        .iter()
        .filter(|file| {
            file.components.len() == 2
                && file.components[1] == "WHEEL"
                && file.components[0].ends_with(".dist-info")
        })
        .map(|file| file.components[0].as_str())
        .collect();
    found.sort_unstable();
    found.dedup();
    match found.as_slice() {
        [one] => Ok(one.to_string()),
        [] => bail!("it has no top-level *.dist-info directory with a WHEEL file"),
        many => bail!(
            "it has several *.dist-info directories: {}",
            many.join(", ")
        ),
    }
}

fn text_file<'w>(files: &'w [WheelFile], name: &str) -> Option<&'w str> {
    let file = files.iter().find(|file| file.name == name)?;
    std::str::from_utf8(&file.content).ok()
}

/// The value of the first `Key: value` header of an email-style metadata file (before the
/// first blank line, which starts the body).
pub(crate) fn header<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    for line in text.lines() {
        if line.trim().is_empty() {
            return None;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case(key) {
                return Some(value.trim());
            }
        }
    }
    None
}

/// Refuses wheels of a major format version we do not know (only 1.x exists).
fn check_wheel_version(wheel_meta: &str) -> Result<()> {
    let Some(version) = header(wheel_meta, "Wheel-Version") else {
        bail!("its WHEEL file has no Wheel-Version");
    };
    let major = version.split('.').next().unwrap_or_default();
    if major != "1" {
        bail!("its Wheel-Version is {version}; only 1.x is supported");
    }
    Ok(())
}

/// The name part of a `{name}-{version}` dist-info stem.
pub(crate) fn dist_info_name_part(stem: &str) -> &str {
    stem.rsplit_once('-').map_or(stem, |(name, _)| name)
}

/// PEP 503 normalization: lowercase, and every run of `-`, `_` and `.` becomes one `-`.
pub fn normalize_dist_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for ch in name.chars() {
        if matches!(ch, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.extend(ch.to_lowercase());
            in_separator = false;
        }
    }
    out
}

/// Makes a path absolute (against the current directory) and resolves `.` and `..` lexically,
/// without following symlinks (the way RECORD paths are written and read).
pub(crate) fn normalize_path(path: &Path) -> Result<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .context("cannot determine the current directory")?
            .join(path)
    };
    Ok(lexical_normalize(&absolute))
}

/// Resolves `.` and `..` components without touching the file system.
pub(crate) fn lexical_normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !matches!(
                    out.components().next_back(),
                    None | Some(Component::RootDir | Component::Prefix(_))
                ) {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` relative to `base` (both absolute and normalized), with `/` separators, the way
/// RECORD lists files (`../../../bin/tool` for a script next to a venv's site-packages).
/// Falls back to the absolute path when the two share no root (another drive).
pub(crate) fn record_path(path: &Path, base: &Path) -> Result<String> {
    let path_parts: Vec<Component> = path.components().collect();
    let base_parts: Vec<Component> = base.components().collect();
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = Vec::new();
    if common == 0 {
        let text = path
            .to_str()
            .ok_or_else(|| anyhow!("path {} is not UTF-8", path.display()))?;
        return Ok(text.replace('\\', "/"));
    }
    parts.extend(std::iter::repeat_n(
        "..".to_string(),
        base_parts.len() - common,
    ));
    for part in &path_parts[common..] {
        let text = part
            .as_os_str()
            .to_str()
            .ok_or_else(|| anyhow!("path {} is not UTF-8", path.display()))?;
        parts.push(text.to_string());
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize_dist_name("PyO3_Mixed"), "pyo3-mixed");
        assert_eq!(normalize_dist_name("a.-_b"), "a-b");
        assert_eq!(normalize_dist_name("Foo..Bar"), "foo-bar");
    }

    #[test]
    fn rejects_unsafe_names() {
        assert!(validate_entry_name("../x").is_err());
        assert!(validate_entry_name("a/../../x").is_err());
        assert!(validate_entry_name("/etc/passwd").is_err());
        assert!(validate_entry_name("C:/x").is_err());
        assert!(validate_entry_name("a\\..\\x").is_err());
        assert_eq!(validate_entry_name("a/./b//c").unwrap(), ["a", "b", "c"]);
    }

    #[cfg(unix)]
    #[test]
    fn record_paths() {
        let base = Path::new("/v/lib/python3.11/site-packages");
        assert_eq!(
            record_path(Path::new("/v/bin/tool"), base).unwrap(),
            "../../../bin/tool"
        );
        assert_eq!(
            record_path(Path::new("/v/lib/python3.11/site-packages/a/b.py"), base).unwrap(),
            "a/b.py"
        );
        assert_eq!(
            lexical_normalize(Path::new("/v/lib/python3.11/site-packages/../../../bin/x")),
            Path::new("/v/bin/x")
        );
    }
}

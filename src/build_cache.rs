//! The build cache: what we remember between runs about interpreters and projects.
//!
//! Location, as upstream maturin_import_hook has it: `MATURIN_BUILD_DIR` (one subdirectory per
//! environment), else `<environment>/maturin_build_cache` when writable, else the user cache
//! directory's `maturin_build_cache/<python version>_<environment hash>`.

use anyhow::Result;
use serde::Serialize;
use std::fs;
use std::path::{Path, PathBuf};

pub const BUILD_DIR_ENV: &str = "MATURIN_BUILD_DIR";
const CACHE_DIR_NAME: &str = "maturin_build_cache";
/// The file a build holds an exclusive lock on (fs4), in each project directory (and, for a
/// lock over the whole cache, in the root); see `maturin_hook_freshness::lock`.
pub use maturin_hook_freshness::lock::LOCK_FILE as LOCK_FILE_NAME;

#[derive(Debug, Clone)]
pub struct BuildCache {
    root: PathBuf,
}

impl BuildCache {
    /// The cache of the environment rooted at `environment` (its `sys.exec_prefix`).
    pub fn for_environment(environment: &Path) -> Self {
        let root = if let Some(dir) = std::env::var_os(BUILD_DIR_ENV) {
            PathBuf::from(dir).join(environment_dir_name(environment))
        } else if is_writable_dir(environment) {
            environment.join(CACHE_DIR_NAME)
        } else {
            dirs::cache_dir()
                .unwrap_or_else(std::env::temp_dir)
                .join(CACHE_DIR_NAME)
                .join(environment_dir_name(environment))
        };
        BuildCache { root }
    }

    /// A cache at `root` (the `build_dir` given to `maturin_import_hook.install()`).
    pub fn at(root: PathBuf) -> Self {
        BuildCache { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn interpreter_file(&self, python: &Path) -> PathBuf {
        let key = short_hash(python.as_os_str().as_encoded_bytes());
        self.root.join("interpreters").join(format!("{key}.json"))
    }

    /// The directory holding what we know about one project, named after its manifest.
    pub fn project_dir(&self, project_name: &str, manifest_path: &Path) -> PathBuf {
        let key = short_hash(manifest_path.as_os_str().as_encoded_bytes());
        self.root
            .join("projects")
            .join(format!("{project_name}-{key}"))
    }

    /// Writes `value` as JSON to `path` atomically (a temporary file renamed into place), so a
    /// reader never sees half a file, even when the writer is killed.
    pub fn write_json<T: Serialize>(&self, path: &Path, value: &T) -> Result<()> {
        maturin_hook_freshness::write_json_atomically(path, value)
    }
}

impl BuildCache {
    /// The lock files that exist in the cache: `<root>/lock`, `<root>/projects/*/lock` and
    /// those of the `.rs` file importer's builds, `<root>/rs_files/*/state/lock`.
    pub fn lock_files(&self) -> Vec<PathBuf> {
        let mut locks = vec![self.root.join(LOCK_FILE_NAME)];
        for (dir, lock) in [
            ("projects", Path::new(LOCK_FILE_NAME).to_path_buf()),
            (
                crate::rs_file::RS_FILES_DIR,
                Path::new("state").join(LOCK_FILE_NAME),
            ),
        ] {
            if let Ok(entries) = fs::read_dir(self.root.join(dir)) {
                let mut projects: Vec<PathBuf> = entries
                    .flatten()
                    .map(|entry| entry.path().join(&lock))
                    .collect();
                projects.sort();
                locks.extend(projects);
            }
        }
        locks.retain(|lock| lock.is_file());
        locks
    }

    /// The total size in bytes of the files in the cache (symlinks not followed); 0 when the
    /// cache does not exist.
    pub fn size_on_disk(&self) -> u64 {
        fn size(path: &Path) -> u64 {
            let Ok(meta) = fs::symlink_metadata(path) else {
                return 0;
            };
            if meta.is_dir() {
                fs::read_dir(path)
                    .map(|entries| entries.flatten().map(|entry| size(&entry.path())).sum())
                    .unwrap_or(0)
            } else {
                meta.len()
            }
        }
        size(&self.root)
    }
}

pub use maturin_hook_freshness::short_hash;

/// `<python version>_<hash of the environment's path>`, as upstream names the directory of one
/// environment in a shared cache. The version comes from the environment's files (a venv's
/// `pyvenv.cfg`, else its `lib/pythonX.Y`), so that no interpreter has to run.
fn environment_dir_name(environment: &Path) -> String {
    let version = python_version_of(environment).unwrap_or_else(|| "python".to_string());
    let key = short_hash(environment.as_os_str().as_encoded_bytes());
    format!("{version}_{key}")
}

fn python_version_of(environment: &Path) -> Option<String> {
    let from_pyvenv_cfg = fs::read_to_string(environment.join("pyvenv.cfg"))
        .ok()
        .and_then(|config| {
            config.lines().find_map(|line| {
                let (key, value) = line.split_once('=')?;
                matches!(key.trim(), "version" | "version_info").then(|| value.trim().to_string())
            })
        });
    from_pyvenv_cfg.or_else(|| {
        fs::read_dir(environment.join("lib"))
            .ok()?
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let version = name.strip_prefix("python")?;
                version.starts_with('3').then(|| version.to_string())
            })
            .max()
    })
}

fn is_writable_dir(dir: &Path) -> bool {
    let cache = dir.join(CACHE_DIR_NAME);
    if cache.is_dir() {
        return tempfile::tempfile_in(&cache).is_ok();
    }
    tempfile::tempfile_in(dir).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_dirs_are_named_by_python_version_and_path() {
        let root = tempfile::tempdir().unwrap();
        let venv = root.path().join("venv");
        fs::create_dir_all(venv.join("lib").join("python3.12")).unwrap();
        assert!(environment_dir_name(&venv).starts_with("3.12_"));
        fs::write(
            venv.join("pyvenv.cfg"),
            "home = /usr/bin\nversion = 3.12.1\n",
        )
        .unwrap();
        let name = environment_dir_name(&venv);
        assert!(name.starts_with("3.12.1_"), "{name}");
        assert_ne!(name, environment_dir_name(&root.path().join("other")));
        assert!(environment_dir_name(&root.path().join("other")).starts_with("python_"));
    }

    #[test]
    fn lock_files_include_the_rs_file_builds() {
        let root = tempfile::tempdir().unwrap();
        let cache = BuildCache::at(root.path().to_path_buf());
        let project = root.path().join("projects").join("p-1");
        let rs_file = root.path().join("rs_files").join("m_1").join("state");
        for dir in [&project, &rs_file] {
            fs::create_dir_all(dir).unwrap();
            fs::write(dir.join(LOCK_FILE_NAME), "").unwrap();
        }
        assert_eq!(
            cache.lock_files(),
            vec![project.join(LOCK_FILE_NAME), rs_file.join(LOCK_FILE_NAME)]
        );
    }
}

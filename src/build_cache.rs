//! The build cache: what we remember between runs about interpreters and projects.
//!
//! Location, as upstream maturin_import_hook has it: `MATURIN_BUILD_DIR` (one subdirectory per
//! environment), else `<environment>/maturin_build_cache` when writable, else the user cache
//! directory's `maturin_build_cache/<python version>_<environment hash>`.

use std::fs;
use std::path::{Path, PathBuf};

pub use cache_location::BUILD_DIR_ENV;
use maturin_hook_core::cache_location;
/// The file a build holds an exclusive lock on (fs4), in each project directory (and, for a
/// lock over the whole cache, in the root); see `maturin_hook_core::lock`.
pub use maturin_hook_core::lock::LOCK_FILE as LOCK_FILE_NAME;

#[derive(Debug, Clone)]
pub struct BuildCache {
    root: PathBuf,
}

impl BuildCache {
    /// The cache of the environment rooted at `environment` (its `sys.exec_prefix`).
    pub fn for_environment(environment: &Path) -> Self {
        BuildCache {
            root: cache_location::environment_cache_root(environment),
        }
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
}

impl BuildCache {
    /// The lock files that exist in the cache: `<root>/lock`, `<root>/projects/*/lock` and
    /// those of the `.rs` file importer's builds, `<root>/rs_files/*/state/lock`.
    pub fn lock_files(&self) -> Vec<PathBuf> {
        let mut locks = vec![self.root.join(LOCK_FILE_NAME)];
        for (dir, lock) in [
            ("projects", Path::new(LOCK_FILE_NAME).to_path_buf()),
            (
                cache_location::RS_FILES_DIR,
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

pub use maturin_hook_core::short_hash;

#[cfg(test)]
mod tests {
    use super::*;

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

//! Where the build cache is, and where in it a project's or a `.rs` file's build state lives:
//! computed alike by a full develop and by the light freshness check of an import, which must
//! find the same state without the maturin crate.
//!
//! Location, as upstream maturin_import_hook has it: `MATURIN_BUILD_DIR` (one subdirectory per
//! environment), else `<environment>/maturin_build_cache` when writable, else the user cache
//! directory's `maturin_build_cache/<python version>_<environment hash>`.

use crate::short_hash;
use anyhow::{Context, Result};
use std::fs;
use std::path::{Path, PathBuf};

pub const BUILD_DIR_ENV: &str = "MATURIN_BUILD_DIR";
const CACHE_DIR_NAME: &str = "maturin_build_cache";
/// The directory of the cache holding the `.rs` file importer's builds.
pub const RS_FILES_DIR: &str = "rs_files";

/// The build cache of the environment rooted at `environment` (its `sys.exec_prefix`).
pub fn environment_cache_root(environment: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os(BUILD_DIR_ENV) {
        PathBuf::from(dir).join(environment_dir_name(environment))
    } else if is_writable_dir(environment) {
        environment.join(CACHE_DIR_NAME)
    } else {
        dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join(CACHE_DIR_NAME)
            .join(environment_dir_name(environment))
    }
}

/// The cache a build uses: `build_dir` when the caller names one, else the environment's.
pub fn cache_root(environment: &Path, build_dir: Option<&Path>) -> PathBuf {
    match build_dir {
        Some(dir) => dir.to_path_buf(),
        None => environment_cache_root(environment),
    }
}

/// The state directory of the builds of the project whose directory is `project_dir` (see
/// [`project_dir`]).
pub fn develop_state_dir(cache_root: &Path, project_dir: &Path) -> PathBuf {
    let key = short_hash(project_dir.as_os_str().as_encoded_bytes());
    cache_root.join("projects").join(format!("develop-{key}"))
}

/// The directory that names a project, however it was named: the one holding its
/// pyproject.toml, found from the manifest's directory (or the current directory) and its
/// parent, as maturin finds it. `develop` from the project directory, `develop -m Cargo.toml`
/// and the import hooks thus share one state.
pub fn project_dir(manifest_path: Option<&Path>) -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("Failed to detect the current directory")?;
    let start = match manifest_path {
        Some(manifest) => {
            let manifest = canonical_or_as_given(&cwd.join(manifest));
            manifest
                .parent()
                .map_or(manifest.clone(), Path::to_path_buf)
        }
        None => canonical_or_as_given(&cwd),
    };
    Ok(start
        .ancestors()
        .take(2)
        .find(|dir| dir.join("pyproject.toml").is_file())
        .unwrap_or(&start)
        .to_path_buf())
}

fn canonical_or_as_given(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// `<cache>/rs_files/<module>_<hash of the path>`: everything of one `.rs` file's builds
/// (`rs_file` absolute and canonical).
pub fn rs_file_entry(cache_root: &Path, rs_file: &Path, module: &str) -> PathBuf {
    let hash = short_hash(rs_file.as_os_str().as_encoded_bytes());
    cache_root
        .join(RS_FILES_DIR)
        .join(format!("{module}_{hash}"))
}

/// The state directory of a `.rs` file's builds, in its [`rs_file_entry`].
pub fn rs_file_state_dir(entry: &Path) -> PathBuf {
    entry.join("state")
}

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

/// Whether we may write in the environment's cache (or, before it exists, in the environment).
/// Asked of every up-to-date import: a permission check (`access`, as upstream's `os.access`),
/// not a file written and removed.
pub fn is_writable_dir(dir: &Path) -> bool {
    let cache = dir.join(CACHE_DIR_NAME);
    let target = if cache.is_dir() {
        cache
    } else {
        dir.to_path_buf()
    };
    may_write_in(&target)
}

#[cfg(unix)]
fn may_write_in(dir: &Path) -> bool {
    rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok()
}

#[cfg(not(unix))]
fn may_write_in(dir: &Path) -> bool {
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
}

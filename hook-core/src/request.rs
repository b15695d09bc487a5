//! What a front end asks for, in a form both halves of the library understand: the light
//! check of an import (without the maturin crate) and the full develop. A request names its
//! project, its settings as given (raw arguments) and the environment it builds for; from that
//! follow where its build record lives and the key that the record lists once a develop found
//! it has these settings.

use crate::cache_location;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// A build request of one front end, as raw as it was given.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "front_end", rename_all = "snake_case")]
pub enum BuildRequest {
    /// The finder of `maturin develop --with-hook`: the develop it recorded, run again.
    Hook {
        /// The develop arguments (without `--with-hook`): the settings every rebuild uses.
        args: Vec<String>,
        /// The directory develop ran in (relative paths in `args` are relative to it).
        cwd: PathBuf,
        /// The project's Cargo.toml, as maturin resolved it.
        manifest_path: PathBuf,
    },
    /// An editable install by a PEP 517 frontend (`pip install -e`, `uv sync`) through this
    /// maturin's backend, with `import-hook` on: rebuilds as that build did.
    Editable {
        /// The `maturin pep517 build-wheel` arguments of that build.
        args: Vec<String>,
        /// The directory the build ran in.
        cwd: PathBuf,
        manifest_path: PathBuf,
        /// What that build recorded, for the first import to take over instead of building
        /// again (see [`crate::adopt`]).
        adopt: PathBuf,
    },
    /// The project importer of `maturin_import_hook.install()`.
    ProjectImporter {
        manifest_path: PathBuf,
        /// `maturin develop` flags.
        args: Vec<String>,
        /// The build cache to use instead of the environment's.
        build_dir: Option<PathBuf>,
        /// Files the build is to be considered to depend on (a Python `ProjectFileSearcher`'s).
        extra_inputs: Vec<PathBuf>,
    },
    /// The `.rs` file importer: a standalone Rust file built as a module.
    RsFile {
        rs_file: PathBuf,
        /// The pyo3 module the file defines.
        module: String,
        /// `maturin develop` flags.
        args: Vec<String>,
        /// The interpreter to build for.
        python: PathBuf,
        build_dir: Option<PathBuf>,
    },
}

/// A request whose build a record holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownRequest {
    pub key: String,
    pub request: BuildRequest,
}

/// Where a request's build record is, and the key that names the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId {
    pub state_dir: PathBuf,
    pub key: String,
    /// The environment the request builds for (`sys.prefix`).
    pub environment: PathBuf,
}

impl BuildRequest {
    /// This request as a record knows it, for `environment`.
    pub fn known(&self, environment: &Path) -> Result<KnownRequest> {
        Ok(KnownRequest {
            key: self.id(environment)?.key,
            request: self.clone(),
        })
    }

    /// The request's identity when made from the environment `environment`.
    pub fn id(&self, environment: &Path) -> Result<RequestId> {
        let (state_dir, key) = match self {
            BuildRequest::Hook {
                args,
                cwd,
                manifest_path,
            } => {
                let root = cache_location::cache_root(environment, None);
                let mut parts = vec![manifest_path.as_os_str(), cwd.as_os_str()];
                parts.extend(args.iter().map(OsStr::new));
                (
                    cache_location::develop_state_dir(
                        &root,
                        &cache_location::project_dir(Some(manifest_path))?,
                    ),
                    key("hook", environment, &parts),
                )
            }
            BuildRequest::Editable {
                args,
                cwd,
                manifest_path,
                adopt,
            } => {
                let root = cache_location::cache_root(environment, None);
                let mut parts = vec![
                    manifest_path.as_os_str(),
                    cwd.as_os_str(),
                    adopt.as_os_str(),
                ];
                parts.extend(args.iter().map(OsStr::new));
                (
                    cache_location::develop_state_dir(
                        &root,
                        &cache_location::project_dir(Some(manifest_path))?,
                    ),
                    key("editable", environment, &parts),
                )
            }
            BuildRequest::ProjectImporter {
                manifest_path,
                args,
                build_dir,
                extra_inputs,
            } => {
                let root = cache_location::cache_root(environment, build_dir.as_deref());
                let mut parts = vec![build_dir.as_deref().map_or(OsStr::new(""), Path::as_os_str)];
                parts.extend(args.iter().map(OsStr::new));
                parts.push(OsStr::new("--inputs"));
                parts.extend(extra_inputs.iter().map(|path| path.as_os_str()));
                (
                    cache_location::develop_state_dir(
                        &root,
                        &cache_location::project_dir(Some(manifest_path))?,
                    ),
                    key("project", environment, &parts),
                )
            }
            BuildRequest::RsFile {
                rs_file,
                module,
                args,
                python,
                build_dir,
            } => {
                let root = cache_location::cache_root(environment, build_dir.as_deref());
                let entry = cache_location::rs_file_entry(&root, rs_file, module);
                let mut parts = vec![
                    python.as_os_str(),
                    build_dir.as_deref().map_or(OsStr::new(""), Path::as_os_str),
                ];
                parts.extend(args.iter().map(OsStr::new));
                (
                    cache_location::rs_file_state_dir(&entry),
                    key("rs_file", environment, &parts),
                )
            }
        };
        Ok(RequestId {
            state_dir,
            key,
            environment: environment.to_path_buf(),
        })
    }
}

/// Names one way of asking for a build: the kind of front end, the environment and what it
/// passes as given (raw arguments, paths), without parsing it into settings, which needs the
/// maturin crate. Equal keys mean equal settings (for one version of this crate), so a record
/// that lists a request's key holds that request's build.
fn key(kind: &str, environment: &Path, parts: &[&OsStr]) -> String {
    let mut bytes = format!("{kind}\0{}", env!("CARGO_PKG_VERSION")).into_bytes();
    for part in std::iter::once(environment.as_os_str()).chain(parts.iter().copied()) {
        bytes.push(0);
        bytes.extend_from_slice(part.as_encoded_bytes());
    }
    crate::short_hash(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_told_apart_by_environment_and_arguments() {
        let project = tempfile::tempdir().unwrap();
        std::fs::write(project.path().join("pyproject.toml"), "").unwrap();
        let hook = |args: &[&str]| BuildRequest::Hook {
            args: args.iter().map(|arg| arg.to_string()).collect(),
            cwd: project.path().to_path_buf(),
            manifest_path: project.path().join("Cargo.toml"),
        };
        let venv = project.path().join("venv");
        let copy = project.path().join("venv-copy");
        let id = hook(&[]).id(&venv).unwrap();
        assert_eq!(id, hook(&[]).id(&venv).unwrap());
        assert_ne!(id.key, hook(&["--release"]).id(&venv).unwrap().key);
        let copied = hook(&[]).id(&copy).unwrap();
        assert_ne!(id.key, copied.key);
        assert_ne!(
            id.state_dir, copied.state_dir,
            "each environment has its own cache"
        );
        let json = serde_json::to_string(&hook(&["-r"])).unwrap();
        assert!(json.starts_with(r#"{"front_end":"hook","#), "{json}");
        assert_eq!(
            serde_json::from_str::<BuildRequest>(&json).unwrap(),
            hook(&["-r"])
        );
    }
}

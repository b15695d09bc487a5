//! Editable installs that a PEP 517 frontend (`pip install -e`, `uv sync`) made through this
//! maturin's backend with the import hook: the backend's build recorded what it read and made
//! ([`EditableBuild`]); the decision (see [`crate::decision`]) takes that over as the
//! environment's record once it has checked that the installed files are the ones the build
//! made, whether or not the sources changed since. So the first import after an install or a
//! reinstall does not build again, and an edit made before that import replays the install's
//! build instead of starting a full one.

use crate::fingerprint::{sha256_file, sha256_hex, InputRecord};
use crate::record::BuildRecord;
use crate::request::KnownRequest;
use crate::trust::{self, Untrusted};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What an editable build through the backend recorded, before any environment installed it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EditableBuild {
    /// The record, with no environment yet; its outputs are the files the build wrote into the
    /// project (a mixed project's extension).
    pub record: BuildRecord,
    /// The wheel's `*.dist-info` directory name.
    pub dist_info: String,
    /// The files at the wheel's root (installed into site-packages as they are), by their
    /// path in the wheel, with the sha256 of their content.
    pub root_files: Vec<(String, String)>,
    /// The sha256 of each replay step's artifact: its installed copies are its destinations.
    pub artifacts: Vec<String>,
}

impl EditableBuild {
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        crate::write_json_atomically(path, self)
    }
}

/// The record of the editable build recorded at `path`, taken over for `environment` and
/// `request`. `None` when there is no such build, when it is the one `adopted_from` names
/// (taken over already), or when `environment` does not have the files it made installed
/// (another install replaced them). An error when the record may have been written by someone
/// else (see [`crate::trust`]).
pub fn adopt(
    path: &Path,
    environment: &Path,
    request: &KnownRequest,
    adopted_from: Option<&str>,
) -> Result<Option<BuildRecord>, Untrusted> {
    trust::check(path)?;
    Ok(adopt_trusted(path, environment, request, adopted_from))
}

fn adopt_trusted(
    path: &Path,
    environment: &Path,
    request: &KnownRequest,
    adopted_from: Option<&str>,
) -> Option<BuildRecord> {
    let bytes = std::fs::read(path).ok()?;
    let identity = sha256_hex(&bytes);
    if adopted_from == Some(identity.as_str()) {
        return None;
    }
    let build: EditableBuild = match serde_json::from_slice(&bytes) {
        Ok(build) => build,
        Err(error) => {
            tracing::debug!("not adopting {}: {error}", path.display());
            return None;
        }
    };
    let mut record = build.record;
    let site = site_packages(environment)
        .into_iter()
        .find(|dir| dir.join(&build.dist_info).is_dir())?;
    let mut installed = Vec::new();
    for (file, sha256) in &build.root_files {
        let path = site.join(file);
        if sha256_file(&path).ok().as_ref() != Some(sha256) {
            tracing::debug!(
                "not adopting: {} is not the file the build made",
                path.display()
            );
            return None;
        }
        installed.push((path, sha256));
    }
    if let Some(plan) = &mut record.replay {
        for (step, artifact) in plan.steps.iter_mut().zip(&build.artifacts) {
            step.destinations.extend(
                installed
                    .iter()
                    .filter(|(_, sha256)| *sha256 == artifact)
                    .map(|(path, _)| path.clone()),
            );
        }
    }
    for (path, _) in &installed {
        record.outputs.push(InputRecord::read(path).ok()?);
    }
    record.environment = environment.to_path_buf();
    record.adopted_from = Some(identity);
    record.learn(Some(request));
    Some(record)
}

/// The site-packages directories of a venv or conda prefix.
fn site_packages(environment: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![environment.join("Lib").join("site-packages")];
    for lib in ["lib", "lib64"] {
        for entry in std::fs::read_dir(environment.join(lib))
            .into_iter()
            .flatten()
            .flatten()
        {
            dirs.push(entry.path().join("site-packages"));
        }
    }
    dirs.retain(|dir| dir.is_dir());
    dirs
}

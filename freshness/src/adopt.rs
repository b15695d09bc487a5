//! The first import after an editable install that a PEP 517 frontend (`pip install -e`,
//! `uv sync`) made through this maturin's backend with the import hook: the backend's build
//! recorded what it read and made ([`EditableBuild`]); the import takes that over as its
//! environment's record, once it has checked that the sources are still what the build read
//! and that the installed files are the ones the build made. So the first import does not
//! build again.

use crate::fingerprint::{sha256_file, InputRecord};
use crate::record::{BuildRecord, Checking, Verdict};
use crate::request::KnownRequest;
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

    fn load(path: &Path) -> Option<EditableBuild> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }
}

/// The record of the editable build recorded at `path` for `environment`, when the sources are
/// as that build read them and `environment` has its files installed; `None` otherwise (then a
/// full develop decides).
pub fn adopt(path: &Path, environment: &Path, request: &KnownRequest) -> Option<BuildRecord> {
    let build = EditableBuild::load(path)?;
    let mut record = build.record;
    if !matches!(record.check(Checking::Import), Verdict::Fresh { .. }) {
        tracing::debug!("not adopting {}: the sources changed since", path.display());
        return None;
    }
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
        record.outputs.push(InputRecord::capture(path).ok()?);
    }
    record.environment = environment.to_path_buf();
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

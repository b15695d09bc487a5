//! What a develop remembers about its build: the settings, every input the build read, every
//! file it installed and, when it can be replayed, the cargo command it ran. The next develop
//! or import tells from stats alone that nothing changed, and from which inputs changed whether
//! replaying cargo is enough.

use crate::fingerprint::{self, Change, InputRecord};
use crate::quick_rebuild::RebuildPlan;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const STATE_FILE: &str = "develop.json";
/// Bumped when the format changes, so older states are ignored.
const STATE_FORMAT: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevelopState {
    format: u32,
    /// The develop flags, the interpreter and our version (made by maturin-hook's develop).
    pub settings: String,
    /// [`crate::build_environment::fingerprint`] at build time.
    pub build_environment: String,
    pub name: String,
    pub version: String,
    /// When the build started, by the file system's clock.
    pub build_started_ns: i128,
    /// What the compiler read (cargo's dep-info): when only these changed, replaying
    /// [`DevelopState::quick_rebuild`] is enough.
    pub sources: Vec<InputRecord>,
    /// Manifests, Cargo.lock, pyproject.toml, cargo configuration and toolchain files (present
    /// or absent): a change needs a full develop.
    pub manifests: Vec<InputRecord>,
    /// Installed files (stat only: we wrote them).
    pub outputs: Vec<InputRecord>,
    /// How to rebuild after a change of sources only; `None` when that needs maturin (cffi
    /// and uniffi bindings, which are generated from the compiled library).
    pub quick_rebuild: Option<RebuildPlan>,
    /// The [`request_key`]s of the requests that have these settings: the light check of an
    /// import trusts the state for those without resolving the settings again.
    #[serde(default)]
    pub request_keys: Vec<String>,
}

/// What a freshness check decided.
#[derive(Debug)]
pub enum Verdict {
    /// Nothing changed. `restamped`: touched-but-identical inputs got new stamps, worth saving.
    Fresh { restamped: bool },
    Stale {
        /// The first reason, for a person to read.
        reason: String,
        scope: Scope,
        /// Every changed input (their mtimes may need a bump before cargo runs).
        changes: Vec<Change>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only sources changed and the recorded cargo command can be replayed.
    RustOnly,
    /// A full develop: resolve the project, build and install.
    Full,
}

impl DevelopState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        settings: String,
        name: String,
        version: String,
        build_started_ns: i128,
        sources: Vec<InputRecord>,
        manifests: Vec<InputRecord>,
        outputs: Vec<InputRecord>,
        quick_rebuild: Option<RebuildPlan>,
    ) -> DevelopState {
        DevelopState {
            format: STATE_FORMAT,
            settings,
            build_environment: crate::build_environment::fingerprint(),
            name,
            version,
            build_started_ns,
            sources,
            manifests,
            outputs,
            quick_rebuild,
            request_keys: Vec::new(),
        }
    }

    /// Records that a request with `key` has these settings; true when that is new.
    pub fn add_request_key(&mut self, key: Option<&str>) -> bool {
        match key {
            Some(key) if !self.request_keys.iter().any(|known| known == key) => {
                self.request_keys.push(key.to_string());
                true
            }
            _ => false,
        }
    }

    /// The recorded state in `state_dir`, if there is one in this format.
    pub fn load(state_dir: &Path) -> Option<DevelopState> {
        let bytes = std::fs::read(state_dir.join(STATE_FILE)).ok()?;
        serde_json::from_slice::<DevelopState>(&bytes)
            .ok()
            .filter(|state| state.format == STATE_FORMAT)
    }

    pub fn save(&self, state_dir: &Path) -> Result<()> {
        crate::write_json_atomically(&state_dir.join(STATE_FILE), self)
    }

    /// Compares the recorded build with the file system and this process's environment.
    pub fn check(&mut self) -> Verdict {
        if self.build_environment != crate::build_environment::fingerprint() {
            return Verdict::Stale {
                reason: "the build environment variables (CARGO_*, RUST*, PYO3_*, MATURIN_*, \
                         CC, CFLAGS, LDFLAGS) changed"
                    .to_string(),
                scope: Scope::Full,
                changes: Vec::new(),
            };
        }
        let started = self.build_started_ns;
        let manifests = fingerprint::check(&mut self.manifests, started);
        let outputs = fingerprint::check(&mut self.outputs, started);
        let sources = fingerprint::check(&mut self.sources, started);
        let restamped = manifests.restamped || sources.restamped;
        let reason = if let Some(change) = manifests.changes.first() {
            change.to_string()
        } else if let Some(change) = outputs.changes.first() {
            format!("the installed file {change}")
        } else if let Some(change) = sources.changes.first() {
            change.to_string()
        } else {
            return Verdict::Fresh { restamped };
        };
        let scope = if manifests.changes.is_empty()
            && outputs.changes.is_empty()
            && self.quick_rebuild.is_some()
        {
            Scope::RustOnly
        } else {
            Scope::Full
        };
        let mut changes = manifests.changes;
        changes.extend(sources.changes);
        Verdict::Stale {
            reason,
            scope,
            changes,
        }
    }

    pub fn input_paths(&self) -> Vec<PathBuf> {
        self.sources
            .iter()
            .chain(&self.manifests)
            .map(|record| record.path.clone())
            .collect()
    }
}

/// Names one way of asking for a build: the kind of caller and what it passes as given (raw
/// arguments, interpreter, environment, ...), without parsing it into settings, which needs the
/// maturin crate. Equal keys mean equal settings (for one version of this crate), so a state
/// that lists a request's key holds that request's build.
pub fn request_key(kind: &str, parts: &[&std::ffi::OsStr]) -> String {
    let mut bytes = format!("{kind}\0{}", env!("CARGO_PKG_VERSION")).into_bytes();
    for part in parts {
        bytes.push(0);
        bytes.extend_from_slice(part.as_encoded_bytes());
    }
    crate::short_hash(&bytes)
}

/// The extension module among `outputs`: `<module>.<suffix>.so` (`.pyd`).
pub fn extension_module(outputs: &[PathBuf], module: &str) -> Option<PathBuf> {
    let prefix = format!("{module}.");
    outputs
        .iter()
        .find(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(&prefix) && (name.ends_with(".so") || name.ends_with(".pyd"))
        })
        .cloned()
}

/// cargo compares a source's mtime with its own artifacts: a changed file that carries an old
/// mtime (a restored copy) would look fresh to it, so give those the current time of the file
/// system's clock (`state_dir` holds the clock's marker). That clock, not the system's finer
/// one, so that the build which follows, whose start is taken from the same clock, does not
/// find the file modified after it started.
pub fn make_cargo_see(changes: &[Change], state_dir: &Path) -> Result<()> {
    let mut now = None;
    for change in changes {
        if change.older_than_build && change.path.is_file() {
            let now = match now {
                Some(now) => now,
                None => *now.insert(fingerprint::filesystem_now(state_dir)?),
            };
            tracing::debug!("bumping the mtime of {} for cargo", change.path.display());
            fingerprint::bump_mtime(&change.path, now)?;
        }
    }
    Ok(())
}

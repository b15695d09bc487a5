//! The import's half of the pipeline, without the maturin crate: check the build record of a
//! request (stats only when nothing changed) and, after a change of Rust sources only, replay
//! cargo under the project lock. Anything else is left to the full develop, which re-checks.

use crate::lock::ProjectLock;
use crate::record::{BuildRecord, Checking, Loaded, Scope, Verdict};
use crate::replay;
use crate::report::{BuildKind, BuildStart, Reporter};
use crate::request::{BuildRequest, RequestId};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What [`refresh`] found or did.
#[derive(Debug)]
pub enum Refreshed {
    /// Up to date.
    Fresh,
    /// Another process built it while this one waited for the lock; now up to date.
    FoundRebuilt,
    /// Only Rust sources had changed: cargo ran again and the new artifacts are installed.
    Replayed { reason: String },
    /// A full develop is needed (the lock is released again; the develop takes it and checks
    /// again).
    NeedsFull { reason: String },
    /// The project directory is gone: the last install is what there is to import.
    SourcesGone { project_dir: PathBuf },
}

/// The record of `id`'s last build when it is up to date and holds this very request's build;
/// new stamps of touched-but-identical inputs are saved (best effort). `Err(project_dir)`: the
/// project's sources are gone. The whole cost of an import of an unchanged project.
pub fn fresh_record(id: &RequestId) -> Option<Result<BuildRecord, PathBuf>> {
    let Loaded::Record(mut record) = BuildRecord::load(&id.state_dir, &id.environment) else {
        return None;
    };
    if !record.knows_request(&id.key) {
        return None;
    }
    match record.check(Checking::Import) {
        Verdict::Fresh { restamped } => {
            if restamped {
                save_stamps(&record, &id.state_dir);
            }
            Some(Ok(*record))
        }
        Verdict::SourcesGone => Some(Err(record.project_dir)),
        Verdict::Stale { .. } => None,
    }
}

/// Only saves future hashing: a read-only cache is no reason to fail an import.
fn save_stamps(record: &BuildRecord, state_dir: &Path) {
    if let Err(error) = record.save(state_dir) {
        tracing::debug!("not saving new stamps: {error:#}");
    }
}

/// The import path for `request` from `environment`: [`fresh_record`], else under the project
/// lock, check again (another process may have built it meanwhile) and replay a Rust-only
/// change; the first import after an editable install takes over the record of the backend's
/// build (see [`crate::adopt`]). `force`: never fresh.
pub fn refresh(
    request: &BuildRequest,
    environment: &Path,
    lock_timeout: Option<Duration>,
    force: bool,
    reporter: &dyn Reporter,
) -> Result<Refreshed> {
    let id = &request.id(environment)?;
    if !force {
        match fresh_record(id) {
            Some(Ok(_)) => return Ok(Refreshed::Fresh),
            Some(Err(project_dir)) => return Ok(Refreshed::SourcesGone { project_dir }),
            None => {}
        }
    }
    let mut waited = false;
    let _lock = ProjectLock::acquire(&id.state_dir, lock_timeout, |lock| {
        waited = true;
        reporter.waiting_for_lock(lock);
    })?;
    let mut record = match BuildRecord::load(&id.state_dir, &id.environment) {
        Loaded::Nothing => {
            if let BuildRequest::Editable { adopt, .. } = request {
                let known = request.known(environment)?;
                if let Some(record) = crate::adopt::adopt(adopt, environment, &known) {
                    record.save(&id.state_dir)?;
                    return Ok(Refreshed::Fresh);
                }
            }
            return Ok(Refreshed::NeedsFull {
                reason: "it was not built for this environment yet".to_string(),
            });
        }
        Loaded::OtherEnvironment(original) => {
            return Ok(Refreshed::NeedsFull {
                reason: format!(
                    "this environment ({}) is a copy or a move of {}, where it was last built",
                    id.environment.display(),
                    original.display()
                ),
            })
        }
        Loaded::Record(record) => record,
    };
    if force {
        return Ok(Refreshed::NeedsFull {
            reason: "a rebuild was forced".to_string(),
        });
    }
    if !record.knows_request(&id.key) {
        return Ok(Refreshed::NeedsFull {
            reason: "it was last built by another front end or with other settings".to_string(),
        });
    }
    match record.check(Checking::Import) {
        Verdict::Fresh { restamped } => {
            if restamped {
                save_stamps(&record, &id.state_dir);
            }
            Ok(if waited {
                Refreshed::FoundRebuilt
            } else {
                Refreshed::Fresh
            })
        }
        Verdict::SourcesGone => Ok(Refreshed::SourcesGone {
            project_dir: record.project_dir,
        }),
        Verdict::Stale {
            reason,
            scope: Scope::RustOnly,
            changes,
        } if record.can_replay() => {
            reporter.building(&BuildStart {
                project: &record.name,
                reason: &reason,
                kind: BuildKind::Replay,
                cargo_log: None,
            });
            let plan = record
                .replay
                .clone()
                .expect("a replayable record has a plan");
            let replayed = replay::replay(&plan, &changes, &id.state_dir, reporter)?;
            record.record_replay(&replayed)?;
            record.save(&id.state_dir)?;
            Ok(Refreshed::Replayed { reason })
        }
        Verdict::Stale { reason, .. } => Ok(Refreshed::NeedsFull { reason }),
    }
}

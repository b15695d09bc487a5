//! The import's half of the pipeline, without the maturin crate: load the request's record,
//! [decide](crate::decision), and act on what needs no maturin: nothing (up to date), take over
//! an editable install's build, or replay cargo after a change of Rust sources only, under the
//! project lock. A full develop is handed over ([`Action::FullBuildNeeded`]): the runtime's
//! `_native` runs it, deciding again with the fingerprint of the parsed settings.

use crate::decision::{decide, Decision, Reason, Settings, Situation};
use crate::fingerprint::Change;
use crate::lock::ProjectLock;
use crate::outcome::{Action, Outcome};
use crate::record::{BuildRecord, Checking, Loaded, RECORD_FILE};
use crate::replay;
use crate::report::{self, BuildKind, BuildStart, Reporter};
use crate::request::{BuildRequest, KnownRequest};
use crate::store::{self, Found, Install, Store};
use crate::{atomic_write, cache_location, fingerprint, quick_check};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How a front end runs the pipeline.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// How long to wait for another build of the project (`None`: as long as it takes).
    pub lock_timeout: Option<Duration>,
    /// Build even when nothing changed.
    pub force: bool,
}

/// The decision for `request` in `environment` with its key.
fn decide_listed(
    known: &KnownRequest,
    environment: &Path,
    force: bool,
    store: Option<&Store>,
) -> Result<Decision> {
    let id = known.request.id(environment)?;
    Ok(decide(Situation {
        loaded: BuildRecord::load(&id.state_dir, environment),
        environment,
        request: Some(known),
        settings: Settings::Listed,
        force,
        skip_install: false,
        checking: Checking::Import,
        store,
    }))
}

/// Whether the last build of `request` in `environment` is this request's and up to date: the
/// whole cost of an import of an unchanged project (stats; new stamps of touched-but-identical
/// inputs are saved, best effort).
pub fn is_up_to_date(request: &BuildRequest, environment: &Path) -> bool {
    up_to_date(request, environment).is_some()
}

/// The record of [`is_up_to_date`], for the front ends that need what it installed.
pub fn up_to_date(request: &BuildRequest, environment: &Path) -> Option<Box<BuildRecord>> {
    let known = request.known(environment).ok()?;
    match decide_listed(&known, environment, false, None).ok()? {
        Decision::UpToDate {
            record,
            save,
            adopted: false,
        } => {
            let state_dir = known.request.id(environment).ok()?.state_dir;
            if save {
                save_stamps(&record, &state_dir);
            } else {
                // an install may have put an empty one in place since
                quick_check::write(&record, &state_dir.join(RECORD_FILE));
            }
            Some(record)
        }
        _ => None,
    }
}

/// The state of the inputs of the last build of `request` in `environment`, as one short
/// hash of their stats: a front end that saw a build fail retries only once this differs from
/// what it was at the failure (the notebook's cells). `None` without a usable record.
pub fn inputs_state(request: &BuildRequest, environment: &Path) -> Option<String> {
    let id = request.id(environment).ok()?;
    let Loaded::Record(record) = BuildRecord::load(&id.state_dir, environment) else {
        return None;
    };
    let mut text = String::new();
    for path in record.input_paths() {
        let stamp = fingerprint::FileStamp::of(&path).ok();
        text.push_str(&format!("{}\0{stamp:?}\0", path.display()));
    }
    Some(crate::short_hash(text.as_bytes()))
}

/// A build is due (`why`) and `environment` is not this user's to write (a shared or
/// system-wide install, a container running as another user): say whose it is and what to do,
/// before anything is created.
fn ensure_writable(environment: &Path, why: &Reason) -> Result<()> {
    if cache_location::is_writable_dir(environment) {
        return Ok(());
    }
    let owner =
        owner(environment).map_or(String::new(), |uid| format!(", which belongs to uid {uid}"));
    let why = match why {
        // no record of this user's: the build is the owner's, and so is its record
        Reason::FirstBuild => "something it is built from changed since it was built, or your \
                               build environment (CARGO_*, RUST*, PYO3_* variables) differs"
            .to_string(),
        why => why.to_string(),
    };
    anyhow::bail!(
        "it needs a rebuild ({why}), and you cannot write its environment {}{owner}. Its owner \
         rebuilds it by importing it (or with `maturin develop`); to build it yourself, install \
         the project into an environment of your own",
        environment.display()
    )
}

#[cfg(unix)]
fn owner(path: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|meta| meta.uid())
}

#[cfg(not(unix))]
fn owner(_path: &Path) -> Option<u32> {
    None
}

/// Only saves future hashing: a read-only cache is no reason to fail an import.
fn save_stamps(record: &BuildRecord, state_dir: &Path) {
    if let Err(error) = record.save(state_dir) {
        tracing::debug!("not saving new stamps: {error:#}");
    }
}

/// The import's pipeline for `request`: decide; when a build is due, take the project lock and
/// decide again (another process may have built it meanwhile), then take over an editable
/// install's build or replay cargo, or hand over to a full develop.
pub fn run(
    request: &BuildRequest,
    environment: &Path,
    options: Options,
    reporter: &dyn Reporter,
) -> Result<Outcome> {
    let known = request.known(environment)?;
    let state_dir = request.id(environment)?.state_dir;
    // what an import decides before it waits for anyone (no store: a build is due then)
    match decide_listed(&known, environment, options.force, None)? {
        Decision::UpToDate {
            record,
            save,
            adopted: false,
        } => {
            if save {
                save_stamps(&record, &state_dir);
            }
            return Ok(Outcome::of_record(Action::UpToDate, &record));
        }
        Decision::SourcesGone { reason } => return Ok(sources_gone(reason)),
        Decision::Replay { reason, .. }
        | Decision::Restore { reason, .. }
        | Decision::Full { reason, .. } => ensure_writable(environment, &reason)?,
        Decision::UpToDate { adopted: true, .. } => {}
    }
    let mut waited = false;
    let _lock = ProjectLock::acquire(&state_dir, options.lock_timeout, |wait| {
        waited = true;
        reporter.waiting_for_lock(wait);
    })?;
    let store = Store::local();
    let mut outcome = match decide_listed(&known, environment, options.force, store.as_ref())? {
        Decision::UpToDate {
            record,
            save,
            adopted,
        } => {
            if adopted {
                record.save(&state_dir)?;
            } else if save {
                save_stamps(&record, &state_dir);
            }
            let action = match (adopted, waited) {
                (true, _) => Action::Adopted,
                (false, true) => Action::FoundRebuilt,
                (false, false) => Action::UpToDate,
            };
            Outcome::of_record(action, &record)
        }
        Decision::SourcesGone { reason } => sources_gone(reason),
        Decision::Restore {
            record,
            found,
            reason,
            changes,
            ..
        } => restore_else_replay(
            record,
            &found,
            &reason,
            &changes,
            &state_dir,
            Some(&known),
            store.as_ref(),
            reporter,
        )?,
        // a shared store is only reached by the full develop (it needs a network client)
        Decision::Replay { reason, .. } if store::shared_store_url().is_some() => {
            Outcome::new(Action::FullBuildNeeded).because(reason)
        }
        Decision::Replay {
            record,
            reason,
            changes,
            ..
        } => replay_and_record(
            record,
            &reason,
            &changes,
            &state_dir,
            Some(&known),
            store.as_ref(),
            reporter,
        )?,
        Decision::Full { reason, .. } => Outcome::new(Action::FullBuildNeeded).because(reason),
    };
    outcome.waited = waited;
    Ok(outcome)
}

pub fn sources_gone(reason: String) -> Outcome {
    Outcome::new(Action::SourcesGone).because(reason)
}

/// Replays the cargo commands of `record` after the Rust-only `changes` (see [`replay`]),
/// telling `reporter`, records what the replay read and wrote, and keeps the build in `store`.
/// The caller holds the project lock of `state_dir`.
pub fn replay_and_record(
    mut record: Box<BuildRecord>,
    reason: &Reason,
    changes: &[Change],
    state_dir: &Path,
    known: Option<&KnownRequest>,
    store: Option<&Store>,
    reporter: &dyn Reporter,
) -> Result<Outcome> {
    warn_if_untrusted(store, record.store_shelf.as_deref(), reporter);
    let reason = reason.to_string();
    reporter.building(&BuildStart {
        project: &record.name,
        reason: &reason,
        kind: BuildKind::Replay,
        cargo_log: None,
        output_log: &state_dir.join(report::OUTPUT_LOG),
    });
    let started = std::time::Instant::now();
    // a killed importer's rustc would still be writing into the target directory
    crate::interrupt::kill_orphans();
    let plan = record
        .replay
        .clone()
        .expect("a replayable record has a plan");
    let replayed = replay::replay(&plan, changes, state_dir, reporter)?;
    record.record_replay(&replayed)?;
    record.learn(known);
    keep_in_store(store, &mut record, None);
    record.save(state_dir)?;
    let mut outcome = Outcome::of_record(Action::Replayed, &record).because(reason);
    outcome.written = replayed.written;
    outcome.timings.compile = started.elapsed();
    Ok(outcome)
}

/// Keeps the build `record` describes (and a full build's `install`) in `store`, and notes
/// in `record` what installs it elsewhere: only saves future builds, so a store that cannot
/// take it is no reason to fail.
pub fn keep_in_store(
    store: Option<&Store>,
    record: &mut BuildRecord,
    install: Option<&Install<'_>>,
) {
    let Some(store) = store else {
        return;
    };
    match store.put(record, install) {
        Ok(Some(kept)) => record.stored_install = kept.install,
        Ok(None) => {}
        Err(error) => tracing::debug!("not keeping the build in the store: {error:#}"),
    }
}

/// Installs the artifacts of the stored build `found` where the last build of `record` put
/// its own, and records the sources as they are now, without running cargo; when the stored
/// files do not verify, says so and replays cargo instead. The caller holds the project lock
/// of `state_dir`.
#[allow(clippy::too_many_arguments)]
pub fn restore_else_replay(
    record: Box<BuildRecord>,
    found: &Found,
    reason: &Reason,
    changes: &[Change],
    state_dir: &Path,
    known: Option<&KnownRequest>,
    store: Option<&Store>,
    reporter: &dyn Reporter,
) -> Result<Outcome> {
    let store = store.expect("a restore comes from a store");
    let started = std::time::Instant::now();
    let staged = match stage_artifacts(&record, found, store) {
        Ok(staged) => staged,
        Err(error) => {
            reporter.warning(&format!(
                "the stored build of {} cannot be used ({error:#}); building it instead",
                record.name
            ));
            return replay_and_record(
                record,
                reason,
                changes,
                state_dir,
                known,
                Some(store),
                reporter,
            );
        }
    };
    let mut record = record;
    let mut written = Vec::new();
    for (destination, new) in staged {
        new.commit().with_context(|| {
            format!(
                "cannot replace {} with its stored build",
                destination.display()
            )
        })?;
        written.push(destination);
    }
    record.restore_from(found, &written, fingerprint::filesystem_now(state_dir)?)?;
    record.learn(known);
    record.save(state_dir)?;
    store.mark_used(found);
    let mut outcome = Outcome::of_record(Action::Restored, &record).because(reason);
    outcome.source = Some(found.entry.built.describe());
    outcome.written = written;
    outcome.timings.install = started.elapsed();
    Ok(outcome)
}

/// The stored artifacts of `found`, verified and staged at each destination of the cargo
/// command that makes them (nothing is in place yet).
fn stage_artifacts(
    record: &BuildRecord,
    found: &Found,
    store: &Store,
) -> Result<Vec<(PathBuf, atomic_write::Staged)>> {
    let plan = record
        .replay
        .as_ref()
        .context("the record has no cargo commands")?;
    let mut staged = Vec::new();
    for step in &plan.steps {
        let name = step.artifact.file_name().and_then(|name| name.to_str());
        let artifact = found
            .entry
            .artifacts
            .iter()
            .find(|artifact| Some(artifact.name.as_str()) == name)
            .context("the stored build lacks an artifact")?;
        let blob = store.verified_blob(&artifact.sha256)?;
        for destination in &step.destinations {
            let new = atomic_write::stage_copy(&blob, destination).with_context(|| {
                format!(
                    "cannot replace {} with its stored build",
                    destination.display()
                )
            })?;
            staged.push((destination.clone(), new));
        }
    }
    Ok(staged)
}

/// Says why `shelf` of the store was not looked in, when it is not trusted.
pub fn warn_if_untrusted(store: Option<&Store>, shelf: Option<&str>, reporter: &dyn Reporter) {
    if let Some(untrusted) = store
        .zip(shelf)
        .and_then(|(store, shelf)| store.untrusted(shelf))
    {
        reporter.warning(&untrusted.to_string());
    }
}

//! The decision at the heart of the pipeline: from the record of the last build, the settings
//! of this request and the file system, is the install up to date, can cargo be replayed, or
//! is a full develop needed, and why.

use maturin_hook_freshness::fingerprint::Change;
use maturin_hook_freshness::record::{BuildRecord, Checking, Loaded, Scope, Verdict};
use maturin_hook_freshness::request::KnownRequest;
use std::path::PathBuf;

/// What the pipeline does next.
#[derive(Debug)]
pub enum Decision {
    /// Nothing changed. `save`: the record learnt new stamps or a request key.
    UpToDate {
        record: Box<BuildRecord>,
        save: bool,
    },
    /// Only Rust sources changed and the last build can be replayed.
    Replay {
        record: Box<BuildRecord>,
        reason: String,
        changes: Vec<Change>,
    },
    /// Resolve, build and install.
    Full {
        reason: String,
        /// Changed inputs whose mtime must be bumped for cargo (see `replay::bump_for_cargo`).
        changes: Vec<Change>,
    },
    /// The project directory is gone: the last install is all there is.
    SourcesGone { project_dir: PathBuf },
}

/// What the request brings to the decision.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// The fingerprint of the request's settings.
    pub settings: &'a str,
    pub request: Option<&'a KnownRequest>,
    pub force: bool,
    /// `--skip-install`: build in place, always.
    pub skip_install: bool,
    pub checking: Checking,
}

pub fn decide(loaded: Loaded, asked: Asked<'_>) -> Decision {
    let full = |reason: &str| Decision::Full {
        reason: reason.to_string(),
        changes: Vec::new(),
    };
    let mut record = match loaded {
        Loaded::Nothing => return full("no previous build of this project for this environment"),
        Loaded::OtherEnvironment(original) => {
            return full(&format!(
                "this environment is a copy or a move of {}, where it was last built",
                original.display()
            ))
        }
        Loaded::Record(record) => record,
    };
    if asked.force {
        return full("a rebuild was forced");
    }
    if asked.skip_install {
        return full("--skip-install always builds");
    }
    if record.settings != asked.settings {
        return full(
            "the settings changed since the last build (flags, interpreter or maturin version)",
        );
    }
    match record.check(asked.checking) {
        Verdict::Fresh { restamped } => {
            let learnt = record.learn(asked.request);
            Decision::UpToDate {
                record,
                save: restamped || learnt,
            }
        }
        Verdict::SourcesGone => Decision::SourcesGone {
            project_dir: record.project_dir,
        },
        Verdict::Stale {
            reason,
            scope: Scope::RustOnly,
            changes,
        } if record.can_replay() => Decision::Replay {
            record,
            reason,
            changes,
        },
        Verdict::Stale {
            reason, changes, ..
        } => Decision::Full { reason, changes },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maturin_hook_freshness::fingerprint::InputRecord;
    use maturin_hook_freshness::record::NewRecord;
    use maturin_hook_freshness::replay::{CargoStep, RebuildPlan, RecordedCommand};
    use std::fs;
    use std::path::Path;

    fn record(dir: &Path, replay_in: Option<PathBuf>) -> BuildRecord {
        fs::write(dir.join("lib.rs"), "fn a() {}").unwrap();
        fs::write(dir.join("Cargo.toml"), "[package]").unwrap();
        let capture = |name: &str| InputRecord::capture(&dir.join(name)).unwrap();
        BuildRecord::new(NewRecord {
            settings: "settings".into(),
            environment: dir.join("venv"),
            name: "p".into(),
            version: "1.0.0".into(),
            project_dir: dir.to_path_buf(),
            modules: vec!["p".into()],
            build_started_ns: 0,
            sources: vec![capture("lib.rs")],
            manifests: vec![capture("Cargo.toml")],
            packaged: Vec::new(),
            outputs: Vec::new(),
            installed_extras: Vec::new(),
            replay: replay_in.map(|current_dir| RebuildPlan {
                steps: vec![CargoStep {
                    command: RecordedCommand {
                        program: "cargo".into(),
                        args: Vec::new(),
                        set_env: Vec::new(),
                        removed_env: Vec::new(),
                        current_dir: Some(current_dir),
                    },
                    artifact: dir.join("libp.so"),
                    destinations: Vec::new(),
                }],
                dep_info: Vec::new(),
                excluded_roots: Vec::new(),
            }),
        })
    }

    fn known() -> KnownRequest {
        KnownRequest {
            key: "key".into(),
            request: maturin_hook_freshness::request::BuildRequest::Hook {
                args: Vec::new(),
                cwd: PathBuf::from("/p"),
                manifest_path: PathBuf::from("/p/Cargo.toml"),
            },
        }
    }

    fn asked(known: &KnownRequest) -> Asked<'_> {
        Asked {
            settings: "settings",
            request: Some(known),
            force: false,
            skip_install: false,
            checking: Checking::Develop,
        }
    }

    fn loaded(record: BuildRecord) -> Loaded {
        Loaded::Record(Box::new(record))
    }

    #[test]
    fn unchanged_is_up_to_date_and_learns_the_request() {
        let known = known();
        let dir = tempfile::tempdir().unwrap();
        let decision = decide(loaded(record(dir.path(), None)), asked(&known));
        let Decision::UpToDate { record, save } = decision else {
            panic!("{decision:?}");
        };
        assert!(save && record.knows_request("key"));
    }

    #[test]
    fn a_source_edit_replays_only_where_the_last_build_ran() {
        let known = known();
        let dir = tempfile::tempdir().unwrap();
        let replayable = record(dir.path(), Some(dir.path().to_path_buf()));
        fs::write(dir.path().join("lib.rs"), "fn b() {}").unwrap();
        assert!(matches!(
            decide(loaded(replayable.clone()), asked(&known)),
            Decision::Replay { .. }
        ));
        let mut gone = replayable;
        gone.replay.as_mut().unwrap().steps[0].command.current_dir =
            Some(dir.path().join("deleted"));
        assert!(matches!(
            decide(loaded(gone), asked(&known)),
            Decision::Full { .. }
        ));
    }

    #[test]
    fn settings_environment_force_and_missing_sources() {
        let known = known();
        let dir = tempfile::tempdir().unwrap();
        let reason = |decision: Decision| match decision {
            Decision::Full { reason, .. } => reason,
            other => panic!("expected a full build, got {other:?}"),
        };
        assert!(reason(decide(
            loaded(record(dir.path(), None)),
            Asked {
                settings: "other",
                ..asked(&known)
            }
        ))
        .contains("settings changed"));
        assert!(reason(decide(
            Loaded::OtherEnvironment(dir.path().join("venv")),
            asked(&known)
        ))
        .contains("copy or a move"));
        assert!(reason(decide(
            loaded(record(dir.path(), None)),
            Asked {
                force: true,
                ..asked(&known)
            }
        ))
        .contains("forced"));
        assert!(reason(decide(Loaded::Nothing, asked(&known))).contains("no previous build"));
        let before_edit = record(dir.path(), None);
        fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"q\"").unwrap();
        assert!(reason(decide(loaded(before_edit), asked(&known))).contains("Cargo.toml changed"));
        let mut moved = record(dir.path(), None);
        moved.project_dir = dir.path().join("moved");
        assert!(matches!(
            decide(loaded(moved), asked(&known)),
            Decision::SourcesGone { .. }
        ));
    }
}

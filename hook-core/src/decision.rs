//! The one decision at the heart of the pipeline: given the record of the last build, the
//! request and the file system, is the install up to date, can an editable install's build be
//! taken over, can cargo be replayed, or is a full develop needed, and why.
//!
//! Every front end reaches it: the import's light pipeline ([`crate::pipeline`]) with the
//! request's key, `maturin develop` and the full develop of an import with the fingerprint of
//! the settings, and `maturin import-hook status` as a dry run of both. It reads, it never
//! writes: what to save is part of the [`Decision`].

use crate::adopt;
use crate::fingerprint::Change;
use crate::record::{BuildRecord, Checking, Loaded, Scope, Verdict};
use crate::request::{BuildRequest, KnownRequest};
use crate::store::{Found, Store};
use crate::trust::Untrusted;
use std::path::{Path, PathBuf};

/// What the pipeline does next.
#[derive(Debug)]
pub enum Decision {
    /// Nothing changed. `save`: the record learnt new stamps, a request, or was just taken over
    /// from an editable install (`adopted`).
    UpToDate {
        record: Box<BuildRecord>,
        save: bool,
        adopted: bool,
    },
    /// Only Rust sources changed and the last build (taken over from an editable install when
    /// `adopted`) can be replayed.
    Replay {
        record: Box<BuildRecord>,
        reason: Reason,
        changes: Vec<Change>,
        adopted: bool,
    },
    /// Only Rust sources changed, and the store holds a build of the sources as they are now:
    /// install its artifacts instead of running cargo.
    Restore {
        record: Box<BuildRecord>,
        found: Box<Found>,
        reason: Reason,
        /// What a replay needs, when the stored build turns out to be unusable.
        changes: Vec<Change>,
        adopted: bool,
    },
    /// Resolve, build and install.
    Full {
        reason: Reason,
        /// Changed inputs whose mtime must be bumped for cargo (see `replay::bump_for_cargo`).
        changes: Vec<Change>,
    },
    /// The project directory, or its Rust half, is gone (see `Verdict::SourcesGone`): the last
    /// install is all there is.
    SourcesGone { reason: String },
}

/// Why a build is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// There is no record of a build of the project for this environment.
    FirstBuild,
    /// There is a record, but it cannot be used.
    UnreadableRecord {
        path: PathBuf,
        problem: String,
    },
    /// The record (or the editable build's record that would have been taken over) may have
    /// been written by someone else: the build goes on without it.
    Untrusted(Untrusted),
    /// The record is of a build into another environment, of which this one is a copy.
    CopiedEnvironment {
        environment: PathBuf,
        original: PathBuf,
    },
    Forced,
    /// `--skip-install` builds in place, always.
    SkipInstall,
    /// The record does not list this request, whose settings only a full develop can compare.
    OtherRequest,
    /// The fingerprint of the settings differs from the recorded one.
    SettingsChanged,
    /// An input changed: the record's words for it (`src/lib.rs changed`).
    Changed(String),
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::FirstBuild => write!(f, "it was not built for this environment yet"),
            Reason::UnreadableRecord { path, problem } => {
                write!(
                    f,
                    "its build record {} cannot be used: {problem}",
                    path.display()
                )
            }
            Reason::CopiedEnvironment {
                environment,
                original,
            } => write!(
                f,
                "this environment ({}) is a copy or a move of {}, where it was last built",
                environment.display(),
                original.display()
            ),
            Reason::Untrusted(untrusted) => write!(
                f,
                "{} is not trusted ({})",
                untrusted.path.display(),
                untrusted.problem
            ),
            Reason::Forced => write!(f, "a rebuild was forced"),
            Reason::SkipInstall => write!(f, "--skip-install always builds"),
            Reason::OtherRequest => write!(
                f,
                "it was last built by another front end or with other settings"
            ),
            Reason::SettingsChanged => write!(
                f,
                "the settings changed since the last build (flags, interpreter or maturin version)"
            ),
            Reason::Changed(what) => f.write_str(what),
        }
    }
}

/// How the request's settings are compared with the record's.
#[derive(Debug, Clone, Copy)]
pub enum Settings<'a> {
    /// By the request's key, which the record lists once a full develop found that it has the
    /// record's settings (the light pipeline: parsing the settings needs the maturin crate).
    Listed,
    /// By the fingerprint of the parsed settings (a full develop).
    Fingerprint(&'a str),
}

/// What the decision looks at.
#[derive(Debug)]
pub struct Situation<'a> {
    /// The record of the last build (see [`BuildRecord::load`]).
    pub loaded: Loaded,
    /// The environment the request builds for.
    pub environment: &'a Path,
    /// The front end's request; `None` for `maturin develop` on the command line.
    pub request: Option<&'a KnownRequest>,
    pub settings: Settings<'a>,
    pub force: bool,
    pub skip_install: bool,
    pub checking: Checking,
    /// Where stored builds are looked for before cargo runs.
    pub store: Option<&'a Store>,
}

pub fn decide(situation: Situation<'_>) -> Decision {
    let store = situation.store;
    match decide_without_store(situation) {
        Decision::Replay {
            record,
            reason,
            changes,
            adopted,
        } => match store.and_then(|store| stored_build(store, &record)) {
            Some(found) => Decision::Restore {
                record,
                found: Box::new(found),
                reason,
                changes,
                adopted,
            },
            None => Decision::Replay {
                record,
                reason,
                changes,
                adopted,
            },
        },
        decision => decision,
    }
}

/// A build in `store` of the sources of `record` as they are now, with an artifact for each
/// of its cargo commands.
fn stored_build(store: &Store, record: &BuildRecord) -> Option<Found> {
    let plan = record.replay.as_ref()?;
    let found = store.find(record.store_shelf.as_deref()?, &record.project_dir)?;
    let names: Vec<&str> = found
        .entry
        .artifacts
        .iter()
        .map(|artifact| artifact.name.as_str())
        .collect();
    let complete = plan.steps.iter().all(|step| {
        step.artifact
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| names.contains(&name))
    });
    complete.then_some(found)
}

fn decide_without_store(situation: Situation<'_>) -> Decision {
    let Situation {
        loaded,
        environment,
        request,
        settings,
        force,
        skip_install,
        checking,
        store: _,
    } = situation;
    if force {
        return full(Reason::Forced);
    }
    if skip_install {
        return full(Reason::SkipInstall);
    }
    let mismatch = match settings {
        Settings::Listed => Reason::OtherRequest,
        Settings::Fingerprint(_) => Reason::SettingsChanged,
    };
    let holds = |record: &BuildRecord| match settings {
        Settings::Listed => request.is_some_and(|known| record.knows_request(&known.key)),
        Settings::Fingerprint(fingerprint) => record.settings == fingerprint,
    };
    let adopted_from = match &loaded {
        Loaded::Record(record) => record.adopted_from.clone(),
        _ => None,
    };
    let from_record = match loaded {
        Loaded::Record(mut record) => {
            let verdict = record.check(checking);
            let holds = holds(&record);
            judge(record, verdict, holds, request, false, &mismatch)
        }
        Loaded::Nothing => full(Reason::FirstBuild),
        Loaded::Unreadable { path, problem } => full(Reason::UnreadableRecord { path, problem }),
        Loaded::Untrusted(untrusted) => full(Reason::Untrusted(untrusted)),
        Loaded::OtherEnvironment(original) => full(Reason::CopiedEnvironment {
            environment: environment.to_path_buf(),
            original,
        }),
    };
    let (Decision::Full { .. } | Decision::Replay { .. }) = &from_record else {
        return from_record;
    };
    // an editable install made since the last build (or before any) is taken over
    let Some((known, adopt_from)) = request.and_then(|known| match &known.request {
        BuildRequest::Editable { adopt, .. } => Some((known, adopt)),
        _ => None,
    }) else {
        return from_record;
    };
    let mut adopted = match adopt::adopt(adopt_from, environment, known, adopted_from.as_deref()) {
        Ok(Some(adopted)) => adopted,
        Ok(None) => return from_record,
        // said only when it costs a full develop
        Err(untrusted) => {
            return match from_record {
                Decision::Full { changes, .. } => Decision::Full {
                    reason: Reason::Untrusted(untrusted),
                    changes,
                },
                replay => replay,
            }
        }
    };
    let verdict = adopted.check(checking);
    let holds = holds(&adopted);
    match judge(Box::new(adopted), verdict, holds, request, true, &mismatch) {
        // worth it only when it spares a full develop, whose reason is the last build's
        Decision::Full { .. } => from_record,
        decision => decision,
    }
}

fn full(reason: Reason) -> Decision {
    Decision::Full {
        reason,
        changes: Vec::new(),
    }
}

/// The decision about `record`, whose check found `verdict`; `holds`: its settings are the
/// request's (else `mismatch` says why not).
fn judge(
    mut record: Box<BuildRecord>,
    verdict: Verdict,
    holds: bool,
    request: Option<&KnownRequest>,
    adopted: bool,
    mismatch: &Reason,
) -> Decision {
    match verdict {
        Verdict::SourcesGone { reason } => Decision::SourcesGone { reason },
        Verdict::Fresh { restamped } if holds => {
            let learnt = record.learn(request);
            Decision::UpToDate {
                record,
                save: restamped || learnt || adopted,
                adopted,
            }
        }
        Verdict::Fresh { .. } => full(mismatch.clone()),
        Verdict::Stale {
            reason,
            scope: Scope::RustOnly,
            changes,
        } if holds && record.can_replay() => Decision::Replay {
            record,
            reason: Reason::Changed(reason),
            changes,
            adopted,
        },
        Verdict::Stale {
            reason,
            scope,
            changes,
        } => Decision::Full {
            // a changed manifest says more than settings that differ as well
            reason: if holds || scope == Scope::Full {
                Reason::Changed(reason)
            } else {
                mismatch.clone()
            },
            changes,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adopt::EditableBuild;
    use crate::fingerprint::InputRecord;
    use crate::record::NewRecord;
    use crate::replay::{CargoStep, RebuildPlan, RecordedCommand};
    use std::fs;

    /// A project with a source, a manifest, and an installed extension in `venv`.
    struct Project {
        dir: tempfile::TempDir,
    }

    impl Project {
        fn new() -> Project {
            let dir = tempfile::tempdir().unwrap();
            let project = Project { dir };
            fs::create_dir_all(project.path("venv/lib/python3.11/site-packages")).unwrap();
            fs::write(project.path("lib.rs"), "fn a() {}").unwrap();
            fs::write(project.path("Cargo.toml"), "[package]").unwrap();
            fs::write(project.installed("p.so"), "binary").unwrap();
            project
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn environment(&self) -> PathBuf {
            self.path("venv")
        }

        fn installed(&self, name: &str) -> PathBuf {
            self.path("venv/lib/python3.11/site-packages").join(name)
        }

        /// The record of a build of the project as it is now, into the venv (`None`: into no
        /// environment yet, as an editable build records it).
        fn record(&self, replayable: bool, environment: Option<PathBuf>) -> BuildRecord {
            let capture = |path: PathBuf| InputRecord::read(&path).unwrap();
            BuildRecord::new(NewRecord {
                settings: "settings".into(),
                environment: environment.unwrap_or_default(),
                name: "p".into(),
                version: "1.0.0".into(),
                project_dir: self.dir.path().to_path_buf(),
                modules: vec!["p".into()],
                build_started_ns: 0,
                sources: vec![capture(self.path("lib.rs"))],
                manifests: vec![capture(self.path("Cargo.toml"))],
                packaged: Vec::new(),
                outputs: vec![capture(self.installed("p.so"))],
                installed_extras: Vec::new(),
                replay: replayable.then(|| RebuildPlan {
                    steps: vec![CargoStep {
                        command: RecordedCommand {
                            program: "cargo".into(),
                            args: Vec::new(),
                            set_env: Vec::new(),
                            removed_env: Vec::new(),
                            current_dir: Some(self.dir.path().to_path_buf()),
                        },
                        artifact: self.path("libp.so"),
                        destinations: Vec::new(),
                    }],
                    dep_info: Vec::new(),
                    excluded_roots: Vec::new(),
                }),
            })
        }

        fn installed_record(&self, replayable: bool) -> Loaded {
            Loaded::Record(Box::new(self.record(replayable, Some(self.environment()))))
        }

        fn edit_source(&self) {
            fs::write(self.path("lib.rs"), "fn b() {}").unwrap();
        }

        /// What an editable build through the backend records for this project, with the
        /// installed `.pth` it made; the request that installs it.
        fn editable_build(&self, pth: &str) -> KnownRequest {
            let adopt = self.path("editable.json");
            let mut record = self.record(true, None);
            record.outputs.clear();
            fs::create_dir_all(self.installed("p-1.0.0.dist-info")).unwrap();
            fs::write(self.installed("p.pth"), pth).unwrap();
            EditableBuild {
                record,
                dist_info: "p-1.0.0.dist-info".into(),
                root_files: vec![(
                    "p.pth".into(),
                    crate::fingerprint::sha256_hex(pth.as_bytes()),
                )],
                artifacts: Vec::new(),
            }
            .save(&adopt)
            .unwrap();
            KnownRequest {
                key: "editable".into(),
                request: BuildRequest::Editable {
                    args: Vec::new(),
                    cwd: self.dir.path().to_path_buf(),
                    manifest_path: self.path("Cargo.toml"),
                    adopt,
                },
            }
        }

        fn decide(&self, loaded: Loaded, request: Option<&KnownRequest>) -> Decision {
            decide(Situation {
                loaded,
                environment: &self.environment(),
                request,
                settings: Settings::Listed,
                force: false,
                skip_install: false,
                checking: Checking::Import,
                store: None,
            })
        }

        fn decide_by_fingerprint(&self, loaded: Loaded, fingerprint: &str) -> Decision {
            decide(Situation {
                settings: Settings::Fingerprint(fingerprint),
                ..self.situation(loaded)
            })
        }

        fn situation(&self, loaded: Loaded) -> Situation<'static> {
            Situation {
                loaded,
                environment: Box::leak(Box::new(self.environment())),
                request: None,
                settings: Settings::Listed,
                force: false,
                skip_install: false,
                checking: Checking::Import,
                store: None,
            }
        }
    }

    fn hook_request(key: &str) -> KnownRequest {
        KnownRequest {
            key: key.into(),
            request: BuildRequest::Hook {
                args: Vec::new(),
                cwd: PathBuf::from("/p"),
                manifest_path: PathBuf::from("/p/Cargo.toml"),
            },
        }
    }

    fn listing(loaded: Loaded, key: &str) -> Loaded {
        match loaded {
            Loaded::Record(mut record) => {
                record.learn(Some(&hook_request(key)));
                Loaded::Record(record)
            }
            other => other,
        }
    }

    fn reason(decision: Decision) -> Reason {
        match decision {
            Decision::Full { reason, .. } | Decision::Replay { reason, .. } => reason,
            other => panic!("expected a build, got {other:?}"),
        }
    }

    #[test]
    fn a_listed_request_of_an_unchanged_build_is_up_to_date() {
        let project = Project::new();
        let known = hook_request("key");
        let loaded = listing(project.installed_record(true), "key");
        let decision = project.decide(loaded, Some(&known));
        assert!(matches!(
            decision,
            Decision::UpToDate {
                save: false,
                adopted: false,
                ..
            }
        ));
    }

    #[test]
    fn a_request_the_record_does_not_list_is_left_to_a_full_develop() {
        let project = Project::new();
        let known = hook_request("other key");
        let loaded = listing(project.installed_record(true), "key");
        assert_eq!(
            reason(project.decide(loaded, Some(&known))),
            Reason::OtherRequest
        );
    }

    #[test]
    fn by_fingerprint_the_settings_decide_and_the_request_is_learnt() {
        let project = Project::new();
        match project.decide_by_fingerprint(project.installed_record(true), "settings") {
            Decision::UpToDate { save, .. } => assert!(!save),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            reason(project.decide_by_fingerprint(project.installed_record(true), "other")),
            Reason::SettingsChanged
        );
        let known = hook_request("new key");
        let decision = decide(Situation {
            request: Some(&known),
            settings: Settings::Fingerprint("settings"),
            ..project.situation(project.installed_record(true))
        });
        let Decision::UpToDate { record, save, .. } = decision else {
            panic!("{decision:?}");
        };
        assert!(save && record.knows_request("new key"));
    }

    #[test]
    fn a_source_edit_replays_when_the_last_build_can_be_replayed() {
        let project = Project::new();
        let known = hook_request("key");
        let replayable = listing(project.installed_record(true), "key");
        let not_replayable = listing(project.installed_record(false), "key");
        project.edit_source();
        let decision = project.decide(replayable, Some(&known));
        assert!(
            matches!(&decision, Decision::Replay { changes, adopted: false, .. } if changes.len() == 1),
            "{decision:?}"
        );
        assert!(matches!(
            project.decide(not_replayable, Some(&known)),
            Decision::Full { .. }
        ));
    }

    #[test]
    fn a_manifest_edit_is_named_even_when_the_settings_differ_too() {
        let project = Project::new();
        let loaded = project.installed_record(true);
        fs::write(project.path("Cargo.toml"), "[package]\nname = \"q\"").unwrap();
        let reason = reason(project.decide_by_fingerprint(loaded, "other settings"));
        assert!(
            matches!(&reason, Reason::Changed(what) if what.contains("Cargo.toml changed")),
            "{reason:?}"
        );
    }

    #[test]
    fn no_record_another_environment_an_unreadable_record_force_and_skip_install() {
        let project = Project::new();
        assert_eq!(
            reason(project.decide(Loaded::Nothing, None)),
            Reason::FirstBuild
        );
        assert_eq!(
            reason(project.decide(Loaded::OtherEnvironment(PathBuf::from("/original")), None)),
            Reason::CopiedEnvironment {
                environment: project.environment(),
                original: PathBuf::from("/original"),
            }
        );
        let unreadable = Loaded::Unreadable {
            path: PathBuf::from("/state/develop.json"),
            problem: "it is not a build record (EOF)".into(),
        };
        assert_eq!(
            reason(project.decide(unreadable, None)).to_string(),
            "its build record /state/develop.json cannot be used: it is not a build record (EOF)"
        );
        let forced = decide(Situation {
            force: true,
            ..project.situation(project.installed_record(true))
        });
        assert_eq!(reason(forced), Reason::Forced);
        let skip = decide(Situation {
            skip_install: true,
            ..project.situation(project.installed_record(true))
        });
        assert_eq!(reason(skip), Reason::SkipInstall);
    }

    #[test]
    fn deleted_sources_leave_the_last_build() {
        let project = Project::new();
        let mut record = project.record(true, Some(project.environment()));
        record.project_dir = project.path("moved away");
        assert!(matches!(
            project.decide(Loaded::Record(Box::new(record)), None),
            Decision::SourcesGone { .. }
        ));
    }

    #[test]
    fn an_editable_install_is_taken_over_unchanged_or_edited_and_only_once() {
        let project = Project::new();
        let editable = project.editable_build("import _p_hook");
        // the first import after the install: nothing to build
        let decision = project.decide(Loaded::Nothing, Some(&editable));
        let Decision::UpToDate {
            record,
            save: true,
            adopted: true,
        } = decision
        else {
            panic!("{decision:?}");
        };
        assert!(record.knows_request("editable"));
        assert_eq!(record.environment, project.environment());
        // taken over once: the same install is not adopted again
        let adopted = record;
        project.edit_source();
        let decision = project.decide(Loaded::Record(adopted.clone()), Some(&editable));
        assert!(
            matches!(decision, Decision::Replay { adopted: false, .. }),
            "{decision:?}"
        );
        // an edit before the first import: a replay of the install's build
        let decision = project.decide(Loaded::Nothing, Some(&editable));
        assert!(
            matches!(decision, Decision::Replay { adopted: true, .. }),
            "{decision:?}"
        );
        // a reinstall (a new `.pth`, and a build of the edit): taken over again, instead of a
        // full develop for the changed `.pth`
        let reinstall = project.editable_build("import _p_hook  # again");
        let decision = project.decide(Loaded::Record(adopted), Some(&reinstall));
        assert!(
            matches!(decision, Decision::UpToDate { adopted: true, .. }),
            "{decision:?}"
        );
    }

    #[test]
    fn an_editable_build_whose_files_are_not_installed_is_not_taken_over() {
        let project = Project::new();
        let editable = project.editable_build("import _p_hook");
        fs::write(project.installed("p.pth"), "another install").unwrap();
        assert_eq!(
            reason(project.decide(Loaded::Nothing, Some(&editable))),
            Reason::FirstBuild
        );
    }

    #[test]
    fn an_editable_build_that_needs_a_full_develop_too_leaves_the_reason_of_the_record() {
        let project = Project::new();
        let editable = project.editable_build("import _p_hook");
        fs::write(project.path("Cargo.toml"), "[package]\nname = \"q\"").unwrap();
        let unreadable = Loaded::Unreadable {
            path: project.path("develop.json"),
            problem: "it is not a build record".into(),
        };
        assert!(matches!(
            reason(project.decide(unreadable, Some(&editable))),
            Reason::UnreadableRecord { .. }
        ));
    }

    #[test]
    fn a_state_built_before_is_restored_from_the_store_instead_of_replayed() {
        let project = Project::new();
        let known = hook_request("key");
        let store_dir = tempfile::tempdir().unwrap();
        let store = Store::at(store_dir.path().join("store"), u64::MAX);
        let stored = |project: &Project| {
            let mut record = project.record(true, Some(project.environment()));
            record.store_shelf = Some("shelf".into());
            record.replay.as_mut().unwrap().steps[0].destinations = vec![project.installed("p.so")];
            record.learn(Some(&known));
            record
        };
        let first = stored(&project);
        let key = store.put(&first, None).unwrap().unwrap();
        assert_eq!(
            store.put(&first, None).unwrap(),
            Some(key),
            "a state is stored once"
        );
        project.edit_source();
        fs::write(project.installed("p.so"), "binary of b").unwrap();
        let second = stored(&project);
        let with_store = |loaded: BuildRecord| {
            decide(Situation {
                request: Some(&known),
                store: Some(&store),
                ..project.situation(Loaded::Record(Box::new(loaded)))
            })
        };
        // a state never built: a replay
        fs::write(project.path("lib.rs"), "fn c() {}").unwrap();
        assert!(matches!(
            with_store(second.clone()),
            Decision::Replay { .. }
        ));
        // back to the first state: restored
        fs::write(project.path("lib.rs"), "fn a() {}").unwrap();
        let decision = with_store(second);
        let Decision::Restore { found, .. } = decision else {
            panic!("{decision:?}");
        };
        assert_eq!(found.entry.artifacts[0].name, "libp.so");
        let blob = store
            .verified_blob(&found.entry.artifacts[0].sha256)
            .unwrap();
        assert_eq!(fs::read(blob).unwrap(), b"binary");
    }
}

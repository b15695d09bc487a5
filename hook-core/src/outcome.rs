//! What the pipeline did: one vocabulary for every front end. The command line words it for a
//! terminal, the runtime hands it to Python as `maturin_import_hook._outcome.Outcome` (see
//! `python`), `status` words a dry run of the same [`crate::decision`].

use crate::record::BuildRecord;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing changed since the last build: no build, no install.
    UpToDate,
    /// Another process built it while this one waited for the project lock; up to date now.
    FoundRebuilt,
    /// The build of an editable install (`pip install -e`, `uv sync`) was taken over as it was:
    /// nothing was built.
    Adopted,
    /// Only Rust sources changed: cargo ran again as the last build ran it and the new
    /// extension (or binary) replaced the installed one; nothing else was touched.
    Replayed,
    /// Only Rust sources changed, to a state built before: the store's build of it replaced
    /// the installed extension (or binary), without cargo.
    Restored,
    /// Resolved, built and installed by a full develop; `metadata_changed` is false when only
    /// the extension (or binary) was replaced and the dist-info was left alone.
    Built { metadata_changed: bool },
    /// `--skip-install`: built in place only.
    BuiltInPlace,
    /// `--upstream-install`: maturin's own pip/uv based develop.
    UpstreamInstall,
    /// The project directory is gone; the last install was left as it is.
    SourcesGone,
    /// The light pipeline (without the maturin crate) stops here: a full develop is due.
    FullBuildNeeded,
}

impl Action {
    /// Every action's name, as Python's `maturin_import_hook._outcome.Action` spells it.
    pub const NAMES: [&'static str; 10] = [
        "up_to_date",
        "found_rebuilt",
        "adopted",
        "replayed",
        "restored",
        "built",
        "built_in_place",
        "upstream_install",
        "sources_gone",
        "full_build_needed",
    ];

    pub fn name(self) -> &'static str {
        let index = match self {
            Action::UpToDate => 0,
            Action::FoundRebuilt => 1,
            Action::Adopted => 2,
            Action::Replayed => 3,
            Action::Restored => 4,
            Action::Built { .. } => 5,
            Action::BuiltInPlace => 6,
            Action::UpstreamInstall => 7,
            Action::SourcesGone => 8,
            Action::FullBuildNeeded => 9,
        };
        Action::NAMES[index]
    }

    /// Whether this process ran a build (and its warnings, if any, are worth showing).
    pub fn built(self) -> bool {
        matches!(
            self,
            Action::Replayed | Action::Built { .. } | Action::BuiltInPlace
        )
    }
}

/// What a run of the pipeline did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub action: Action,
    /// Another build of the project held the lock, and this one waited for it.
    pub waited: bool,
    /// Why a build happened or is needed (the first changed input, …); for
    /// [`Action::SourcesGone`], what is gone.
    pub reason: Option<String>,
    /// Where a restored build comes from (`built 2 h ago on branch main`).
    pub source: Option<String>,
    pub project_name: Option<String>,
    pub version: Option<String>,
    /// The top-level modules the install provides.
    pub modules: Vec<String>,
    /// Files written into the environment.
    pub written: Vec<PathBuf>,
    /// Every file the build installed (written now or before), as recorded.
    pub outputs: Vec<PathBuf>,
    /// The files the build read, as recorded for the next check.
    pub inputs: Vec<PathBuf>,
    pub timings: Timings,
}

#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub freshness_check: Duration,
    pub resolve: Duration,
    pub compile: Duration,
    pub install: Duration,
    pub total: Duration,
}

impl Outcome {
    pub fn new(action: Action) -> Outcome {
        Outcome {
            action,
            waited: false,
            reason: None,
            source: None,
            project_name: None,
            version: None,
            modules: Vec::new(),
            written: Vec::new(),
            outputs: Vec::new(),
            inputs: Vec::new(),
            timings: Timings::default(),
        }
    }

    /// `action`, on the build that `record` describes.
    pub fn of_record(action: Action, record: &BuildRecord) -> Outcome {
        Outcome {
            project_name: Some(record.name.clone()),
            version: Some(record.version.clone()),
            modules: record.modules.clone(),
            outputs: record.output_paths(),
            inputs: record.input_paths(),
            ..Outcome::new(action)
        }
    }

    pub fn because(mut self, reason: impl ToString) -> Outcome {
        self.reason = Some(reason.to_string());
        self
    }
}

//! What a build remembers: the settings, the environment it was installed into, every input it
//! read, every file it installed and, when it can be replayed, the cargo commands it ran. The
//! next develop or import tells from stats alone that nothing changed, and from which inputs
//! changed whether replaying cargo is enough.

use crate::build_environment::BuildEnvironment;
use crate::fingerprint::{self, Change, ChangeKind, InputRecord};
use crate::replay::{RebuildPlan, Replayed};
use crate::request::KnownRequest;
use crate::store::{Category, Found, StoredInstall};
use crate::trust::{self, Untrusted};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const RECORD_FILE: &str = "develop.json";
/// Bumped when the format changes: a record of another format is not read (and the project is
/// rebuilt once).
pub const RECORD_FORMAT: u32 = 6;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildRecord {
    format: u32,
    /// The fingerprint of the develop flags, the interpreter and our version.
    pub settings: String,
    /// The environment the build was installed into (a venv or conda prefix): a copied or moved
    /// environment is another environment, whose installed files this record does not describe.
    pub environment: PathBuf,
    /// The build-relevant environment variables at build time.
    pub build_environment: BuildEnvironment,
    pub name: String,
    pub version: String,
    /// The directory holding the project's pyproject.toml.
    pub project_dir: PathBuf,
    /// The top-level modules the install provides.
    pub modules: Vec<String>,
    /// When the build started, by the file system's clock.
    pub build_started_ns: i128,
    /// What the compiler read (cargo's dep-info): when only these changed, replaying
    /// [`BuildRecord::replay`] is enough.
    pub sources: Vec<InputRecord>,
    /// Manifests, Cargo.lock, pyproject.toml, cargo configuration and toolchain files, and the
    /// files cargo or maturin would read if they existed (a `build.rs`, a Python package
    /// directory): a change needs a full develop.
    pub manifests: Vec<InputRecord>,
    /// Files that are copied into the install rather than compiled (a readme, a `.pyi` of a
    /// pure Rust layout, license files): `maturin develop` installs them anew when they
    /// change; an import does not rebuild for them.
    pub packaged: Vec<InputRecord>,
    /// Installed files the import depends on (modules, the extension, `.pth` files): a change
    /// or a deletion is a rebuild.
    pub outputs: Vec<InputRecord>,
    /// Other installed files (scripts, dist-info): only their deletion is a rebuild. Another
    /// distribution may install a script of the same name, and the last install wins.
    pub installed_extras: Vec<InputRecord>,
    /// How to rebuild after a change of sources only; `None` when that needs maturin (cffi
    /// and uniffi bindings, which are generated from the compiled library).
    pub replay: Option<RebuildPlan>,
    /// The requests that have these settings, with their keys for this environment (see
    /// [`crate::request::RequestId`]): the light check of an import trusts the record for
    /// those without resolving the settings; `status` shows who builds the project how.
    pub requests: Vec<KnownRequest>,
    /// The sha256 of the editable build (see [`crate::adopt`]) this record was taken over
    /// from: an editable install made since then is taken over again.
    #[serde(default)]
    pub adopted_from: Option<String>,
    /// The shelf of the store (see [`crate::store`]) that builds of this project with these
    /// settings, for this interpreter and target, go on; `None`: not stored.
    #[serde(default)]
    pub store_shelf: Option<String>,
    /// What installs this build where it was never built (see [`crate::store::StoredInstall`]):
    /// the full build's editable wheel, with the files later replays rebuilt.
    #[serde(default)]
    pub stored_install: Option<StoredInstall>,
}

/// What a check covers besides the inputs every check compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checking {
    /// An import: what it loads must match what the sources build.
    Import,
    /// `maturin develop`: also the packaged copies of non-Rust files.
    Develop,
}

/// What a freshness check decided.
#[derive(Debug, PartialEq, Eq)]
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
    /// The project directory is gone (deleted or moved away), or its Rust half is (every
    /// `Cargo.toml` the build read: a branch without the extension, a half-finished move):
    /// nothing can be built, and the last install is all there is. `reason` says what is gone.
    SourcesGone { reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only sources changed and the recorded cargo command can be replayed.
    RustOnly,
    /// A full develop: resolve the project, build and install.
    Full,
}

/// What [`BuildRecord::load`] found.
#[derive(Debug)]
pub enum Loaded {
    Nothing,
    /// There is a record, but it cannot be used: truncated, corrupt, or of another format.
    Unreadable {
        path: PathBuf,
        problem: String,
    },
    /// A record of a build installed into another environment (this one is a copy or a move).
    OtherEnvironment(PathBuf),
    /// A record, or a state directory, that someone else could have written (see
    /// [`crate::trust`]): its commands are not run.
    Untrusted(Untrusted),
    Record(Box<BuildRecord>),
}

/// What a new record is made of (see [`BuildRecord::new`]).
pub struct NewRecord {
    pub settings: String,
    pub environment: PathBuf,
    pub name: String,
    pub version: String,
    pub project_dir: PathBuf,
    pub modules: Vec<String>,
    pub build_started_ns: i128,
    pub sources: Vec<InputRecord>,
    pub manifests: Vec<InputRecord>,
    pub packaged: Vec<InputRecord>,
    pub outputs: Vec<InputRecord>,
    pub installed_extras: Vec<InputRecord>,
    pub replay: Option<RebuildPlan>,
}

impl BuildRecord {
    pub fn new(new: NewRecord) -> BuildRecord {
        BuildRecord {
            format: RECORD_FORMAT,
            settings: new.settings,
            environment: new.environment,
            build_environment: BuildEnvironment::current(),
            name: new.name,
            version: new.version,
            project_dir: new.project_dir,
            modules: new.modules,
            build_started_ns: new.build_started_ns,
            sources: new.sources,
            manifests: new.manifests,
            packaged: new.packaged,
            outputs: new.outputs,
            installed_extras: new.installed_extras,
            replay: new.replay,
            requests: Vec::new(),
            adopted_from: None,
            store_shelf: None,
            stored_install: None,
        }
    }

    /// Records that `request` (with `key`) has these settings; true when that is new.
    pub fn learn(&mut self, known: Option<&KnownRequest>) -> bool {
        match known {
            Some(known) if !self.knows_request(&known.key) => {
                self.requests.push(known.clone());
                true
            }
            _ => false,
        }
    }

    pub fn knows_request(&self, key: &str) -> bool {
        self.requests.iter().any(|known| known.key == key)
    }

    /// The record in `state_dir` of a build into `environment`.
    pub fn load(state_dir: &Path, environment: &Path) -> Loaded {
        let path = state_dir.join(RECORD_FILE);
        if let Err(untrusted) = trust::check(&path) {
            return Loaded::Untrusted(untrusted);
        }
        let unreadable = |problem: String| Loaded::Unreadable {
            path: path.clone(),
            problem,
        };
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Loaded::Nothing,
            Err(error) => return unreadable(error.to_string()),
        };
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        match serde_json::from_slice::<Format>(&bytes) {
            Err(error) => return unreadable(format!("it is not a build record ({error})")),
            Ok(Format { format }) if format != RECORD_FORMAT => {
                return unreadable(format!(
                    "it has format {format}, written by another version of maturin-hook (this \
                     one reads format {RECORD_FORMAT})"
                ))
            }
            Ok(_) => {}
        }
        match serde_json::from_slice::<BuildRecord>(&bytes) {
            Ok(record) if record.environment != environment => {
                Loaded::OtherEnvironment(record.environment)
            }
            Ok(record) => Loaded::Record(Box::new(record)),
            Err(error) => unreadable(format!("it is not a build record ({error})")),
        }
    }

    /// Saves the record (of a build that succeeded, or found up to date), and the quick check
    /// of imports that it now answers for.
    pub fn save(&self, state_dir: &Path) -> Result<()> {
        let path = state_dir.join(RECORD_FILE);
        crate::write_json_atomically(&path, self)?;
        crate::quick_check::write(self, &path);
        crate::last_failure::clear(state_dir);
        Ok(())
    }

    /// Compares the recorded build with the file system and this process's environment.
    pub fn check(&mut self, checking: Checking) -> Verdict {
        if !self.project_dir.is_dir() {
            return Verdict::SourcesGone {
                reason: format!(
                    "the project directory {} is gone",
                    self.project_dir.display()
                ),
            };
        }
        if let Some(reason) = BuildEnvironment::current().changes_since(&self.build_environment) {
            return Verdict::Stale {
                reason,
                scope: Scope::Full,
                changes: Vec::new(),
            };
        }
        let started = self.build_started_ns;
        let manifests = fingerprint::check(&mut self.manifests, started);
        if let Some(reason) = self.rust_half_gone(&manifests.changes) {
            return Verdict::SourcesGone { reason };
        }
        let outputs = fingerprint::check(&mut self.outputs, started);
        let (extras_deleted, extras_overwritten): (Vec<Change>, Vec<Change>) =
            fingerprint::check(&mut self.installed_extras, started)
                .changes
                .into_iter()
                .partition(|change| change.kind == ChangeKind::Deleted);
        // overwritten by another install: its content is taken as it is now, so that the next
        // check does not hash it again
        for change in &extras_overwritten {
            if let Some(record) = self
                .installed_extras
                .iter_mut()
                .find(|r| r.path == change.path)
            {
                if let Ok(now) = InputRecord::read(&change.path) {
                    *record = now;
                }
            }
        }
        let packaged = match checking {
            Checking::Develop => fingerprint::check(&mut self.packaged, started),
            Checking::Import => fingerprint::Checked::default(),
        };
        let sources = fingerprint::check(&mut self.sources, started);
        let restamped =
            manifests.restamped || sources.restamped || outputs.restamped || packaged.restamped;
        let reason = if let Some(change) = manifests.changes.first() {
            change.to_string()
        } else if let Some(change) = outputs.changes.iter().chain(&extras_deleted).next() {
            format!("the installed file {change}")
        } else if let Some(change) = packaged.changes.first() {
            format!("{change} (it is copied into the install)")
        } else if let Some(change) = sources.changes.first() {
            change.to_string()
        } else {
            return Verdict::Fresh { restamped };
        };
        let scope = if manifests.changes.is_empty()
            && outputs.changes.is_empty()
            && extras_deleted.is_empty()
            && packaged.changes.is_empty()
            && self.replay.is_some()
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

    /// When `changes` of the manifests deleted a `Cargo.toml` and none of those the build read
    /// is left, what says so.
    fn rust_half_gone(&self, changes: &[Change]) -> Option<String> {
        let is_cargo_toml = |path: &Path| path.file_name().is_some_and(|name| name == "Cargo.toml");
        let deleted = changes
            .iter()
            .find(|change| change.kind == ChangeKind::Deleted && is_cargo_toml(&change.path))?;
        let none_left = self
            .manifests
            .iter()
            .filter(|input| input.state.is_some() && is_cargo_toml(&input.path))
            .all(|input| !input.path.exists());
        none_left.then(|| format!("{} is gone", deleted.path.display()))
    }

    /// Whether a Rust-only change can be rebuilt by replaying cargo: there is a plan, and the
    /// directories its commands ran in still exist.
    pub fn can_replay(&self) -> bool {
        self.replay.as_ref().is_some_and(|plan| {
            plan.steps
                .iter()
                .all(|step| step.command.current_dir.as_deref().is_none_or(Path::is_dir))
        })
    }

    /// Takes in what a replay did: the inputs the compiler read this time and the new stamps
    /// of the files it replaced.
    pub fn record_replay(&mut self, replayed: &Replayed) -> Result<()> {
        let build_started_ns = replayed.build_started_ns;
        self.sources = replayed
            .sources
            .iter()
            .map(|path| InputRecord::read_after_build(path, build_started_ns))
            .collect::<Result<_>>()?;
        for record in self.outputs.iter_mut().chain(&mut self.installed_extras) {
            if replayed.written.contains(&record.path) {
                *record = InputRecord::read(&record.path)?;
            }
        }
        self.build_started_ns = build_started_ns;
        Ok(())
    }

    /// Takes in a restore of the stored build `found`: its inputs, as they are now (the
    /// record's own inputs outside the store's root stay as they are), and the new stamps of
    /// the files it replaced; the build counts as started at `now_ns`.
    pub fn restore_from(&mut self, found: &Found, written: &[PathBuf], now_ns: i128) -> Result<()> {
        let root = &found.root;
        let inputs = |category: Category, kept: &[InputRecord]| -> Result<Vec<InputRecord>> {
            let mut records: Vec<InputRecord> = kept
                .iter()
                .filter(|record| !record.path.starts_with(root))
                .cloned()
                .collect();
            for input in &found.entry.inputs {
                if input.category == category {
                    records.push(InputRecord::read(&root.join(&input.path))?);
                }
            }
            Ok(records)
        };
        self.sources = inputs(Category::Source, &self.sources)?;
        self.manifests = inputs(Category::Manifest, &self.manifests)?;
        self.packaged = inputs(Category::Packaged, &self.packaged)?;
        for record in self.outputs.iter_mut().chain(&mut self.installed_extras) {
            if written.contains(&record.path) {
                *record = InputRecord::read(&record.path)?;
            }
        }
        self.build_started_ns = now_ns;
        if let Some(install) = &found.entry.install {
            self.stored_install = Some(install.clone());
        }
        Ok(())
    }

    /// Every file a build read (for the watcher, and `status`).
    pub fn input_paths(&self) -> Vec<PathBuf> {
        self.sources
            .iter()
            .chain(&self.manifests)
            .chain(&self.packaged)
            .map(|record| record.path.clone())
            .collect()
    }

    /// Every installed file.
    pub fn output_paths(&self) -> Vec<PathBuf> {
        self.outputs
            .iter()
            .chain(&self.installed_extras)
            .map(|record| record.path.clone())
            .collect()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::filesystem_now;
    use crate::request::BuildRequest;
    use std::fs;

    /// A project with one source, one manifest, one installed module and one script.
    struct Project {
        dir: tempfile::TempDir,
        record: BuildRecord,
    }

    impl Project {
        fn new(replayable: bool) -> Project {
            let dir = tempfile::tempdir().unwrap();
            let path = |name: &str| dir.path().join(name);
            fs::create_dir_all(path("src")).unwrap();
            fs::write(path("pyproject.toml"), "[project]").unwrap();
            fs::write(path("src/lib.rs"), "fn a() {}").unwrap();
            fs::write(path("README.md"), "readme").unwrap();
            fs::write(path("ext.so"), "binary").unwrap();
            fs::write(path("script"), "#!python").unwrap();
            let started = filesystem_now(dir.path()).unwrap() - 1_000_000_000;
            let capture = |name: &str| InputRecord::read(&path(name)).unwrap();
            let record = BuildRecord::new(NewRecord {
                settings: "s".into(),
                environment: dir.path().join("venv"),
                name: "p".into(),
                version: "0.1.0".into(),
                project_dir: dir.path().to_path_buf(),
                modules: vec!["p".into()],
                build_started_ns: started,
                sources: vec![capture("src/lib.rs")],
                manifests: vec![capture("pyproject.toml"), capture("build.rs")],
                packaged: vec![capture("README.md")],
                outputs: vec![capture("ext.so")],
                installed_extras: vec![capture("script")],
                replay: replayable.then(|| RebuildPlan {
                    steps: Vec::new(),
                    dep_info: Vec::new(),
                    excluded_roots: Vec::new(),
                }),
            });
            Project { dir, record }
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn scope_after(mut self, checking: Checking, edit: impl FnOnce(&Project)) -> Option<Scope> {
            edit(&self);
            match self.record.check(checking) {
                Verdict::Fresh { .. } => None,
                Verdict::Stale { scope, .. } => Some(scope),
                Verdict::SourcesGone { .. } => panic!("the sources are there"),
            }
        }
    }

    #[test]
    fn decisions_from_recorded_inputs() {
        let import = Checking::Import;
        assert_eq!(Project::new(true).scope_after(import, |_| {}), None);
        let source_edit = |p: &Project| fs::write(p.path("src/lib.rs"), "fn b() {}").unwrap();
        assert_eq!(
            Project::new(true).scope_after(import, source_edit),
            Some(Scope::RustOnly)
        );
        assert_eq!(
            Project::new(false).scope_after(import, source_edit),
            Some(Scope::Full),
            "without a replay plan, a source edit is a full develop"
        );
        let manifest_edit = |p: &Project| fs::write(p.path("pyproject.toml"), "[tool]").unwrap();
        assert_eq!(
            Project::new(true).scope_after(import, manifest_edit),
            Some(Scope::Full)
        );
        let build_rs_appears = |p: &Project| fs::write(p.path("build.rs"), "fn main() {}").unwrap();
        assert_eq!(
            Project::new(true).scope_after(import, build_rs_appears),
            Some(Scope::Full),
            "an input that appears is a change"
        );
        let readme_edit = |p: &Project| fs::write(p.path("README.md"), "new readme").unwrap();
        assert_eq!(Project::new(true).scope_after(import, readme_edit), None);
        assert_eq!(
            Project::new(true).scope_after(Checking::Develop, readme_edit),
            Some(Scope::Full),
            "develop installs a changed readme anew"
        );
        let output_deleted = |p: &Project| fs::remove_file(p.path("ext.so")).unwrap();
        assert_eq!(
            Project::new(true).scope_after(import, output_deleted),
            Some(Scope::Full)
        );
        let script_overwritten = |p: &Project| fs::write(p.path("script"), "other").unwrap();
        assert_eq!(
            Project::new(true).scope_after(import, script_overwritten),
            None,
            "another distribution's script of the same name is no reason to rebuild"
        );
        let script_deleted = |p: &Project| fs::remove_file(p.path("script")).unwrap();
        assert_eq!(
            Project::new(true).scope_after(import, script_deleted),
            Some(Scope::Full)
        );
    }

    #[test]
    fn a_copied_environment_and_deleted_sources_are_told_apart() {
        let mut project = Project::new(true);
        let state_dir = project.path("state");
        project.record.save(&state_dir).unwrap();
        let environment = project.record.environment.clone();
        assert!(matches!(
            BuildRecord::load(&state_dir, &environment),
            Loaded::Record(_)
        ));
        match BuildRecord::load(&state_dir, &project.path("copy")) {
            Loaded::OtherEnvironment(recorded) => assert_eq!(recorded, environment),
            other => panic!("a copy must not use the original's record: {other:?}"),
        }
        project.record.project_dir = project.path("moved-away");
        assert!(matches!(
            project.record.check(Checking::Import),
            Verdict::SourcesGone { .. }
        ));
    }

    #[test]
    fn a_truncated_or_newer_record_is_named_as_such() {
        let project = Project::new(true);
        let state_dir = project.path("state");
        project.record.save(&state_dir).unwrap();
        let environment = project.record.environment.clone();
        let path = state_dir.join(RECORD_FILE);
        let json = fs::read_to_string(&path).unwrap();
        let problem = |text: &str| {
            fs::write(&path, text).unwrap();
            match BuildRecord::load(&state_dir, &environment) {
                Loaded::Unreadable { problem, .. } => problem,
                other => panic!("{other:?}"),
            }
        };
        assert!(problem(&json[..json.len() / 2]).starts_with("it is not a build record"));
        let newer = json.replacen(&format!("\"format\":{RECORD_FORMAT}"), "\"format\":99", 1);
        assert!(problem(&newer).starts_with("it has format 99"), "{newer}");
        fs::remove_file(&path).unwrap();
        assert!(matches!(
            BuildRecord::load(&state_dir, &environment),
            Loaded::Nothing
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_record_others_could_have_written_is_not_loaded() {
        use std::os::unix::fs::PermissionsExt;
        let project = Project::new(true);
        let state_dir = project.path("state");
        project.record.save(&state_dir).unwrap();
        let environment = project.record.environment.clone();
        let mode = |path: &Path, mode: u32| {
            fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap()
        };
        let record = state_dir.join(RECORD_FILE);
        mode(&record, 0o666);
        match BuildRecord::load(&state_dir, &environment) {
            Loaded::Untrusted(untrusted) => assert_eq!(untrusted.path, record),
            other => panic!("{other:?}"),
        }
        mode(&record, 0o600);
        mode(&state_dir, 0o777);
        fs::remove_file(&record).unwrap();
        match BuildRecord::load(&state_dir, &environment) {
            Loaded::Untrusted(untrusted) => assert_eq!(untrusted.path, state_dir),
            other => {
                panic!("a state directory others can write is no place for a record: {other:?}")
            }
        }
    }

    #[test]
    fn requests_are_learnt_once() {
        let mut record = Project::new(true).record;
        let known = KnownRequest {
            key: "k".into(),
            request: BuildRequest::Hook {
                args: Vec::new(),
                cwd: PathBuf::from("/p"),
                manifest_path: PathBuf::from("/p/Cargo.toml"),
            },
        };
        assert!(record.learn(Some(&known)));
        assert!(!record.learn(Some(&known)));
        assert!(!record.learn(None));
        assert!(record.knows_request("k") && !record.knows_request("other"));
    }
}

//! The store of built extensions: a state of the sources that was built once is not compiled
//! again. After a build, what it produced (the artifacts of its cargo commands: the extension
//! module, a binary) is kept here, content-addressed, with the record of what the build read;
//! before cargo runs, the decision (see [`crate::decision`]) looks for a stored build whose
//! inputs all have the content they have now, and installs its artifacts instead (a branch
//! switch, `git stash pop`, a worktree of the same commit, a second interpreter coming back).
//!
//! Layout, under the store's root (a per-user directory: see [`Store::local`]):
//!
//! ```text
//! v1/blobs/<sha256>                              the content of a file, by its sha256
//! v1/shelves/<shelf>/inputs/<sha256>.json       a list of inputs some build read (a PathSet)
//! v1/shelves/<shelf>/entries/<sha256>.json      an Entry: a build of those inputs at those contents
//! ```
//!
//! A *shelf* holds the builds of one project with one set of settings for one interpreter ABI
//! and target (see `BuildRecord::store_shelf`); an entry is named by the digest of its inputs'
//! contents, so a lookup hashes the inputs of each path set of the shelf and opens at most one
//! entry per path set. Inputs are named relative to the project's *root* (the directory that
//! holds the project and its local path dependencies), so an entry made in one clone or
//! worktree serves another; inputs outside the root (a user's cargo configuration) are not
//! part of an entry.
//!
//! A store only ever provides files: an entry lists inputs and file hashes, never a command, a
//! path to run or an environment. Every file is verified against its hash before it is
//! installed; an entry that does not verify is skipped (and removed locally). Entries and
//! blobs are written to a temporary name and renamed, and an entry only after its blobs, so
//! concurrent writers never leave a broken entry. The local store is private to its user
//! (directories `0700`), and files someone else owns or can write are not trusted.

use crate::atomic_write;
use crate::fingerprint::{sha256_file, sha256_hex, InputRecord};
use crate::record::BuildRecord;
use crate::trust;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `MATURIN_IMPORT_HOOK_STORE`: the URL of a shared store, or `off` to use no store at all.
pub const STORE_ENV: &str = "MATURIN_IMPORT_HOOK_STORE";
/// `MATURIN_IMPORT_HOOK_STORE_SIZE`: the size the local store is kept under (`500M`, `5G`).
pub const STORE_SIZE_ENV: &str = "MATURIN_IMPORT_HOOK_STORE_SIZE";
/// What the local store is kept under by default.
pub const DEFAULT_SIZE: u64 = 5 << 30;
const LAYOUT: &str = "v1";
const ENTRY_FORMAT: u32 = 1;

/// Which list of a build's record an input comes from (see [`BuildRecord`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Source,
    Manifest,
    Packaged,
}

/// An input of a stored build: its path relative to the root (`/`-separated) and the sha256 of
/// its content (`None`: the file did not exist; `directory` for a directory).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StoredInput {
    pub category: Category,
    pub path: String,
    pub sha256: Option<String>,
}

/// The artifact of one recorded cargo command (its file name: `libfoo.so`, `foo`), by content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredArtifact {
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub executable: bool,
}

/// Where a stored build comes from, for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// Seconds since the Unix epoch.
    pub at: u64,
    pub host: String,
    /// The branch (or commit) the root's git checkout was on.
    pub git: Option<String>,
    /// The version of maturin-hook that stored it.
    pub by: String,
}

impl Provenance {
    /// `built 2 h ago on branch main on ci-runner` (what the report of a restore says).
    pub fn describe(&self) -> String {
        let mut text = format!("built {}", crate::time_ago(self.at));
        if let Some(git) = &self.git {
            text.push_str(&format!(" on {git}"));
        }
        if !self.host.is_empty() && self.host != host_name() {
            text.push_str(&format!(" by {}", self.host));
        }
        text
    }
}

/// A stored build.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub format: u32,
    /// The project directory, relative to the root (`""`: the root itself).
    pub project: String,
    pub inputs: Vec<StoredInput>,
    /// One per recorded cargo command, in their order.
    pub artifacts: Vec<StoredArtifact>,
    /// What installs the project where it was never built (a full build's), if kept.
    #[serde(default)]
    pub install: Option<StoredInstall>,
    pub built: Provenance,
}

/// What a full build installed, enough to install the project again without building it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredInstall {
    /// The distribution's name and version.
    pub name: String,
    pub version: String,
    /// The top-level modules it provides.
    pub modules: Vec<String>,
    /// The editable wheel maturin built (by its file name).
    pub wheel: StoredArtifact,
    /// The files the build wrote into the project (a mixed project's extension), by their
    /// path relative to the root.
    pub project_files: Vec<StoredArtifact>,
    /// The root the build ran in: the wheel's `.pth` files name the project's Python source
    /// directory under it.
    pub root: String,
    /// Members of the wheel that a later replay rebuilt (the extension module in
    /// site-packages), by their name in the wheel: installed in place of the wheel's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<StoredArtifact>,
}

impl StoredInstall {
    /// This install after a replay that wrote `artifact` to `destination`: a file of the
    /// project, or a member of the wheel installed in site-packages; `None` when the
    /// destination is neither (the install cannot be derived).
    fn after_replay(
        &self,
        root: &Path,
        destination: &Path,
        artifact: &StoredArtifact,
    ) -> Option<Self> {
        let mut install = self.clone();
        let replacing = |name: String| StoredArtifact {
            name,
            ..artifact.clone()
        };
        if let Some(name) = relative(root, destination) {
            let file = install
                .project_files
                .iter_mut()
                .find(|file| file.name == name)?;
            *file = replacing(name);
            return Some(install);
        }
        let member = installed_member(destination)?;
        install.replaced.retain(|file| file.name != member);
        install.replaced.push(replacing(member));
        Some(install)
    }
}

/// The name in a wheel of a file installed at `path` in an environment (what follows
/// `site-packages/`).
fn installed_member(path: &Path) -> Option<String> {
    let parts: Vec<&str> = path
        .components()
        .map(|part| part.as_os_str().to_str())
        .collect::<Option<_>>()?;
    let at = parts.iter().rposition(|part| *part == "site-packages")?;
    let member = parts[at + 1..].join("/");
    (!member.is_empty()).then_some(member)
}

/// A full build's install, for [`Store::put`].
#[derive(Debug, Clone, Copy)]
pub struct Install<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub modules: &'a [String],
    pub wheel: &'a Path,
    /// Files the build wrote into the project.
    pub project_files: &'a [PathBuf],
}

/// The inputs some build of a shelf read, by path: the names a lookup hashes.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PathSet {
    project: String,
    inputs: Vec<(Category, String)>,
}

impl PathSet {
    /// Its inputs under `root` with the content `hash` gives each (by its absolute path) now.
    fn inputs_now(
        &self,
        root: &Path,
        mut hash: impl FnMut(PathBuf) -> Option<String>,
    ) -> Vec<StoredInput> {
        self.inputs
            .iter()
            .map(|(category, relative)| StoredInput {
                category: *category,
                path: relative.clone(),
                sha256: hash(root.join(relative)),
            })
            .collect()
    }
}

impl Entry {
    /// Every file the entry keeps: its artifacts, and its install's wheel and project files.
    pub fn stored_files(&self) -> impl Iterator<Item = &StoredArtifact> {
        let install = self.install.iter().flat_map(|install| {
            std::iter::once(&install.wheel)
                .chain(&install.project_files)
                .chain(&install.replaced)
        });
        self.artifacts.iter().chain(install)
    }
}

/// Names an entry in every store: its shelf and the digest of its inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryKey {
    pub shelf: String,
    pub digest: String,
}

/// What [`Store::put`] kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub key: EntryKey,
    /// What installs this build where it was never built, when the store has that (for
    /// `BuildRecord::stored_install`).
    pub install: Option<StoredInstall>,
}

/// An entry that matches the sources as they are now.
#[derive(Debug, Clone)]
pub struct Found {
    pub entry: Entry,
    /// The directory the entry's inputs are relative to, here.
    pub root: PathBuf,
    digest: String,
    shelf: String,
}

/// What [`Store::info`] counts.
#[derive(Debug, Default, Clone, Serialize)]
pub struct StoreInfo {
    pub entries: u64,
    pub bytes: u64,
    pub hits: u64,
}

/// A store on the local file system.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    size_limit: u64,
}

impl Store {
    /// The user's local store: `$MATURIN_BUILD_DIR/store` when that is set, else
    /// `<user cache dir>/maturin_build_cache/store`; `None` when `MATURIN_IMPORT_HOOK_STORE` is
    /// `off`.
    pub fn local() -> Option<Store> {
        if std::env::var_os(STORE_ENV).is_some_and(|value| value == "off") {
            return None;
        }
        let root = match std::env::var_os(crate::cache_location::BUILD_DIR_ENV) {
            Some(dir) => PathBuf::from(dir).join("store"),
            None => dirs::cache_dir()?.join("maturin_build_cache").join("store"),
        };
        let size_limit = std::env::var(STORE_SIZE_ENV)
            .ok()
            .and_then(|text| parse_size(&text))
            .unwrap_or(DEFAULT_SIZE);
        Some(Store { root, size_limit })
    }

    pub fn at(root: PathBuf, size_limit: u64) -> Store {
        Store { root, size_limit }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn layout(&self) -> PathBuf {
        self.root.join(LAYOUT)
    }

    pub fn blob_path(&self, sha256: &str) -> PathBuf {
        self.layout().join("blobs").join(sha256)
    }

    fn shelf_dir(&self, shelf: &str) -> PathBuf {
        self.layout().join("shelves").join(shelf)
    }

    /// The first directory of `shelf` that is not trusted (see [`crate::trust`]), when there is
    /// one: [`Store::find`] skips what it holds, and the user should hear why.
    pub fn untrusted(&self, shelf: &str) -> Option<trust::Untrusted> {
        let shelf_dir = self.shelf_dir(shelf);
        ["inputs", "entries"]
            .iter()
            .find_map(|dir| trust::check(&shelf_dir.join(dir)).err())
    }

    /// The entry of `shelf` whose inputs, relative to `root`, all have their stored content,
    /// when there is one (the first found).
    pub fn find(&self, shelf: &str, project_dir: &Path) -> Option<Found> {
        let shelf_dir = self.shelf_dir(shelf);
        let sets = fs::read_dir(shelf_dir.join("inputs")).ok()?;
        let mut hashes = BTreeMap::new();
        for set in sets.flatten() {
            let path = set.path();
            if !trust::is_trusted(&path) {
                continue;
            }
            let Some(set) = read_json::<PathSet>(&path) else {
                continue;
            };
            let Some(root) = root_above(project_dir, &set.project) else {
                continue;
            };
            let inputs = set.inputs_now(&root, |absolute| {
                hashes
                    .entry(absolute)
                    .or_insert_with_key(|absolute: &PathBuf| current_hash(absolute))
                    .clone()
            });
            let digest = digest_of(&set.project, &inputs);
            let entry_path = shelf_dir.join("entries").join(format!("{digest}.json"));
            if !entry_path.is_file() || !trust::is_trusted(&entry_path) {
                continue;
            }
            match read_json::<Entry>(&entry_path) {
                Some(entry) if entry.format == ENTRY_FORMAT && entry.inputs == inputs => {
                    return Some(Found {
                        entry,
                        root,
                        digest,
                        shelf: shelf.to_string(),
                    });
                }
                _ => {
                    tracing::debug!("skipping the unreadable entry {}", entry_path.display());
                }
            }
        }
        None
    }

    /// The blob of `sha256`, after checking that its content has that hash (a blob that does
    /// not is removed: the next build stores it anew).
    pub fn verified_blob(&self, sha256: &str) -> Result<PathBuf> {
        let path = self.blob_path(sha256);
        trust::check(&path)?;
        let actual = sha256_file(&path)
            .with_context(|| format!("cannot read the stored file {}", path.display()))?;
        if actual != sha256 {
            let _ = fs::remove_file(&path);
            bail!(
                "the stored file {} is damaged (its content has the sha256 {actual}); it was \
                 removed",
                path.display()
            );
        }
        Ok(path)
    }

    /// Counts a restore of `found` (for `cache info`) and marks it recently used.
    pub fn mark_used(&self, found: &Found) {
        let entries = self.shelf_dir(&found.shelf).join("entries");
        let hits = entries.join(format!("{}.hits", found.digest));
        let count: u64 = fs::read_to_string(&hits)
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0);
        let _ = atomic_write::write(
            &hits,
            (count + 1).to_string().as_bytes(),
            atomic_write::Options::default(),
        );
        let entry = entries.join(format!("{}.json", found.digest));
        let _ = fs::File::open(&entry).and_then(|file| file.set_modified(SystemTime::now()));
    }

    /// Keeps the build that `record` describes (its artifacts, as installed, and what it
    /// read) with `install` (a full build's) or else the install derived from the record's
    /// last one (a replay's), unless the store has it already; its entry either way. A record
    /// that cannot be stored (no shelf, no replayable artifacts, an input that changed during
    /// the build) gives `None`.
    pub fn put(&self, record: &BuildRecord, install: Option<&Install<'_>>) -> Result<Option<Kept>> {
        let Some(shelf) = &record.store_shelf else {
            return Ok(None);
        };
        if record.replay.is_none() && install.is_none() {
            return Ok(None);
        }
        let root = root_of(record);
        let Some(project) = relative(&root, &record.project_dir) else {
            return Ok(None);
        };
        let mut inputs = Vec::new();
        for (category, records) in [
            (Category::Source, &record.sources),
            (Category::Manifest, &record.manifests),
            (Category::Packaged, &record.packaged),
        ] {
            for input in records {
                if input.state.as_ref().is_some_and(|state| state.unsettled) {
                    // it may have changed after the compiler read it: the build is not that
                    // of its content
                    return Ok(None);
                }
                if let Some(path) = relative(&root, &input.path) {
                    inputs.push(StoredInput {
                        category,
                        path,
                        sha256: input.state.as_ref().map(|state| state.sha256.clone()),
                    });
                }
            }
        }
        inputs.sort();
        inputs.dedup();
        let digest = digest_of(&project, &inputs);
        let key = EntryKey {
            shelf: shelf.clone(),
            digest: digest.clone(),
        };
        let shelf_dir = self.shelf_dir(shelf);
        let entry_path = shelf_dir.join("entries").join(format!("{digest}.json"));
        let existing: Option<Entry> = read_json(&entry_path);
        if let Some(entry) = &existing {
            if entry.install.is_some() || install.is_none() {
                return Ok(Some(Kept {
                    key,
                    install: entry.install.clone(),
                }));
            }
        }
        let mut artifacts = Vec::new();
        let mut derived = record.stored_install.clone();
        for step in record.replay.iter().flat_map(|plan| &plan.steps) {
            let (Some(name), Some(installed)) = (
                step.artifact.file_name().and_then(|name| name.to_str()),
                step.destinations.first(),
            ) else {
                return Ok(None);
            };
            // the record hashed what it installed
            let recorded = record
                .outputs
                .iter()
                .chain(&record.installed_extras)
                .find(|output| output.path == *installed)
                .and_then(|output| output.state.as_ref())
                .map(|state| state.sha256.clone());
            let artifact = self.keep_file(installed, name, recorded)?;
            derived = derived.and_then(|derived| derived.after_replay(&root, installed, &artifact));
            artifacts.push(artifact);
        }
        let install = match install {
            Some(install) => {
                let wheel_name = install
                    .wheel
                    .file_name()
                    .and_then(|name| name.to_str())
                    .context("a wheel without a file name")?;
                let mut project_files = Vec::new();
                for file in install.project_files {
                    let Some(name) = relative(&root, file) else {
                        return Ok(None);
                    };
                    project_files.push(self.keep_file(file, &name, None)?);
                }
                Some(StoredInstall {
                    name: install.name.to_string(),
                    version: install.version.to_string(),
                    modules: install.modules.to_vec(),
                    wheel: self.keep_file(install.wheel, wheel_name, None)?,
                    project_files,
                    root: root.to_string_lossy().into_owned(),
                    replaced: Vec::new(),
                })
            }
            None => existing.and_then(|entry| entry.install).or(derived),
        };
        let set = PathSet {
            project: project.clone(),
            inputs: inputs
                .iter()
                .map(|input| (input.category, input.path.clone()))
                .collect(),
        };
        let set_json = serde_json::to_vec(&set)?;
        let set_path = shelf_dir
            .join("inputs")
            .join(format!("{}.json", sha256_hex(&set_json)));
        write_private(&set_path, &set_json)?;
        let entry = Entry {
            format: ENTRY_FORMAT,
            project,
            inputs,
            artifacts,
            install,
            built: Provenance {
                at: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|since| since.as_secs())
                    .unwrap_or_default(),
                host: host_name(),
                git: git_head(&root),
                by: env!("CARGO_PKG_VERSION").to_string(),
            },
        };
        write_private(&entry_path, &serde_json::to_vec(&entry)?)?;
        self.keep_under_limit();
        Ok(Some(Kept {
            key,
            install: entry.install,
        }))
    }

    /// The files of the entry `key`, by their name in the store's layout (the same in every
    /// store): its path set, its blobs, and last the entry itself, in the order a copy must
    /// write them.
    pub fn files_of(&self, key: &EntryKey) -> Result<Vec<(String, PathBuf)>> {
        let entry_name = format!("shelves/{}/entries/{}.json", key.shelf, key.digest);
        let entry_path = self.layout().join(&entry_name);
        let entry: Entry = read_json(&entry_path)
            .with_context(|| format!("cannot read the entry {}", entry_path.display()))?;
        let set = PathSet {
            project: entry.project.clone(),
            inputs: entry
                .inputs
                .iter()
                .map(|input| (input.category, input.path.clone()))
                .collect(),
        };
        let set_name = format!(
            "shelves/{}/inputs/{}.json",
            key.shelf,
            sha256_hex(&serde_json::to_vec(&set)?)
        );
        let mut files = vec![(set_name.clone(), self.layout().join(&set_name))];
        for artifact in entry.stored_files() {
            let name = format!("blobs/{}", artifact.sha256);
            files.push((name.clone(), self.layout().join(name)));
        }
        files.push((entry_name, entry_path));
        Ok(files)
    }

    /// The digest of the entry that the path set `set` (its JSON) names for the sources of
    /// the project at `project_dir` as they are now: the entry a lookup would open.
    pub fn digest_for(set: &[u8], project_dir: &Path) -> Option<String> {
        let set: PathSet = serde_json::from_slice(set).ok()?;
        let root = root_above(project_dir, &set.project)?;
        let inputs = set.inputs_now(&root, |absolute| current_hash(&absolute));
        Some(digest_of(&set.project, &inputs))
    }

    /// Writes a file received from another store under its layout name `name` (see
    /// [`Store::files_of`]); a blob must have the content its name says.
    pub fn receive(&self, name: &str, content: &[u8]) -> Result<()> {
        let valid = name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\\'));
        if !valid {
            bail!("{name} is not a name of the store's layout");
        }
        if let Some(sha256) = name.strip_prefix("blobs/") {
            if sha256_hex(content) != sha256 {
                bail!("the shared store's {name} does not have that content");
            }
        }
        write_private(&self.layout().join(name), content)
    }

    /// The names of the path sets of `shelf`, by their layout name.
    pub fn path_set_names(&self, shelf: &str) -> Vec<String> {
        files_in(&self.shelf_dir(shelf).join("inputs"))
            .filter_map(|path| {
                let name = path.file_name()?.to_str()?.to_string();
                Some(format!("shelves/{shelf}/inputs/{name}"))
            })
            .collect()
    }

    /// Keeps a copy of `file` as the artifact `name` (`sha256`: its hash, when known).
    fn keep_file(&self, file: &Path, name: &str, sha256: Option<String>) -> Result<StoredArtifact> {
        let sha256 = match sha256 {
            Some(sha256) => sha256,
            None => sha256_file(file).with_context(|| format!("cannot read {}", file.display()))?,
        };
        let metadata = fs::metadata(file)?;
        self.put_blob(file, &sha256)?;
        Ok(StoredArtifact {
            name: name.to_string(),
            sha256,
            size: metadata.len(),
            executable: is_executable(&metadata),
        })
    }

    /// Puts a copy of `file` into the store as the blob `sha256` (a copy, not a link: a tool
    /// that rewrites the installed file in place must not change the blob).
    fn put_blob(&self, file: &Path, sha256: &str) -> Result<()> {
        let blob = self.blob_path(sha256);
        if blob.is_file() {
            return Ok(());
        }
        let dir = blob.parent().expect("a blob is in a directory");
        create_private_dir(dir)?;
        let temporary = dir.join(format!(".{sha256}.{}", std::process::id()));
        fs::copy(file, &temporary)
            .with_context(|| format!("cannot copy {} into the store", file.display()))?;
        #[cfg(unix)]
        {
            // writable by nobody but its owner, whatever the installed file's mode was
            use std::os::unix::fs::PermissionsExt;
            let executable = fs::metadata(file).is_ok_and(|meta| is_executable(&meta));
            let mode = if executable { 0o755 } else { 0o644 };
            fs::set_permissions(&temporary, fs::Permissions::from_mode(mode))?;
        }
        fs::rename(&temporary, &blob)
            .with_context(|| format!("cannot write {}", blob.display()))?;
        Ok(())
    }

    /// Entries, bytes and restores of the store.
    pub fn info(&self) -> StoreInfo {
        let mut info = StoreInfo::default();
        for entry in self.entry_files() {
            info.entries += 1;
            let hits = entry.with_extension("hits");
            info.hits += fs::read_to_string(hits)
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                .unwrap_or(0);
        }
        for blob in files_in(&self.layout().join("blobs")) {
            info.bytes += fs::metadata(blob).map(|meta| meta.len()).unwrap_or(0);
        }
        info
    }

    /// Removes everything the store holds.
    pub fn clear(&self) -> Result<()> {
        match fs::remove_dir_all(self.layout()) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(error).with_context(|| format!("cannot remove {}", self.layout().display()))
            }
            _ => Ok(()),
        }
    }

    fn entry_files(&self) -> Vec<PathBuf> {
        let mut entries = Vec::new();
        for shelf in dirs_in(&self.layout().join("shelves")) {
            entries.extend(
                files_in(&shelf.join("entries"))
                    .filter(|path| path.extension().is_some_and(|ext| ext == "json")),
            );
        }
        entries
    }

    /// Removes the least recently used entries while the blobs take more than the limit, then
    /// the blobs no entry names.
    fn keep_under_limit(&self) {
        let blobs: Vec<(PathBuf, u64)> = files_in(&self.layout().join("blobs"))
            .map(|path| {
                let size = fs::metadata(&path).map(|meta| meta.len()).unwrap_or(0);
                (path, size)
            })
            .collect();
        let mut total: u64 = blobs.iter().map(|(_, size)| size).sum();
        if total <= self.size_limit {
            return;
        }
        let mut entries: Vec<(SystemTime, PathBuf)> = self
            .entry_files()
            .into_iter()
            .map(|path| {
                let used = fs::metadata(&path)
                    .and_then(|meta| meta.modified())
                    .unwrap_or(UNIX_EPOCH);
                (used, path)
            })
            .collect();
        entries.sort();
        let sizes: BTreeMap<String, u64> = blobs
            .iter()
            .filter_map(|(path, size)| Some((path.file_name()?.to_str()?.to_string(), *size)))
            .collect();
        let mut kept: Vec<PathBuf> = entries.iter().map(|(_, path)| path.clone()).collect();
        for (_, path) in &entries {
            if total <= self.size_limit {
                break;
            }
            if let Some(entry) = read_json::<Entry>(path) {
                for artifact in entry.stored_files() {
                    total = total.saturating_sub(sizes.get(&artifact.sha256).copied().unwrap_or(0));
                }
            }
            let _ = fs::remove_file(path);
            let _ = fs::remove_file(path.with_extension("hits"));
            kept.retain(|kept| kept != path);
        }
        let named: std::collections::BTreeSet<String> = kept
            .iter()
            .filter_map(|path| read_json::<Entry>(path))
            .flat_map(|entry| {
                entry
                    .stored_files()
                    .map(|artifact| artifact.sha256.clone())
                    .collect::<Vec<_>>()
            })
            .collect();
        for (path, _) in blobs {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            if !named.contains(name) {
                let _ = fs::remove_file(path);
            }
        }
    }
}

/// The directory a record's inputs are named relative to: the deepest directory that holds
/// the project directory and every source the compiler read there (local path dependencies,
/// workspace members).
pub fn root_of(record: &BuildRecord) -> PathBuf {
    let mut root = record.project_dir.clone();
    for source in &record.sources {
        while !source.path.starts_with(&root) {
            match root.parent() {
                Some(parent) => root = parent.to_path_buf(),
                None => return root,
            }
        }
    }
    root
}

/// The root of an entry made in a project `project` (relative to its root), here: the
/// directory that many levels above `project_dir`.
fn root_above(project_dir: &Path, project: &str) -> Option<PathBuf> {
    let depth = Path::new(project)
        .components()
        .filter(|part| matches!(part, Component::Normal(_)))
        .count();
    let root = project_dir.ancestors().nth(depth)?.to_path_buf();
    (relative(&root, project_dir)? == project).then_some(root)
}

/// `path` relative to `root`, `/`-separated; `None` outside it or when not UTF-8.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let rest = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = rest
        .components()
        .map(|part| match part {
            Component::Normal(name) => name.to_str(),
            _ => None,
        })
        .collect();
    Some(parts?.join("/"))
}

fn current_hash(path: &Path) -> Option<String> {
    InputRecord::read(path)
        .ok()
        .and_then(|input| input.state.map(|state| state.sha256))
}

/// What names an entry: the project's place and every input's path and content.
fn digest_of(project: &str, inputs: &[StoredInput]) -> String {
    let mut text = format!("{LAYOUT}\0{project}\0");
    for input in inputs {
        text.push_str(&format!(
            "{:?}\0{}\0{}\0",
            input.category,
            input.path,
            input.sha256.as_deref().unwrap_or("-")
        ));
    }
    sha256_hex(text.as_bytes())
}

/// `500M`, `5G`, `1024` (bytes).
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let factor: u64 = match unit.trim().to_ascii_uppercase().trim_end_matches('B') {
        "" => 1,
        "K" | "KI" => 1 << 10,
        "M" | "MI" => 1 << 20,
        "G" | "GI" => 1 << 30,
        "T" | "TI" => 1 << 40,
        _ => return None,
    };
    number.parse::<u64>().ok()?.checked_mul(factor)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&fs::read(path).ok()?).ok()
}

fn write_private(path: &Path, content: &[u8]) -> Result<()> {
    let dir = path.parent().expect("a store file is in a directory");
    create_private_dir(dir)?;
    let options = atomic_write::Options {
        permissions: trust::PRIVATE_FILE,
        sync: false,
    };
    atomic_write::write(path, content, options)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Creates `dir` and its missing parents readable and writable by their owner only.
fn create_private_dir(dir: &Path) -> Result<()> {
    trust::create_private_dir(dir)
        .with_context(|| format!("cannot create the store directory {}", dir.display()))
}

fn is_executable(metadata: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        metadata.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        false
    }
}

fn files_in(dir: &Path) -> impl Iterator<Item = PathBuf> {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .map(|entry| entry.path())
}

fn dirs_in(dir: &Path) -> impl Iterator<Item = PathBuf> {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .map(|entry| entry.path())
}

fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|name| name.trim().to_string())
        .unwrap_or_default()
}

/// `branch main`, or the commit, of the git checkout `root` is in.
fn git_head(root: &Path) -> Option<String> {
    let dot_git = root
        .ancestors()
        .map(|dir| dir.join(".git"))
        .find(|dot_git| dot_git.exists())?;
    let git_dir = if dot_git.is_file() {
        // a worktree: `gitdir: <path>`
        let text = fs::read_to_string(&dot_git).ok()?;
        let dir = PathBuf::from(text.strip_prefix("gitdir:")?.trim());
        dot_git.parent()?.join(dir)
    } else {
        dot_git
    };
    let head = fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    Some(match head.strip_prefix("ref: refs/heads/") {
        Some(branch) => format!("branch {branch}"),
        None => format!("commit {}", head.get(..12).unwrap_or(head)),
    })
}

/// The URL of the shared store (`MATURIN_IMPORT_HOOK_STORE`), when one is configured.
pub fn shared_store_url() -> Option<String> {
    std::env::var(STORE_ENV)
        .ok()
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty() && value != "off")
}

/// How long a lookup in a shared store may take before the build runs without it.
pub fn shared_store_timeout() -> Duration {
    std::env::var("MATURIN_IMPORT_HOOK_STORE_TIMEOUT")
        .ok()
        .and_then(|text| text.trim().parse::<f64>().ok())
        .map(|seconds| Duration::from_secs_f64(seconds.max(0.0)))
        .unwrap_or(Duration::from_secs(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_derives_the_install_of_its_state() {
        let file = |name: &str, sha256: &str| StoredArtifact {
            name: name.into(),
            sha256: sha256.into(),
            size: 1,
            executable: false,
        };
        let install = StoredInstall {
            name: "p".into(),
            version: "1".into(),
            modules: vec!["p".into()],
            wheel: file("p-1-cp311-cp311-linux_x86_64.whl", "w"),
            project_files: vec![file("python/p/_p.so", "old")],
            root: "/checkout".into(),
            replaced: Vec::new(),
        };
        let root = Path::new("/checkout");
        let mixed = install
            .after_replay(root, &root.join("python/p/_p.so"), &file("lib_p.so", "new"))
            .unwrap();
        assert_eq!(mixed.project_files, vec![file("python/p/_p.so", "new")]);
        let installed = Path::new("/venv/lib/python3.11/site-packages/p/p.so");
        let pure = install
            .after_replay(root, installed, &file("libp.so", "a"))
            .unwrap();
        let again = pure
            .after_replay(root, installed, &file("libp.so", "b"))
            .unwrap();
        assert_eq!(again.replaced, vec![file("p/p.so", "b")]);
        assert!(install
            .after_replay(root, Path::new("/elsewhere/p.so"), &file("libp.so", "c"))
            .is_none());
    }

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("500M"), Some(500 << 20));
        assert_eq!(parse_size("5 GiB"), Some(5 << 30));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size("lots"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_shelf_others_can_write_is_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path().join("store"), DEFAULT_SIZE);
        let inputs = store.shelf_dir("s").join("inputs");
        assert_eq!(store.untrusted("s"), None, "nothing there yet");
        create_private_dir(&inputs).unwrap();
        assert_eq!(store.untrusted("s"), None);
        fs::set_permissions(&inputs, fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(store.untrusted("s").unwrap().path, inputs);
    }

    #[test]
    fn roots_and_relative_names() {
        let root = Path::new("/work/repo");
        assert_eq!(
            relative(root, Path::new("/work/repo/py/src/lib.rs")).as_deref(),
            Some("py/src/lib.rs")
        );
        assert_eq!(relative(root, Path::new("/elsewhere/x")), None);
        assert_eq!(
            root_above(Path::new("/other/clone/py"), "py"),
            Some(PathBuf::from("/other/clone"))
        );
        assert_eq!(
            root_above(Path::new("/other/clone"), ""),
            Some(PathBuf::from("/other/clone"))
        );
        assert_eq!(root_above(Path::new("/other/clone/rust"), "py"), None);
    }
}

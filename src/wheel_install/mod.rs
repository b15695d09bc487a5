//! Installing a wheel into a Python environment without pip.
//!
//! `maturin develop` builds a wheel and installs it with [`install_wheel`] instead of running
//! `pip install --force-reinstall` and `pip show`. The result is what pip would leave behind
//! (files, `*.dist-info` with `INSTALLER`, `REQUESTED`, `direct_url.json` and a `RECORD` that
//! pip, uv and `importlib.metadata` read), with two differences that make a rebuild cheap:
//!
//! - a file whose content did not change is not touched (same inode and mtime), and a changed
//!   file is replaced by a rename, so a process that has the old extension module loaded keeps
//!   working;
//! - the previous install (any version, by any installer) is cleaned up after the new files
//!   are in place: files only it listed in its RECORD are removed, and so is its dist-info
//!   directory when the version changed. A failure before that leaves the previous install
//!   usable.
//!
//! Bytecode is not compiled (as with uv); Python writes `__pycache__` on first import.
//!
//! The parts: [`layout`] reads the wheel and maps its entries to destinations, [`record`]
//! reads and writes RECORD files, [`scripts`] makes entry point launchers and rewrites
//! `#!python` shebangs, and `fsio` does the careful writing and removing.

mod fsio;
pub mod layout;
mod record_file;
mod scripts;

use anyhow::{anyhow, bail, Context, Result};
use fsio::{FileMode, Outcome, Transaction};
use layout::{normalize_dist_name, normalize_path, Scheme, Wheel};
use record_file::RecordRow;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Where things go in the target environment: the install scheme of its interpreter, as
/// `sysconfig.get_paths()` reports it (and pip uses it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentPaths {
    /// The interpreter that scripts run with (written into shebangs as given, symlinks kept:
    /// a venv's `bin/python` must stay the venv's).
    pub python: PathBuf,
    /// Pure Python packages (`site-packages`); holds the dist-info of `Root-Is-Purelib` wheels.
    pub purelib: PathBuf,
    /// Platform-specific packages; holds the dist-info of other wheels (often = `purelib`).
    pub platlib: PathBuf,
    /// Executables: `.data/scripts/` files and entry point launchers (`bin`, `Scripts`).
    pub scripts: PathBuf,
    /// The prefix for `.data/data/` files (the environment root). Stale files of a previous
    /// install are only removed when they are inside one of these directories.
    pub data: PathBuf,
    /// The directory under which `.data/headers/` go, as `<include>/<distribution name>/…`.
    /// pip uses `<venv>/include/site/pythonX.Y` in a virtual environment (sysconfig's `include`
    /// is the base interpreter's own header directory there).
    pub include: PathBuf,
}

impl EnvironmentPaths {
    /// The paths of a virtual environment at `venv`, for `python_dir`, the directory name
    /// under `lib/` (`python3.12`, `pypy3.10`, `python3.13t`). On Windows, the `Lib`,
    /// `Scripts` layout (and `python_dir` only names the headers directory). Tests build
    /// environments with it; real installs take the paths from the interpreter.
    #[cfg(test)]
    pub fn for_venv(venv: &Path, python_dir: &str) -> EnvironmentPaths {
        let (python, site_packages, scripts) = if cfg!(windows) {
            (
                venv.join("Scripts").join("python.exe"),
                venv.join("Lib").join("site-packages"),
                venv.join("Scripts"),
            )
        } else {
            (
                venv.join("bin").join("python"),
                venv.join("lib").join(python_dir).join("site-packages"),
                venv.join("bin"),
            )
        };
        EnvironmentPaths {
            python,
            purelib: site_packages.clone(),
            platlib: site_packages,
            scripts,
            data: venv.to_path_buf(),
            include: venv.join("include").join("site").join(python_dir),
        }
    }
}

/// What to install where.
#[derive(Debug, Clone, Copy)]
pub struct InstallRequest<'a> {
    /// The `.whl` file.
    pub wheel: &'a Path,
    /// The target environment.
    pub paths: &'a EnvironmentPaths,
    /// The project directory of an editable install, recorded in `direct_url.json` (which the
    /// import hook and `pip list --editable` read). `None`: not editable, no `direct_url.json`.
    pub editable_project_dir: Option<&'a Path>,
    /// Written to the dist-info's `INSTALLER` file, e.g. `"maturin"`.
    pub installer: &'a str,
    /// Files (name, content) installed into the wheel's root directory besides its own, and
    /// listed in RECORD like them (the import hook's `.pth`).
    pub extra_root_files: &'a [(String, Vec<u8>)],
    /// Files (path relative to the environment's prefix, content) installed like the wheel's
    /// `.data/data/` files and listed in RECORD (the import hook's quick check).
    pub extra_data_files: &'a [(PathBuf, Vec<u8>)],
}

/// What an install did. All paths are absolute.
#[derive(Debug, Clone, Default)]
pub struct InstallReport {
    /// The `*.dist-info` directory of the installed distribution.
    pub dist_info_dir: PathBuf,
    /// Files created or replaced (or whose mode was fixed).
    pub written: Vec<PathBuf>,
    /// Files that already had the right content and mode, left untouched.
    pub unchanged: Vec<PathBuf>,
    /// Files (and old dist-info directories) of a previous install that were removed.
    pub removed: Vec<PathBuf>,
    /// True when anything besides files outside `*.dist-info` changed: the dist-info content
    /// (METADATA, WHEEL, entry points, …; RECORD aside), the set of installed files, or there
    /// was no previous install. False means only module/data file contents changed.
    pub metadata_changed: bool,
    /// Problems that did not stop the install (a stale file that could not be removed, a
    /// previous install without RECORD), for the caller to show.
    pub warnings: Vec<String>,
}

/// Dist-info files that the installer writes itself (a wheel should not contain them; if it
/// does, ours win) or that do not apply to an installed distribution.
const OWN_DIST_INFO_FILES: &[&str] = &[
    "RECORD",
    "RECORD.jws",
    "RECORD.p7s",
    "INSTALLER",
    "REQUESTED",
    "direct_url.json",
];

/// One file to put in place.
struct Planned<'w> {
    dest: PathBuf,
    content: Cow<'w, [u8]>,
    /// `sha256=…` of `content`.
    hash: String,
    mode: FileMode,
    in_dist_info: bool,
}

impl Planned<'_> {
    fn owned(dest: PathBuf, content: Vec<u8>, mode: FileMode, in_dist_info: bool) -> Self {
        Planned {
            dest,
            hash: record_file::hash(&content),
            content: Cow::Owned(content),
            mode,
            in_dist_info,
        }
    }
}

/// A dist-info directory of the same distribution found in the environment.
struct Previous {
    dir: PathBuf,
    /// The files its RECORD lists (absolute, lexically normalized); `None` without a RECORD.
    files: Option<Vec<PathBuf>>,
}

/// Installs `request.wheel` into the environment, replacing any installed version of the same
/// distribution. See the module documentation for the guarantees.
pub fn install_wheel(request: &InstallRequest) -> Result<InstallReport> {
    let paths = normalized_paths(request.paths)?;
    let wheel = Wheel::read(request.wheel)?;
    let root = if wheel.root_is_purelib {
        &paths.purelib
    } else {
        &paths.platlib
    };
    let dist_info_dir = root.join(&wheel.dist_info);
    let plan = plan_files(&wheel, &paths, &dist_info_dir, request)?;

    // RECORD rows, checked before anything is written (a path that cannot be expressed fails
    // the install early).
    let mut rows = Vec::with_capacity(plan.len() + 1);
    for planned in &plan {
        rows.push(RecordRow {
            path: layout::record_path(&planned.dest, root)?,
            hash: planned.hash.clone(),
            size: planned.content.len().to_string(),
        });
    }
    let record_file = dist_info_dir.join("RECORD");
    rows.push(RecordRow {
        path: layout::record_path(&record_file, root)?,
        hash: String::new(),
        size: String::new(),
    });
    rows.sort_by(|a, b| a.path.cmp(&b.path));
    let record_text = record_file::render(&rows);

    let name = normalize_dist_name(&wheel.name);
    let mut search_dirs = vec![paths.purelib.clone()];
    if paths.platlib != paths.purelib {
        search_dirs.push(paths.platlib.clone());
    }
    let previous = find_previous_installs(&search_dirs, &name)?;

    let mut report = InstallReport {
        dist_info_dir: dist_info_dir.clone(),
        ..InstallReport::default()
    };
    let mut dist_info_changed = false;
    let mut transaction = Transaction::default();
    let written = (|| -> Result<()> {
        for planned in &plan {
            let outcome = transaction.sync_file(&planned.dest, &planned.content, planned.mode)?;
            match outcome {
                Outcome::Written => {
                    dist_info_changed |= planned.in_dist_info;
                    report.written.push(planned.dest.clone());
                }
                Outcome::Unchanged => report.unchanged.push(planned.dest.clone()),
            }
        }
        match transaction.sync_file(&record_file, record_text.as_bytes(), FileMode::Regular)? {
            Outcome::Written => report.written.push(record_file.clone()),
            Outcome::Unchanged => report.unchanged.push(record_file.clone()),
        }
        Ok(())
    })();
    if let Err(err) = written {
        transaction.roll_back();
        return Err(err);
    }

    // The new install is complete; now the leftovers of the previous one go.
    let mut ids = IdentityCache::default();
    let new_ids: HashSet<PathBuf> = plan
        .iter()
        .map(|planned| planned.dest.as_path())
        .chain([record_file.as_path()])
        .map(|path| ids.identity(path))
        .collect();
    // Built on first use: the files just installed as the file system names them, so that a
    // path spelled differently (case on macOS/Windows, a symlinked directory) is never taken
    // for a stale file.
    let mut new_real: Option<HashSet<RealFile>> = None;
    let installed = || -> HashSet<RealFile> {
        plan.iter()
            .map(|planned| planned.dest.as_path())
            .chain([record_file.as_path()])
            .flat_map(RealFile::of)
            .collect()
    };
    let keep_roots = [
        paths.purelib.clone(),
        paths.platlib.clone(),
        paths.scripts.clone(),
        paths.data.clone(),
        paths.include.clone(),
    ];
    let dist_info_id = ids.identity(&dist_info_dir);
    let mut old_ids = HashSet::new();
    let mut set_known = true;
    for old in &previous {
        let same_dir = ids.identity(&old.dir) == dist_info_id
            || RealFile::of(&old.dir)
                .into_iter()
                .any(|real| RealFile::of(&dist_info_dir).contains(&real));
        let Some(files) = &old.files else {
            set_known = false;
            report.warnings.push(format!(
                "{} has no readable RECORD; files only the old version installed may remain",
                old.dir.display()
            ));
            if !same_dir {
                remove_old_dist_info(&old.dir, &mut report);
            }
            continue;
        };
        for file in files {
            let id = ids.identity(file);
            old_ids.insert(id.clone());
            if new_ids.contains(&id) || (!same_dir && file.starts_with(&old.dir)) {
                // Kept, or goes with the whole old dist-info directory below.
                continue;
            }
            if !keep_roots.iter().any(|root| file.starts_with(root)) {
                report.warnings.push(format!(
                    "not removing {} (listed in {}/RECORD): it is outside the environment",
                    file.display(),
                    old.dir.display()
                ));
                continue;
            }
            let new_real = new_real.get_or_insert_with(installed);
            if RealFile::of(file)
                .iter()
                .any(|real| new_real.contains(real))
            {
                continue;
            }
            match fsio::remove_stale_file(file) {
                Ok(removed) => {
                    for path in &removed {
                        fsio::prune_empty_dirs(path, &keep_roots);
                    }
                    report.removed.extend(removed);
                }
                Err(err) => report.warnings.push(format!("{err:#}")),
            }
        }
        if !same_dir {
            remove_old_dist_info(&old.dir, &mut report);
        }
    }
    // Files in our dist-info directory that no RECORD listed (left by another tool).
    let mut unlisted = Vec::new();
    collect_files(&dist_info_dir, &mut unlisted);
    for file in unlisted {
        if new_ids.contains(&ids.identity(&file)) {
            continue;
        }
        match fs::remove_file(&file) {
            Ok(()) => {
                dist_info_changed = true;
                fsio::prune_empty_dirs(&file, std::slice::from_ref(&dist_info_dir));
                report.removed.push(file);
            }
            Err(err) => report
                .warnings
                .push(format!("{:#}", fsio::io_error("remove", &file, &err))),
        }
    }
    for warning in &report.warnings {
        tracing::warn!("{warning}");
    }

    report.metadata_changed =
        previous.is_empty() || !set_known || dist_info_changed || old_ids != new_ids;
    tracing::debug!(
        "installed {}: {} written, {} unchanged, {} removed, metadata changed: {}",
        wheel.dist_info,
        report.written.len(),
        report.unchanged.len(),
        report.removed.len(),
        report.metadata_changed
    );
    Ok(report)
}

/// The environment paths made absolute and lexically normalized.
fn normalized_paths(paths: &EnvironmentPaths) -> Result<EnvironmentPaths> {
    Ok(EnvironmentPaths {
        python: normalize_path(&paths.python)?,
        purelib: normalize_path(&paths.purelib)?,
        platlib: normalize_path(&paths.platlib)?,
        scripts: normalize_path(&paths.scripts)?,
        data: normalize_path(&paths.data)?,
        include: normalize_path(&paths.include)?,
    })
}

/// Every file the install writes (RECORD aside), payload first and dist-info last, so that
/// the dist-info only describes files that are already in place.
fn plan_files<'w>(
    wheel: &'w Wheel,
    paths: &EnvironmentPaths,
    dist_info_dir: &Path,
    request: &InstallRequest<'w>,
) -> Result<Vec<Planned<'w>>> {
    let root = if wheel.root_is_purelib {
        &paths.purelib
    } else {
        &paths.platlib
    };
    let headers = paths.include.join(&wheel.name);
    let mut payload = Vec::new();
    let mut dist_info = Vec::new();
    let mut entry_points = Vec::new();
    for file in &wheel.files {
        let (scheme, rel) = wheel.classify(file)?;
        let base = match scheme {
            Scheme::Root => root,
            Scheme::Purelib => &paths.purelib,
            Scheme::Platlib => &paths.platlib,
            Scheme::Scripts => &paths.scripts,
            Scheme::Headers => &headers,
            Scheme::Data => &paths.data,
            Scheme::DistInfo => dist_info_dir,
        };
        let dest = base.join(rel.iter().collect::<PathBuf>());
        let mode = file.mode();
        match scheme {
            Scheme::DistInfo => {
                if rel.len() == 1 && OWN_DIST_INFO_FILES.contains(&rel[0].as_str()) {
                    continue;
                }
                if rel.len() == 1 && rel[0] == "entry_points.txt" {
                    let text = std::str::from_utf8(&file.content)
                        .map_err(|_| anyhow!("{} is not UTF-8", file.name))?;
                    entry_points = scripts::parse_entry_points(text)
                        .with_context(|| format!("cannot parse {}", file.name))?;
                }
                dist_info.push(Planned {
                    dest,
                    content: Cow::Borrowed(&file.content),
                    hash: file.hash.clone(),
                    mode,
                    in_dist_info: true,
                });
            }
            Scheme::Scripts => payload.push(
                match scripts::rewrite_shebang(&file.content, &paths.python) {
                    Some(content) => Planned::owned(dest, content, FileMode::Script, false),
                    None => Planned {
                        dest,
                        content: Cow::Borrowed(&file.content),
                        hash: file.hash.clone(),
                        mode: FileMode::Script,
                        in_dist_info: false,
                    },
                },
            ),
            _ if rel.len() == 1 && rel[0].ends_with(".pth") => {
                payload.push(match crate::pth::ascii_pth(&file.content) {
                    Some(content) => Planned::owned(dest, content, mode, false),
                    None => Planned {
                        dest,
                        content: Cow::Borrowed(&file.content),
                        hash: file.hash.clone(),
                        mode,
                        in_dist_info: false,
                    },
                })
            }
            _ => payload.push(Planned {
                dest,
                content: Cow::Borrowed(&file.content),
                hash: file.hash.clone(),
                mode,
                in_dist_info: false,
            }),
        }
    }

    if !entry_points.is_empty() && cfg!(windows) {
        // Nothing was written yet.
        let scripts: Vec<&str> = entry_points.iter().map(|ep| ep.name.as_str()).collect();
        bail!(
            "{} declares console/GUI scripts ({}); on Windows they need .exe launchers, which \
             maturin's built-in installer cannot create yet: run `maturin develop \
             --upstream-install` (pip makes them), or install this wheel with pip",
            request.wheel.display(),
            scripts.join(", ")
        );
    }
    for entry_point in &entry_points {
        payload.push(Planned::owned(
            paths.scripts.join(&entry_point.name),
            scripts::launcher(&paths.python, entry_point),
            FileMode::Script,
            false,
        ));
    }

    let extra_files = request
        .extra_root_files
        .iter()
        .map(|(name, content)| (root.join(name), content))
        .chain(
            request
                .extra_data_files
                .iter()
                .map(|(path, content)| (paths.data.join(path), content)),
        );
    for (dest, content) in extra_files {
        payload.push(Planned {
            dest,
            hash: record_file::hash(content),
            content: Cow::Borrowed(content),
            mode: FileMode::Regular,
            in_dist_info: false,
        });
    }

    let mut own = vec![
        ("INSTALLER", format!("{}\n", request.installer).into_bytes()),
        ("REQUESTED", Vec::new()),
    ];
    if let Some(project_dir) = request.editable_project_dir {
        own.push((
            "direct_url.json",
            direct_url_json(project_dir)?.into_bytes(),
        ));
    }
    for (name, content) in own {
        dist_info.push(Planned::owned(
            dist_info_dir.join(name),
            content,
            FileMode::Regular,
            true,
        ));
    }

    payload.extend(dist_info);
    let mut seen = HashSet::new();
    for planned in &payload {
        if !seen.insert(planned.dest.as_path()) {
            bail!(
                "{}: two files of the wheel (or a file and an entry point script) would be \
                 installed to {}",
                request.wheel.display(),
                planned.dest.display()
            );
        }
    }
    Ok(payload)
}

/// `direct_url.json` of an editable install of `project_dir`, formatted as pip writes it.
fn direct_url_json(project_dir: &Path) -> Result<String> {
    let canonical = fs::canonicalize(project_dir)
        .map_err(|err| fsio::io_error("resolve the project directory", project_dir, &err))?;
    let canonical = strip_verbatim_prefix(canonical);
    let url = url::Url::from_file_path(&canonical).map_err(|()| {
        anyhow!(
            "cannot express the project directory {} as a file:// URL",
            canonical.display()
        )
    })?;
    Ok(format!(
        "{{\"dir_info\": {{\"editable\": true}}, \"url\": {}}}",
        serde_json::to_string(url.as_str())?
    ))
}

/// `\\?\C:\x` → `C:\x` and `\\?\UNC\server\share` → `\\server\share` (Windows canonical paths).
fn strip_verbatim_prefix(path: PathBuf) -> PathBuf {
    let Some(text) = path.to_str() else {
        return path;
    };
    if let Some(rest) = text.strip_prefix(r"\\?\UNC\") {
        PathBuf::from(format!(r"\\{rest}"))
    } else if let Some(rest) = text.strip_prefix(r"\\?\") {
        PathBuf::from(rest)
    } else {
        path
    }
}

/// The `*.dist-info` directories in `dirs` whose distribution name normalizes to `name`.
fn find_previous_installs(dirs: &[PathBuf], name: &str) -> Result<Vec<Previous>> {
    let prefix = format!("{name}-");
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    for dir in dirs {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(fsio::io_error("list", dir, &err)),
        };
        for entry in entries {
            let entry = entry.map_err(|err| fsio::io_error("list", dir, &err))?;
            let file_name = entry.file_name();
            let Some(stem) = file_name
                .to_str()
                .and_then(|file_name| file_name.strip_suffix(".dist-info"))
            else {
                continue;
            };
            // Cheap filter on the directory name, then METADATA's Name decides.
            if !normalize_dist_name(stem).starts_with(&prefix) {
                continue;
            }
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            let metadata_name = fs::read_to_string(path.join("METADATA"))
                .ok()
                .and_then(|text| layout::header(&text, "Name").map(normalize_dist_name));
            let this_name = metadata_name
                .unwrap_or_else(|| normalize_dist_name(layout::dist_info_name_part(stem)));
            if this_name != name {
                continue;
            }
            let key = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if !seen.insert(key) {
                continue;
            }
            let files = fs::read_to_string(path.join("RECORD"))
                .ok()
                .and_then(|text| record_file::parse(&text).ok())
                .map(|rows| {
                    rows.into_iter()
                        .map(|row| {
                            let rel = Path::new(&row.path);
                            layout::lexical_normalize(&dir.join(rel))
                        })
                        .collect()
                });
            found.push(Previous { dir: path, files });
        }
    }
    Ok(found)
}

/// What [`extract_modules`] did. All paths are absolute.
#[derive(Debug, Clone, Default)]
pub struct ExtractReport {
    /// Files created or replaced.
    pub written: Vec<PathBuf>,
    /// Files that already had this content, left untouched.
    pub unchanged: Vec<PathBuf>,
}

/// Puts the importable files of `wheel` (its root and `.data/purelib|platlib` entries: the
/// extension module and what maturin generates next to it) into `dir`, without metadata,
/// scripts or dependencies: the `.rs` file importer loads the extension from there. Each file
/// is written only when its content changed (`rewrite`: always), atomically.
pub fn extract_modules(wheel: &Path, dir: &Path, rewrite: bool) -> Result<ExtractReport> {
    let wheel_content = Wheel::read(wheel)?;
    let mut report = ExtractReport::default();
    let mut transaction = Transaction::default();
    let result = (|| -> Result<()> {
        for file in &wheel_content.files {
            let (scheme, parts) = wheel_content.classify(file)?;
            if !matches!(scheme, Scheme::Root | Scheme::Purelib | Scheme::Platlib) {
                continue;
            }
            let dest = dir.join(parts.iter().collect::<PathBuf>());
            let mode = file.mode();
            if rewrite {
                transaction.write_file(&dest, &file.content, mode)?;
                report.written.push(dest);
            } else {
                match transaction.sync_file(&dest, &file.content, mode)? {
                    Outcome::Written => report.written.push(dest),
                    Outcome::Unchanged => report.unchanged.push(dest),
                }
            }
        }
        Ok(())
    })();
    if let Err(err) = result {
        transaction.roll_back();
        return Err(err);
    }
    Ok(report)
}

/// Removes files an earlier [`extract_modules`] into `dir` wrote that the new one did not
/// (and the directories that leaves empty); best effort.
pub fn remove_stale_modules(dir: &Path, previous: &[PathBuf], current: &[PathBuf]) {
    let keep = [dir.to_path_buf()];
    for path in previous {
        if path.starts_with(dir) && !current.contains(path) && fsio::remove_stale_file(path).is_ok()
        {
            fsio::prune_empty_dirs(path, &keep);
        }
    }
}

fn remove_old_dist_info(dir: &Path, report: &mut InstallReport) {
    match fs::remove_dir_all(dir) {
        Ok(()) => report.removed.push(dir.to_path_buf()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => report.warnings.push(format!(
            "{:#}",
            fsio::io_error("remove the old metadata directory", dir, &err)
        )),
    }
}

/// All regular files (and symlinks) under `dir`, recursively; nothing when it is missing.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => collect_files(&path, out),
            Ok(_) => out.push(path),
            Err(_) => {}
        }
    }
}

/// Compares paths by the real directory they are in (so `lib64/…` and `lib/…` through a
/// symlink, or a differently spelled site-packages, are the same file).
#[derive(Default)]
struct IdentityCache {
    dirs: HashMap<PathBuf, PathBuf>,
}

impl IdentityCache {
    fn identity(&mut self, path: &Path) -> PathBuf {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return path.to_path_buf();
        };
        let real = self
            .dirs
            .entry(parent.to_path_buf())
            .or_insert_with(|| fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf()));
        real.join(name)
    }
}

/// Ways the file system identifies an existing file: its canonical path, and on Unix its
/// device and inode numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum RealFile {
    Path(PathBuf),
    #[cfg(unix)]
    Inode(u64, u64),
}

impl RealFile {
    /// Nothing for a path that does not exist.
    fn of(path: &Path) -> Vec<RealFile> {
        let mut keys = Vec::new();
        if let Ok(real) = fs::canonicalize(path) {
            keys.push(RealFile::Path(real));
        }
        #[cfg(unix)]
        if let Ok(meta) = fs::symlink_metadata(path) {
            use std::os::unix::fs::MetadataExt;
            keys.push(RealFile::Inode(meta.dev(), meta.ino()));
        }
        keys
    }
}

// The install tests use Unix launchers and modes.
#[cfg(all(test, unix))]
mod tests;

/// The `.pth` files at the root of the wheel at `wheel` that are not pure ASCII, rewritten (see
/// [`crate::pth`]), for [`put_files`]: an editable wheel's `.pth` names the project's
/// directory, and the frontend that installs it copies it as it is.
pub fn ascii_pth_files(wheel: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    Ok(Wheel::read(wheel)?
        .files
        .iter()
        .filter(|file| !file.name.contains('/') && file.name.ends_with(".pth"))
        .filter_map(|file| Some((file.name.clone(), crate::pth::ascii_pth(&file.content)?)))
        .collect())
}

/// The `.pth` files at the root of the wheel at `wheel` that name directories under `from`,
/// rewritten to name them under `to` (and made ASCII, see [`crate::pth`]), for
/// [`put_files`]: an editable wheel built in one checkout, installed for another.
pub fn relocated_pth_files(wheel: &Path, from: &str, to: &str) -> Result<Vec<(String, Vec<u8>)>> {
    Ok(Wheel::read(wheel)?
        .files
        .iter()
        .filter(|file| !file.name.contains('/') && file.name.ends_with(".pth"))
        .filter_map(|file| {
            let text = String::from_utf8(file.content.clone()).ok()?;
            let relocated = text.contains(from).then(|| text.replace(from, to))?;
            let ascii = crate::pth::ascii_pth(relocated.as_bytes())
                .unwrap_or_else(|| relocated.into_bytes());
            Some((file.name.clone(), ascii))
        })
        .collect())
}

/// Puts `files` (name in the wheel, content) into the wheel at `wheel`, in place of files of
/// the same name, and lists them in its RECORD, rewriting the archive (atomically). The import
/// hook's `.pth` goes into an editable wheel this way, so that the frontend that installs the
/// wheel installs and uninstalls it; so does an extension module a replay rebuilt (see
/// `develop::restore`).
pub fn put_files(wheel: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    use std::io::Write;
    let read = Wheel::read(wheel)?;
    let record_name = format!("{}/RECORD", read.dist_info);
    let source = fs::File::open(wheel)
        .map_err(|err| anyhow!("cannot open wheel {}: {err}", wheel.display()))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(source))?;
    let dir = wheel.parent().unwrap_or(Path::new("."));
    let mut temporary = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write into {}", dir.display()))?;
    let mut writer = zip::ZipWriter::new(temporary.as_file_mut());
    let mut rows = Vec::new();
    let replaced = |name: &str| files.iter().any(|(new, _)| new == name);
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index)?;
        let name = entry.name()?;
        if name == record_name.as_str() || replaced(&name) {
            continue;
        }
        writer.raw_copy_file(entry)?;
    }
    for file in &read.files {
        if file.name != record_name && !replaced(&file.name) {
            rows.push(RecordRow {
                path: file.name.clone(),
                hash: file.hash.clone(),
                size: file.content.len().to_string(),
            });
        }
    }
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for (name, content) in files {
        writer.start_file(name.as_str(), options)?;
        writer.write_all(content)?;
        rows.push(RecordRow {
            path: name.clone(),
            hash: record_file::hash(content),
            size: content.len().to_string(),
        });
    }
    rows.push(RecordRow {
        path: record_name.clone(),
        hash: String::new(),
        size: String::new(),
    });
    writer.start_file(record_name.as_str(), options)?;
    writer.write_all(record_file::render(&rows).as_bytes())?;
    writer.finish()?;
    temporary
        .persist(wheel)
        .with_context(|| format!("cannot replace {}", wheel.display()))?;
    Ok(())
}

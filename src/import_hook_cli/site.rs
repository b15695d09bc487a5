//! `maturin import-hook site install|uninstall|info`: the managed block in sitecustomize.py
//! (or usercustomize.py) of the target environment.

use super::info_output::Report;
use super::OutputFormat;
use crate::build_cache::BuildCache;
use crate::environment::Environment;
use crate::interpreter;
use crate::site_customize::{self, BlockOptions, BrokenBlock, InstallEdit, UninstallEdit};
use anyhow::{anyhow, bail, Context, Result};
use maturin_hook_core::atomic_write;
use maturin_hook_core::report::Reporter;
use serde::Deserialize;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SITECUSTOMIZE: &str = "sitecustomize.py";
const USERCUSTOMIZE: &str = "usercustomize.py";
const FACTS_MARKER: &str = "@@maturin-import-hook-site-facts@@";

/// Runs Python's `site` set-up of a normal start (sys.path, the user site decision) without
/// executing sitecustomize/usercustomize, and reports what that start would import. `.pth`
/// files run as they do at every start; whatever they print comes before the marked line.
const SITE_PROBE_SCRIPT: &str = r#"
import json, site, sys
from importlib.machinery import PathFinder
site.execsitecustomize = lambda: None
site.execusercustomize = lambda: None
site.main()
# at start-up sitecustomize is imported before the script's directory (here '') is on sys.path
path = sys.path[1:] if sys.path and sys.path[0] == "" else list(sys.path)
def origin(name):
    try:
        spec = PathFinder.find_spec(name, path)
    except Exception:
        return None
    return getattr(spec, "origin", None)
def call(name):
    try:
        return getattr(site, name)()
    except AttributeError:
        return None
sys.stdout.write("\n" + MARKER + json.dumps({
    "sys_path": path,
    "site_packages": call("getsitepackages") or [],
    "user_site": call("getusersitepackages"),
    "enable_user_site": site.ENABLE_USER_SITE,
    "sitecustomize": origin("sitecustomize"),
    "usercustomize": origin("usercustomize"),
    "hook_package": origin("maturin_import_hook"),
}) + "\n")
"#;

/// What Python's `site` module does at a normal start of the target interpreter, with this
/// process's environment variables (`PYTHONPATH`, `PYTHONNOUSERSITE`, `PYTHONUSERBASE`, `HOME`
/// all play a part, so this is asked every time, not cached).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct SiteFacts {
    /// `sys.path` when sitecustomize is imported.
    pub sys_path: Vec<PathBuf>,
    /// `site.getsitepackages()`
    pub site_packages: Vec<PathBuf>,
    /// `site.getusersitepackages()`
    pub user_site: Option<PathBuf>,
    /// `site.ENABLE_USER_SITE`: `None` when disabled for security (uid ≠ euid).
    pub enable_user_site: Option<bool>,
    /// The file a start imports as `sitecustomize` / `usercustomize`, if any.
    pub sitecustomize: Option<PathBuf>,
    pub usercustomize: Option<PathBuf>,
    /// Where `import maturin_import_hook` would find the package, if anywhere.
    pub hook_package: Option<PathBuf>,
}

impl SiteFacts {
    pub fn probe(python: &Path) -> Result<SiteFacts> {
        let script = SITE_PROBE_SCRIPT.replace("MARKER", &format!("{FACTS_MARKER:?}"));
        let output = Command::new(python)
            .args(["-S", "-c", &script])
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("failed to run {}", python.display()))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let facts = stdout
            .lines()
            .rev()
            .find_map(|line| line.strip_prefix(FACTS_MARKER));
        match facts {
            Some(json) if output.status.success() => {
                serde_json::from_str(json).with_context(|| {
                    format!(
                        "{} described its site set-up in an unexpected way: {json}",
                        python.display()
                    )
                })
            }
            _ => bail!(
                "{} failed to describe its site set-up ({}):\n{}",
                python.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        }
    }

    fn user_site_enabled(&self) -> bool {
        self.enable_user_site == Some(true)
    }

    /// `site.ENABLE_USER_SITE` as upstream prints it (`str()` of it, also in JSON).
    fn user_site_enabled_text(&self) -> &'static str {
        match self.enable_user_site {
            Some(true) => "True",
            Some(false) => "False",
            None => "None",
        }
    }
}

/// Where the two customization files of the target interpreter are.
struct SiteFiles {
    facts: SiteFacts,
    /// The first site-packages directory that has a sitecustomize.py, else the environment's
    /// purelib (upstream: the first of `site.getsitepackages()`, the same in a venv).
    sitecustomize: PathBuf,
    usercustomize: Option<PathBuf>,
}

impl SiteFiles {
    fn of(target: &Environment) -> Result<SiteFiles> {
        let python = target.python()?;
        let cache = BuildCache::for_environment(&target.root);
        let facts = SiteFacts::probe(python)?;
        let sitecustomize = match facts
            .site_packages
            .iter()
            .map(|dir| dir.join(SITECUSTOMIZE))
            .find(|path| path.is_file())
        {
            Some(existing) => existing,
            None => interpreter::probe(python, &cache)?
                .purelib
                .join(SITECUSTOMIZE),
        };
        let usercustomize = facts.user_site.as_ref().map(|dir| dir.join(USERCUSTOMIZE));
        Ok(SiteFiles {
            facts,
            sitecustomize,
            usercustomize,
        })
    }

    fn path(&self, user: bool) -> Result<&Path> {
        if user {
            self.usercustomize.as_deref().ok_or_else(|| {
                anyhow!(
                    "this interpreter has no user site directory (site.getusersitepackages() \
                     is not available), so there is no usercustomize.py to edit; \
                     leave out --user to use sitecustomize.py"
                )
            })
        } else {
            Ok(&self.sitecustomize)
        }
    }

    /// The file a start of the interpreter imports under that module name, if it is `path`.
    fn is_imported_at_start(&self, path: &Path, user: bool) -> bool {
        let origin = if user {
            if !self.facts.user_site_enabled() {
                return false;
            }
            &self.facts.usercustomize
        } else {
            &self.facts.sitecustomize
        };
        origin
            .as_deref()
            .is_some_and(|origin| same_file(origin, path))
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(a), Ok(b)) if a == b)
}

fn user_flag(user: bool) -> &'static str {
    if user {
        " --user"
    } else {
        ""
    }
}

/// The file's text, `None` when it does not exist.
fn read_text(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| {
            anyhow!(
                "{} is not UTF-8 text, so it is not edited automatically: add or remove the \
                 maturin_import_hook block in it by hand",
                path.display()
            )
        }),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(anyhow!("cannot read {}: {err}", path.display())),
    }
}

/// A symlinked customization file is edited where it points to, so the link stays.
fn write_target(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

fn cannot_write(action: &str, path: &Path, err: &io::Error, user: bool) -> anyhow::Error {
    let mut message = format!("cannot {action} {}: {err}", path.display());
    if matches!(
        err.kind(),
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
    ) {
        let dir = path.parent().unwrap_or(path);
        message.push_str(&format!(
            ". {} is not writable by you: run the command as the user that owns the \
             environment (for a system-wide Python, as an administrator)",
            dir.display()
        ));
        if !user {
            message.push_str(
                ", or use `--user` to install into usercustomize.py of your user site instead",
            );
        }
    }
    message.push_str(". The file was not changed.");
    anyhow!(message)
}

/// Replaces `path` with `text`, keeping the old file's permissions, and synced to disk: this is
/// a file the user may have written most of.
fn write_atomically(path: &Path, text: &str, user: bool) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| anyhow!("{} has no parent directory", path.display()))?;
    if !dir.is_dir() {
        fs::create_dir_all(dir).map_err(|err| cannot_write("create", dir, &err, user))?;
    }
    let options = atomic_write::Options {
        permissions: atomic_write::Permissions::KeepExisting,
        sync: true,
    };
    atomic_write::write(path, text.as_bytes(), options)
        .map_err(|err| cannot_write("write", path, &err, user))
}

fn broken_block_help(path: &Path, broken: &BrokenBlock, user: bool) -> String {
    let flag = user_flag(user);
    format!(
        "{}: {}. Run `maturin import-hook site install --force{flag}` to replace it with a \
         working block, or `maturin import-hook site uninstall{flag}` to remove it (lines {}-{}; \
         the code after them is kept)",
        path.display(),
        broken.describe(),
        broken.first_line,
        broken.last_line
    )
}

fn describe_repairs(repaired: &[BrokenBlock]) -> String {
    if repaired.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = repaired
        .iter()
        .map(|broken| format!("lines {}-{}", broken.first_line, broken.last_line))
        .collect();
    format!(
        " (including a broken block without end marker: {})",
        lines.join(", ")
    )
}

fn on_off(value: bool) -> &'static str {
    if value {
        "enabled"
    } else {
        "disabled"
    }
}

/// A stderr warning when the block in `path` will not run at start-up.
fn warn_if_not_run(
    files: &SiteFiles,
    path: &Path,
    user: bool,
    target: &Environment,
    reporter: &dyn Reporter,
) {
    let facts = &files.facts;
    if user {
        if !facts.user_site_enabled() {
            reporter.warning(&format!(
                "the user site is disabled for {} (site.ENABLE_USER_SITE is {}), \
                 so usercustomize.py is not imported at start-up and the import hook is not \
                 activated. A virtual environment enables it only when created with \
                 --system-site-packages; leave out --user to use the environment's \
                 sitecustomize.py",
                target.root.display(),
                facts.user_site_enabled_text()
            ));
        }
        return;
    }
    if let Some(origin) = facts
        .sitecustomize
        .as_deref()
        .filter(|origin| !same_file(origin, path))
    {
        reporter.warning(&format!(
            "a start of {} imports {} as sitecustomize (it comes first on \
             sys.path), so {} is not run and the import hook is not activated. Call \
             maturin_import_hook.install() in your code instead (or, if you manage that file, \
             add the block to it)",
            target.root.display(),
            origin.display(),
            path.display(),
        ));
    } else if facts.sitecustomize.is_none()
        && !path
            .parent()
            .is_some_and(|dir| facts.sys_path.iter().any(|entry| same_file(entry, dir)))
    {
        reporter.warning(&format!(
            "{} is not on sys.path at start-up of {}, so {} is not run",
            path.parent().unwrap_or(path).display(),
            target.root.display(),
            path.display()
        ));
    }
}

/// A stderr warning when the block cannot activate anything: the package is missing.
fn warn_if_package_missing(files: &SiteFiles, target: &Environment, reporter: &dyn Reporter) {
    if files.facts.hook_package.is_none() {
        reporter.warning(&format!(
            "maturin_import_hook is not installed for {}: until it is, the block does nothing \
             at start-up (install maturin-hook, which provides it, into that environment)",
            target.root.display()
        ));
    }
}

pub fn install(
    target: &Environment,
    options: &BlockOptions,
    force: bool,
    out: &mut dyn Write,
    reporter: &dyn Reporter,
) -> Result<()> {
    let user = options.user;
    let files = SiteFiles::of(target)?;
    let path = files.path(user)?.to_path_buf();
    let file = write_target(&path);
    let existing = read_text(&file)?;
    match site_customize::install(existing.as_deref(), options, force) {
        InstallEdit::AlreadyInstalled => {
            writeln!(
                out,
                "the import hook is already installed in '{}'; nothing changed (use --force \
                 to replace it)",
                path.display()
            )?;
        }
        InstallEdit::Broken(broken) => bail!(broken_block_help(&path, &broken, user)),
        InstallEdit::Write {
            text,
            replaced,
            repaired,
        } => {
            write_atomically(&file, &text, user)?;
            let kwargs = options.settings.python_kwargs().join(", ");
            writeln!(
                out,
                "{} the import hook {} '{}'{} (project importer: {}, .rs file importer: {}, \
                 settings: {kwargs})",
                if replaced { "replaced" } else { "installed" },
                if replaced { "in" } else { "into" },
                path.display(),
                describe_repairs(&repaired),
                on_off(options.enable_project_importer),
                on_off(options.enable_rs_file_importer),
            )?;
            warn_if_not_run(&files, &path, user, target, reporter);
            warn_if_package_missing(&files, target, reporter);
        }
    }
    Ok(())
}

pub fn uninstall(target: &Environment, user: bool, out: &mut dyn Write) -> Result<()> {
    let files = SiteFiles::of(target)?;
    let path = files.path(user)?.to_path_buf();
    let file = write_target(&path);
    let Some(existing) = read_text(&file)? else {
        writeln!(
            out,
            "the import hook is not installed: '{}' does not exist; nothing changed",
            path.display()
        )?;
        return Ok(());
    };
    match site_customize::uninstall(&existing) {
        UninstallEdit::NotInstalled => writeln!(
            out,
            "the import hook is not installed in '{}'; nothing changed",
            path.display()
        )?,
        UninstallEdit::Write { text, repaired, .. } => {
            write_atomically(&file, &text, user)?;
            writeln!(
                out,
                "removed the import hook from '{}'{}; the rest of the file is unchanged",
                path.display(),
                describe_repairs(&repaired)
            )?;
        }
        UninstallEdit::Delete { repaired, .. } if file != path => {
            // the target of a symlink may be shared: keep it (empty), and the link valid
            write_atomically(&file, "", user)?;
            writeln!(
                out,
                "removed the import hook from '{}'{}; {} is now empty",
                path.display(),
                describe_repairs(&repaired),
                file.display()
            )?;
        }
        UninstallEdit::Delete { repaired, .. } => {
            fs::remove_file(&file).map_err(|err| cannot_write("remove", &file, &err, user))?;
            writeln!(
                out,
                "removed the import hook from '{}'{} and deleted the file, which had nothing \
                 else in it",
                path.display(),
                describe_repairs(&repaired)
            )?;
        }
    }
    Ok(())
}

/// What `site info` reports about one customization file.
struct FileState {
    exists: bool,
    scan: site_customize::Scan,
}

fn file_state(path: Option<&Path>) -> Result<FileState> {
    let Some(path) = path else {
        return Ok(FileState {
            exists: false,
            scan: Default::default(),
        });
    };
    let bytes = match fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => bail!("cannot read {}: {err}", path.display()),
    };
    Ok(FileState {
        exists: bytes.is_some(),
        // only looking: a file that is not UTF-8 still shows its (ASCII) markers
        scan: bytes
            .map(|bytes| site_customize::scan(&String::from_utf8_lossy(&bytes)))
            .unwrap_or_default(),
    })
}

pub fn info(
    target: &Environment,
    format: OutputFormat,
    out: &mut dyn Write,
    reporter: &dyn Reporter,
) -> Result<()> {
    let files = SiteFiles::of(target)?;
    let site = file_state(Some(&files.sitecustomize))?;
    let user = file_state(files.usercustomize.as_deref())?;

    // which importers a start of the interpreter activates
    let mut project_importer = false;
    let mut rs_file_importer = false;
    let active = [
        (Some(files.sitecustomize.as_path()), &site, false),
        (files.usercustomize.as_deref(), &user, true),
    ];
    for (path, state, is_user) in active {
        let Some(path) = path else { continue };
        if files.facts.hook_package.is_some() && files.is_imported_at_start(path, is_user) {
            for block in &state.scan.blocks {
                project_importer |= block.project_importer;
                rs_file_importer |= block.rs_file_importer;
            }
        }
    }

    let mut report = Report::default();
    report.push(
        "sitecustomize_path",
        files.sitecustomize.display().to_string(),
    );
    report.push("sitecustomize_exists", site.exists);
    report.push(
        "sitecustomize_import_hook_installed",
        site.scan.is_installed(),
    );
    report.push("user_site_enabled", files.facts.user_site_enabled_text());
    report.push(
        "usercustomize_path",
        files
            .usercustomize
            .as_ref()
            .map(|path| path.display().to_string()),
    );
    report.push("usercustomize_exists", user.exists);
    report.push(
        "usercustomize_import_hook_installed",
        user.scan.is_installed(),
    );
    report.push("project_importer_installed", project_importer);
    report.push("rust_file_importer_installed", rs_file_importer);
    // ours: the projects whose `.pth` (`develop --with-hook`) watches them, by module
    let hooked: Vec<String> = files
        .facts
        .site_packages
        .iter()
        .flat_map(|dir| super::status::hooks_in(dir))
        .flat_map(|(modules, _)| modules)
        .collect();
    report.push(
        "hooked_modules",
        (!hooked.is_empty()).then(|| hooked.join(", ")),
    );
    out.write_all(report.render(format).as_bytes())?;

    let mut any_block = false;
    for (path, state, is_user) in active {
        let Some(path) = path else { continue };
        for broken in &state.scan.broken {
            reporter.warning(&broken_block_help(path, broken, is_user));
        }
        if state.scan.is_installed() {
            any_block = true;
            warn_if_not_run(&files, path, is_user, target, reporter);
        }
    }
    if any_block {
        warn_if_package_missing(&files, target, reporter);
    }
    Ok(())
}

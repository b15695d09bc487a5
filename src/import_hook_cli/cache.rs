//! `maturin import-hook cache info|clear`: the build cache of the target environment.

use super::info_output::Report;
use super::OutputFormat;
use crate::build_cache::BuildCache;
use crate::environment::Environment;
use anyhow::{anyhow, bail, Result};
use fs4::fs_std::FileExt;
use maturin_hook_core::report::Reporter;
use maturin_hook_core::store::{shared_store_url, Store};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

pub fn info(target: &Environment, format: OutputFormat, out: &mut dyn Write) -> Result<()> {
    let cache = BuildCache::for_environment(&target.root);
    let exists = cache.root().is_dir();
    let mut report = Report::default();
    report.push("path", cache.root().display().to_string());
    report.push("exists", exists);
    report.push("size", exists.then(|| mib(cache.size_on_disk())));
    // the store of built extensions, which every environment of this user shares
    let store = Store::local();
    let counted = store.as_ref().map(Store::info);
    report.push(
        "store",
        store
            .as_ref()
            .map(|store| store.root().display().to_string()),
    );
    report.push(
        "store_entries",
        counted.as_ref().map(|info| info.entries.to_string()),
    );
    report.push("store_size", counted.as_ref().map(|info| mib(info.bytes)));
    report.push(
        "store_hits",
        counted.as_ref().map(|info| info.hits.to_string()),
    );
    report.push("shared_store", shared_store_url());
    out.write_all(report.render(format).as_bytes())?;
    Ok(())
}

/// The lock files of the cache, each locked by us; a lock another process holds is an error
/// that names it (the build holding it is running).
enum Locks {
    Held(Vec<File>),
    Busy(PathBuf),
}

fn lock_all(cache: &BuildCache) -> Result<Locks> {
    let mut held = Vec::new();
    for path in cache.lock_files() {
        let file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(file) => file,
            // removed since we listed it: no build holds it
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => {
                return Err(anyhow!(
                    "cannot open the lock file {}: {err}",
                    path.display()
                ))
            }
        };
        match file.try_lock_exclusive() {
            Ok(true) => held.push(file),
            Ok(false) => return Ok(Locks::Busy(path)),
            Err(err) => return Err(anyhow!("cannot lock {}: {err}", path.display())),
        }
    }
    Ok(Locks::Held(held))
}

fn busy_error(root: &Path, lock: &Path) -> anyhow::Error {
    anyhow!(
        "cannot clear the build cache {}: a build is in progress ({} is locked by another \
         process). Wait for it to finish and run `maturin import-hook cache clear` again, or \
         pass --force to delete the cache anyway (the running build may then fail)",
        root.display(),
        lock.display()
    )
}

/// Asks on the terminal; `false` for no (or end of input).
fn confirm(out: &mut dyn Write) -> Result<bool> {
    let stdin = io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        write!(out, "are you sure you want to continue (y/n)? ")?;
        out.flush()?;
        let Some(line) = lines.next() else {
            writeln!(out)?;
            return Ok(false);
        };
        match line?.trim().to_lowercase().as_str() {
            "y" | "yes" => return Ok(true),
            "n" | "no" => return Ok(false),
            _ => writeln!(out, "invalid response, please answer y/yes or n/no")?,
        }
    }
}

pub fn clear(
    target: &Environment,
    yes: bool,
    force: bool,
    out: &mut dyn Write,
    reporter: &dyn Reporter,
) -> Result<()> {
    let cache = BuildCache::for_environment(&target.root);
    let root = cache.root();
    if !root.is_dir() {
        writeln!(out, "the cache '{}' does not exist", root.display())?;
        return clear_store(out);
    }
    let check = |warn: bool| -> Result<Vec<File>> {
        match lock_all(&cache)? {
            Locks::Held(locks) => Ok(locks),
            Locks::Busy(lock) if force => {
                if warn {
                    reporter.warning(&format!(
                        "a build is in progress ({} is locked by another process); clearing the \
                         cache anyway because of --force",
                        lock.display()
                    ));
                }
                Ok(Vec::new())
            }
            Locks::Busy(lock) => Err(busy_error(root, &lock)),
        }
    };
    // refuse early, before asking; the locks are taken again (and held) for the deletion
    drop(check(true)?);
    if !yes && !io::stdin().is_terminal() {
        bail!(
            "refusing to clear the build cache {} without confirmation: stdin is not a \
             terminal. Pass --yes to clear it",
            root.display()
        );
    }
    writeln!(out, "clearing '{}'", root.display())?;
    writeln!(out, "This will free {}", mib(cache.size_on_disk()))?;
    if !yes && !confirm(out)? {
        writeln!(out, "not clearing")?;
        return Ok(());
    }
    let locks = check(false)?;
    // Windows cannot delete a file that is open; elsewhere holding the locks during the
    // deletion keeps a build from starting in the directories being removed
    #[cfg(windows)]
    drop(locks);
    let freed = cache.size_on_disk();
    fs::remove_dir_all(root).map_err(|err| {
        anyhow!(
            "cannot delete the build cache {}: {err}. Part of it may be gone; delete the \
             rest by hand or fix the permissions and run `maturin import-hook cache clear` again",
            root.display()
        )
    })?;
    #[cfg(not(windows))]
    drop(locks);
    writeln!(out, "cleared '{}' ({} freed)", root.display(), mib(freed))?;
    clear_store(out)
}

/// Empties the local store of built extensions, when there is one with anything in it.
fn clear_store(out: &mut dyn Write) -> Result<()> {
    let Some(store) = Store::local() else {
        return Ok(());
    };
    let info = store.info();
    if info.entries == 0 && info.bytes == 0 {
        return Ok(());
    }
    store.clear()?;
    writeln!(
        out,
        "cleared the store of built extensions '{}' ({} entries, {} freed)",
        store.root().display(),
        info.entries,
        mib(info.bytes)
    )?;
    Ok(())
}
